import {
  type FileProgress,
  fetchFileSource,
  HostKvCacheOps,
  type KvCacheOps,
  type LoadedModel,
  loadModelFolder,
  type ModelFileSource,
  MODEL_FILES,
  OnnxKvCacheOps,
  type OnnxRuntime,
  type OrtSessionOptions,
} from '@reasonflow/model-adapter';
// package.json maps this to onnxruntime-web's native WebGPU build in browsers (not the default JSEP
// build: its WebGPU kernels gave wrong logits on the embedded model, see README) and to its Node
// build (wasm only) under Node, where the browser builds cannot load.
import * as ort from '#onnxruntime-web';
import {
  probeWebGpu,
  resolveWebExecutionProvider,
  type WebDevice,
  type WebExecutionProvider,
  type WebGpuAvailability,
} from './execution-provider.js';
import { ResourceCounter, type ResourceCounts } from './resource-counter.js';

export interface WebLoadModelOptions {
  /** `auto` (default): WebGPU when an adapter is available, wasm otherwise (one warning). */
  readonly device?: WebDevice;
  /** More onnxruntime session options; `executionProviders` and `preferredOutputLocation` are set here. */
  readonly sessionOptions?: OrtSessionOptions;
  /** Load the inputs_embeds pair when present (default true). */
  readonly inputsEmbeds?: boolean;
  /** Receives the one-line fallback warning (default `console.warn`). */
  readonly onWarning?: (message: string) => void;
  /** Download progress of the model files (only when `folder` is a URL). */
  readonly onProgress?: (progress: FileProgress) => void;
  /** @internal Tests replace the WebGPU probe. */
  readonly probe?: () => Promise<WebGpuAvailability>;
}

/** A model folder loaded on onnxruntime-web. */
export interface WebLoadedModel extends LoadedModel {
  /** The execution provider that runs the model. */
  readonly executionProvider: WebExecutionProvider;
  /** The WebGPU adapter's description (WebGPU only). */
  readonly adapter?: string;
  /** Sessions, device tensors and adapter tensors alive now (0 each once disposed). */
  resources(): ResourceCounts;
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
 * Loads a model folder (see `@reasonflow/model-adapter`'s `loadModelFolder` for the layout and the
 * validation) with onnxruntime-web. `folder` is a URL of a folder served over HTTP, or any
 * `ModelFileSource`.
 *
 * On WebGPU the KV cache never leaves the device: `present.*` outputs stay GPU buffers
 * (`preferredOutputLocation: 'gpu-buffer'`) that are fed back as `past_key_values.*`, row selection
 * and rollback run as tiny Gather/Slice graphs on the same device (`OnnxKvCacheOps`), and each GPU
 * buffer is destroyed as soon as a newer one replaces it. Only the last position's logits come back.
 * @throws BackendUnavailableError when `device: 'webgpu'` has no adapter; ModelError for folder problems.
 */
export async function loadModel(folder: string | URL | ModelFileSource, options: WebLoadModelOptions = {}): Promise<WebLoadedModel> {
  const device = options.device ?? 'auto';
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  const source =
    typeof folder === 'string' || folder instanceof URL
      ? fetchFileSource(folder, options.onProgress ? { onProgress: options.onProgress } : {})
      : folder;
  const probe = options.probe ?? (() => probeWebGpu());
  const provider = await resolveWebExecutionProvider(device, warn, probe);
  if (provider === 'wasm') return loadOn('wasm', source, options);
  const { adapter } = await probe();
  try {
    return await loadOn('webgpu', source, options, adapter);
  } catch (error) {
    if (device === 'webgpu') throw error;
    warn(`[reasonflow] the model could not be loaded on WebGPU (${(error as Error).message}); running on wasm (CPU).`);
    return loadOn('wasm', source, options);
  }
}

async function loadOn(
  provider: WebExecutionProvider,
  source: ModelFileSource,
  options: WebLoadModelOptions,
  adapter?: string,
): Promise<WebLoadedModel> {
  const counter = new ResourceCounter();
  const runtime = counter.wrapRuntime(ort as unknown as OnnxRuntime);
  const sessionOptions: OrtSessionOptions = {
    graphOptimizationLevel: 'all',
    // onnxruntime warns (through console.error) about shape ops it places on the CPU on purpose.
    logSeverityLevel: 3,
    ...options.sessionOptions,
    executionProviders: [provider],
  };
  let kvCacheOps: (rt: OnnxRuntime) => KvCacheOps;
  if (provider === 'webgpu') {
    // Keep every present.* on the device; logits (and embeddings) come back to the host.
    const layers = await numLayers(source);
    const location: Record<string, 'gpu-buffer'> = {};
    for (let i = 0; i < layers; i++) {
      location[`present.${i}.key`] = 'gpu-buffer';
      location[`present.${i}.value`] = 'gpu-buffer';
    }
    sessionOptions.preferredOutputLocation = location;
    kvCacheOps = (rt) => new OnnxKvCacheOps(rt, { executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer', logSeverityLevel: 3 });
  } else {
    kvCacheOps = (rt) => new HostKvCacheOps(rt);
  }
  const loaded = await loadModelFolder(source, {
    runtime,
    sessionOptions,
    kvCacheOps,
    ...(options.inputsEmbeds !== undefined ? { inputsEmbeds: options.inputsEmbeds } : {}),
  });
  return {
    ...loaded,
    executionProvider: provider,
    ...(adapter !== undefined ? { adapter } : {}),
    resources: () => ({ ...counter.counts(), adapterTensors: loaded.model.liveTensors, sequences: loaded.model.liveSequences }),
  };
}

/** `num_hidden_layers` from config.json (0 when unreadable: loadModelFolder then reports the problem). */
async function numLayers(source: ModelFileSource): Promise<number> {
  try {
    const config = JSON.parse(await source.readText(MODEL_FILES.config)) as { num_hidden_layers?: unknown; n_layer?: unknown; num_layers?: unknown };
    const n = config.num_hidden_layers ?? config.n_layer ?? config.num_layers;
    return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}
