/**
 * Browser entry (package.json `exports` condition "browser"): models run on onnxruntime-web —
 * WebGPU when an adapter is available, wasm otherwise. `folder` is the URL of a model folder served
 * over HTTP (relative URLs resolve against the page or worker).
 */
import { ConfigError } from '@reasonflow/core';
import { type FileProgress, loadModel, type WebLoadedModel } from '@reasonflow/backend-webgpu';
import { type Device, type LoadedReasonFlowModel, type ModelLoader, setPlatformModelLoader } from './reasonflow.js';

export interface BrowserLoaderOptions {
  /** Download progress of the model files (`fromPretrained`'s own `onProgress` takes precedence). */
  readonly onProgress?: (progress: FileProgress) => void;
  /** Receives the loaded model (its `resources()` counts live sessions and GPU buffers). */
  readonly onLoaded?: (loaded: WebLoadedModel) => void;
}

/** A loader for `ReasonFlow.fromPretrained(url, { loader })` with progress reporting. */
export function browserModelLoader(extra: BrowserLoaderOptions = {}): ModelLoader {
  return async (folder, options): Promise<LoadedReasonFlowModel> => {
    const device: Device = options.device ?? 'auto';
    if (device !== 'auto' && device !== 'webgpu' && device !== 'wasm') {
      throw new ConfigError('device', device, '"auto", "webgpu" or "wasm" in a browser');
    }
    const onProgress = options.onProgress ?? extra.onProgress;
    const loaded = await loadModel(folder, {
      device,
      ...(options.dtype !== undefined ? { dtype: options.dtype } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    extra.onLoaded?.(loaded);
    return {
      model: loaded.model,
      tokenizer: loaded.tokenizer,
      executionProvider: loaded.executionProvider,
      dispose: () => loaded.dispose(),
    };
  };
}

setPlatformModelLoader(browserModelLoader());

export {
  clearModelCache,
  configureOrtWeb,
  filesByRelativePath,
  type LoadModelInWorkerOptions,
  loadModelInWorker,
  ORT_WEB_VERSION,
  type OrtWebEnvironment,
  type ResourceCounts,
  type WebLoadedModel,
  type WebWorkerResources,
  type WorkerWebLoadedModel,
} from '@reasonflow/backend-webgpu';
export * from './public-api.js';
