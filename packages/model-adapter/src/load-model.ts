import { ModelError } from '@reasonflow/core';
import type { ResourceCounts } from './decoder.js';
import type { FileProgress } from './fetch-file-source.js';
import type { ModelFileSource } from './file-source.js';
import { HostKvCacheOps, type KvCacheOps } from './kv-cache-ops.js';
import { type LoadedModel, loadModelFolder } from './load.js';
import type { ModelEventListener } from './model-events.js';
import type { ModelDtype } from './model-files.js';
import { OnnxKvCacheOps } from './onnx-kv-cache-ops.js';
import type { OnnxRuntime, OrtSessionOptions } from './runtime.js';
import { type BackendDevice, createBackendSession, nextDevice, type RuntimeBackend, resolveBackend, resolveDevice } from './runtime-backend.js';

/** Options of `loadModel`, the same for every backend. */
export interface LoadModelOptions {
  /** `auto` (default): the backend's first available device, falling back along its list (one warning). */
  readonly device?: string;
  /** The backend, or the name of a registered one; default: the highest-priority registered backend offering `device`. */
  readonly backend?: RuntimeBackend | string;
  /** Which weights to load (`fp32`, `fp16`, `q8`, `q4`, `q4f16`; transformers.js' file names); default: the first the folder has. */
  readonly dtype?: ModelDtype;
  /** More onnxruntime session options; the execution providers come from the device. */
  readonly sessionOptions?: OrtSessionOptions;
  /** Load the inputs_embeds pair when present (default true). */
  readonly inputsEmbeds?: boolean;
  /** Receives the one-line fallback warning (default `console.warn`). */
  readonly onWarning?: (message: string) => void;
  /** Hears once per model weight file read (or downloaded), in the file source's shape. */
  readonly onProgress?: (progress: FileProgress) => void;
  /** Hears the model's forward passes and KV operations (same as `model.observe`). */
  readonly onEvent?: ModelEventListener;
}

/** A model folder loaded on a device: the same shape from every backend. */
export interface DeviceLoadedModel extends LoadedModel {
  /** The device that runs the model (`cuda`, `cpu`, `webgpu`, `wasm`). */
  readonly executionProvider: string;
  /** What runs it, when the device's probe said (e.g. the WebGPU adapter). */
  readonly deviceInfo?: string;
  /** Sessions, device tensors and adapter tensors alive now (0 each once disposed). */
  resources(): ResourceCounts;
}

/**
 * Loads a model folder (see `loadModelFolder` for the layout and the validation) on a backend's
 * device. The one fallback rule: under `auto`, when onnxruntime cannot create a session on the chosen
 * device, ONE warning line and the whole folder is loaded again on the next device of the backend
 * (so a model never runs half on one device and half on another). A forced device surfaces the error;
 * problems with the folder itself never trigger a fallback.
 * @throws BackendUnavailableError when a forced device cannot run; ModelError for folder problems.
 */
export async function loadModel(source: ModelFileSource, options: LoadModelOptions = {}): Promise<DeviceLoadedModel> {
  const requested = options.device ?? 'auto';
  const backend = typeof options.backend === 'object' ? options.backend : resolveBackend({ ...(options.backend ? { name: options.backend } : {}), device: requested });
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  const resolved = await resolveDevice(backend, requested);
  if (resolved.warning !== undefined) warn(resolved.warning);
  let device: BackendDevice = resolved.device;
  let deviceInfo = resolved.availability.description;
  for (;;) {
    try {
      return await loadOnDevice(source, backend, device, deviceInfo, options);
    } catch (error) {
      const fallback = requested === 'auto' ? nextDevice(backend, device) : undefined;
      if (fallback === undefined || !sessionCreationFailed(error)) throw error;
      warn(`[reasonflow] the model could not be loaded on ${device.label} (${(error as Error).message}); running on ${fallback.label}.`);
      device = fallback;
      deviceInfo = undefined;
    }
  }
}

/** A folder problem caused by onnxruntime refusing a graph on this device (`cause` is the runtime's error). */
function sessionCreationFailed(error: unknown): boolean {
  return error instanceof ModelError && error.cause !== undefined && error.problems.some((p) => p.includes('onnxruntime cannot load it'));
}

async function loadOnDevice(
  source: ModelFileSource,
  backend: RuntimeBackend,
  device: BackendDevice,
  deviceInfo: string | undefined,
  options: LoadModelOptions,
): Promise<DeviceLoadedModel> {
  const onDevice = device.kvPlacement === 'device';
  if (onDevice && device.outputLocation === undefined) {
    throw new RangeError(`device ${device.name} keeps the KV cache on the device but names no outputLocation`);
  }
  const loaded = await loadModelFolder(source, {
    runtime: backend.runtime,
    ...(options.sessionOptions !== undefined ? { sessionOptions: options.sessionOptions } : {}),
    createSession: (model, _file, sessionOptions) => createBackendSession(backend, model, device, sessionOptions),
    kvCacheOps: (runtime) => kvCacheOpsFor(backend, device, runtime, options.sessionOptions),
    ...(onDevice ? { kvOutputLocation: device.outputLocation! } : {}),
    ...(options.inputsEmbeds !== undefined ? { inputsEmbeds: options.inputsEmbeds } : {}),
    ...(options.dtype !== undefined ? { dtype: options.dtype } : {}),
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
  });
  return {
    ...loaded,
    executionProvider: device.name,
    ...(deviceInfo !== undefined ? { deviceInfo } : {}),
    resources: () => loaded.model.resourceCounts(),
  };
}

/** Host KV cache: typed-array copies. Device KV cache: Gather/Slice graphs on the same device, outputs kept there. */
function kvCacheOpsFor(backend: RuntimeBackend, device: BackendDevice, runtime: OnnxRuntime, sessionOptions: OrtSessionOptions | undefined): KvCacheOps {
  if (device.kvPlacement === 'host') return new HostKvCacheOps(runtime);
  const deviceRuntime: OnnxRuntime = {
    Tensor: runtime.Tensor,
    InferenceSession: { create: (bytes, opts) => createBackendSession(backend, bytes, device, opts ?? {}) },
  };
  return new OnnxKvCacheOps(deviceRuntime, {
    preferredOutputLocation: device.outputLocation!,
    ...(sessionOptions?.logSeverityLevel !== undefined ? { logSeverityLevel: sessionOptions.logSeverityLevel } : {}),
  });
}
