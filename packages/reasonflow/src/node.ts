/**
 * Node entry: models run on onnxruntime-node — CUDA when its libraries load, the CPU otherwise —
 * on this thread, or in a worker thread with `{ worker: true }`.
 */
import { type LoadModelOptions, loadModel, loadModelInWorker } from '@reasonflow/backend-cuda';
import { ConfigError } from '@reasonflow/core';
import { type Device, type ModelLoader, setPlatformModelLoader } from './reasonflow.js';

const nodeLoader: ModelLoader = async (folder, options) => {
  const device: Device = options.device ?? 'auto';
  if (device !== 'auto' && device !== 'cuda' && device !== 'cpu') {
    throw new ConfigError('device', device, '"auto", "cuda" or "cpu" in Node');
  }
  const loadOptions: LoadModelOptions = {
    device,
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  const loaded = options.worker === true ? await loadModelInWorker(folder, loadOptions) : await loadModel(folder, loadOptions);
  return {
    model: loaded.model,
    tokenizer: loaded.tokenizer,
    executionProvider: loaded.executionProvider,
    dispose: () => loaded.dispose(),
  };
};

setPlatformModelLoader(nodeLoader);

export * from './public-api.js';
