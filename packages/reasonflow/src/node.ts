/**
 * Node entry: models run on onnxruntime-node — CUDA when its libraries load, the CPU otherwise — on
 * this thread, or in a worker thread with `{ worker: true }`. @reasonflow/backend-cuda is an optional
 * peer dependency imported on first load, so that `import 'reasonflow'` works without it (a custom
 * `loader`) and a missing one is a typed error.
 */
import type { LoadModelOptions } from '@reasonflow/backend-cuda';
import { ConfigError } from '@reasonflow/core';
import { importBackend } from './missing-backend.js';
import { type Device, type ModelLoader, setPlatformModelLoader } from './reasonflow.js';

const nodeLoader: ModelLoader = async (folder, options) => {
  const device: Device = options.device ?? 'auto';
  if (device !== 'auto' && device !== 'cuda' && device !== 'cpu') {
    throw new ConfigError('device', device, '"auto", "cuda" or "cpu" in Node');
  }
  const backend = await importBackend('@reasonflow/backend-cuda', 'Node', () => import('@reasonflow/backend-cuda'));
  const loadOptions: LoadModelOptions = {
    device,
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    ...(options.dtype !== undefined ? { dtype: options.dtype } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  const loaded = options.worker === true ? await backend.loadModelInWorker(folder, loadOptions) : await backend.loadModel(folder, loadOptions);
  return {
    model: loaded.model,
    tokenizer: loaded.tokenizer,
    executionProvider: loaded.executionProvider,
    dispose: () => loaded.dispose(),
  };
};

setPlatformModelLoader(nodeLoader);

export * from './public-api.js';
