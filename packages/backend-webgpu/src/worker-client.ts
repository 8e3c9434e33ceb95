import { ConfigError } from '@reasonflow/core';
import { type FileProgress, fetchFileSource, loadTokenizer, memoryFileSource, type ModelConfig, type ModelDtype, type ModelFileSource, type ModelTokenizer } from '@reasonflow/model-adapter';
import { eventTargetEndpoint, openRemoteModel, type RemoteDecoderModel } from '@reasonflow/model-adapter/rpc';
import type { WebDevice, WebExecutionProvider } from './execution-provider.js';
import type { OrtWebEnvironment } from './load.js';
import { cachedFetch, DEFAULT_MODEL_CACHE } from './model-cache.js';
import type { WebWorkerLoadDetails, WebWorkerLoadRequest, WebWorkerResources } from './worker-protocol.js';

export interface LoadModelInWorkerOptions {
  /** `auto` (default): WebGPU when the worker has an adapter, wasm otherwise (one warning). */
  readonly device?: WebDevice;
  /**
   * The worker to load in: a module worker whose script imports `@reasonflow/backend-webgpu/worker`.
   * Default: this package starts its own (bundlers that understand `new Worker(new URL(...))`).
   */
  readonly worker?: Worker;
  /** onnxruntime-web's environment inside the worker (where its wasm files are served, threads). */
  readonly ort?: OrtWebEnvironment;
  /** Cache API cache for the model files of a URL folder (default `reasonflow-models`); false: none. */
  readonly cache?: string | false;
  /** Load the inputs_embeds pair when present (default true). */
  readonly inputsEmbeds?: boolean;
  /** Which weights to load (`fp32`, `fp16`, `q8`, `q4`, `q4f16`: transformers.js' file names); default: the first the folder has. */
  readonly dtype?: ModelDtype;
  /** Download progress of the model files (URL folders). */
  readonly onProgress?: (progress: FileProgress) => void;
  /** Receives the worker's fallback warning (default `console.warn`). */
  readonly onWarning?: (message: string) => void;
}

/** A model loaded in a Web Worker; the tokenizer (and so the engine) runs on the calling thread. */
export interface WorkerWebLoadedModel {
  /** Core's `DecoderModel`; each call is a message to the worker. `resources()` counts the worker's. */
  readonly model: RemoteDecoderModel<WebWorkerResources>;
  readonly tokenizer: ModelTokenizer;
  readonly config: ModelConfig;
  readonly generationConfig: Readonly<Record<string, unknown>>;
  readonly executionProvider: WebExecutionProvider;
  /** The WebGPU adapter's description (WebGPU only). */
  readonly adapter?: string;
  /** The onnxruntime-web version in the worker. */
  readonly ortVersion: string;
  /** Releases the model and ends the worker. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Loads a model folder in a Web Worker (onnxruntime-web, WebGPU or wasm) and returns it as core's
 * `DecoderModel` over model-adapter's RPC, like WebLLM's `CreateWebWorkerMLCEngine`, but at the model
 * level: the engine runs on the calling thread and only forward passes and KV operations go to the
 * worker, so an abort takes effect between forward steps on every device. `folder` is a folder URL
 * (cached with the Cache API unless `cache: false`) or picked files keyed by relative path (see
 * `filesByRelativePath`).
 */
export async function loadModelInWorker(folder: string | URL | Readonly<Record<string, Blob>>, options: LoadModelInWorkerOptions = {}): Promise<WorkerWebLoadedModel> {
  const device = options.device ?? 'auto';
  if (device !== 'auto' && device !== 'webgpu' && device !== 'wasm') throw new ConfigError('device', device, '"auto", "webgpu" or "wasm"');
  const cache = options.cache === undefined ? DEFAULT_MODEL_CACHE : options.cache;
  let source: WebWorkerLoadRequest['source'];
  let tokenizerSource: ModelFileSource;
  if (typeof folder === 'string' || folder instanceof URL) {
    const url = new URL(folder, (globalThis as { location?: { href: string } }).location?.href).href;
    source = { url, cache: cache === false ? null : cache };
    tokenizerSource = fetchFileSource(url, cache === false ? {} : { fetch: cachedFetch(cache) });
  } else {
    source = { files: folder, description: 'local folder' };
    tokenizerSource = memoryFileSource(folder, 'local folder');
  }
  const worker = options.worker ?? new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'reasonflow-model' });
  const request: WebWorkerLoadRequest = {
    source,
    device,
    ort: options.ort ?? {},
    ...(options.inputsEmbeds !== undefined ? { inputsEmbeds: options.inputsEmbeds } : {}),
    ...(options.dtype !== undefined ? { dtype: options.dtype } : {}),
    reportProgress: options.onProgress !== undefined,
  };
  const { model, details } = await openRemoteModel<WebWorkerLoadDetails, WebWorkerResources>(eventTargetEndpoint(worker), request, {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  let tokenizer: ModelTokenizer;
  try {
    tokenizer = await loadTokenizer(tokenizerSource);
  } catch (error) {
    await model.dispose();
    throw error;
  }
  return { model, tokenizer, ...details, dispose: () => model.dispose() };
}
