import {
  type DeviceLoadedModel,
  fetchFileSource,
  type LoadModelOptions,
  loadModel as loadOnBackend,
  type ModelFileSource,
} from '@reasonflow/model-adapter';
import * as ort from '#onnxruntime-web';
import { createWebBackend, webBackend } from './backend.js';
import type { WebDevice, WebExecutionProvider, WebGpuAvailability } from './execution-provider.js';

/** model-adapter's `LoadModelOptions` (without `backend`); `onProgress` hears downloads when `folder` is a URL. */
export interface WebLoadModelOptions extends Omit<LoadModelOptions, 'backend' | 'device'> {
  /** `auto` (default): WebGPU when an adapter is available, wasm otherwise (one warning). */
  readonly device?: WebDevice;
  /** @internal Tests replace the WebGPU probe. */
  readonly probe?: () => Promise<WebGpuAvailability>;
}

/** A model folder loaded on onnxruntime-web (model-adapter's `DeviceLoadedModel`; `deviceInfo` names the WebGPU adapter). */
export interface WebLoadedModel extends DeviceLoadedModel {
  /** The execution provider that runs the model. */
  readonly executionProvider: WebExecutionProvider;
}

export interface OrtWebEnvironment {
  /**
   * Where the app serves onnxruntime-web's `ort-wasm-simd-threaded.asyncify.{mjs,wasm}` (a URL prefix
   * ending in `/`), so that nothing is fetched from a CDN. Default: next to the ORT bundle.
   */
  readonly wasmPaths?: string;
  /** wasm threads (default 1; more need a cross-origin-isolated page). */
  readonly numThreads?: number;
  /** onnxruntime's log level (default `error`). */
  readonly logLevel?: 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
}

/**
 * Sets onnxruntime-web's environment. Call it before the first model is loaded; the wasm settings
 * are read once, when onnxruntime initialises.
 */
export function configureOrtWeb(environment: OrtWebEnvironment): void {
  if (environment.wasmPaths !== undefined) ort.env.wasm.wasmPaths = environment.wasmPaths;
  ort.env.wasm.numThreads = environment.numThreads ?? 1;
  ort.env.logLevel = environment.logLevel ?? 'error';
}

/** The onnxruntime-web version this backend runs. */
export const ORT_WEB_VERSION: string = ort.env.versions.web ?? 'unknown';

/**
 * Loads a model folder with model-adapter's `loadModel` on the onnxruntime-web backend. `folder` is a
 * URL of a folder served over HTTP, or any `ModelFileSource`.
 *
 * On WebGPU the KV cache never leaves the device: `present.*` outputs stay GPU buffers that are fed
 * back as `past_key_values.*`, row selection and rollback run as tiny Gather/Slice graphs on the same
 * device (`OnnxKvCacheOps`), and each GPU buffer is destroyed as soon as a newer one replaces it. Only
 * the last position's logits come back.
 * @throws BackendUnavailableError when `device: 'webgpu'` has no adapter; ModelError for folder problems.
 */
export async function loadModel(folder: string | URL | ModelFileSource, options: WebLoadModelOptions = {}): Promise<WebLoadedModel> {
  const { probe, onProgress, ...shared } = options;
  const source =
    typeof folder === 'string' || folder instanceof URL ? fetchFileSource(folder, onProgress ? { onProgress } : {}) : folder;
  const loaded = await loadOnBackend(source, {
    ...shared,
    backend: probe === undefined ? webBackend : createWebBackend({ probe }),
    sessionOptions: {
      graphOptimizationLevel: 'all',
      // onnxruntime warns (through console.error) about shape ops it places on the CPU on purpose.
      logSeverityLevel: 3,
      ...options.sessionOptions,
    },
  });
  return loaded as WebLoadedModel;
}
