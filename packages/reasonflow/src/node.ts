/**
 * Node entry: models run on onnxruntime-node — CUDA when its libraries load, the CPU otherwise.
 */
import { loadModel } from '@reasonflow/backend-cuda';
import { type Device, type ModelLoader, setPlatformModelLoader } from './reasonflow.js';

const nodeLoader: ModelLoader = async (folder, options) => {
  const device: Device = options.device ?? 'auto';
  if (device !== 'auto' && device !== 'cuda' && device !== 'cpu') {
    const { ConfigError } = await import('@reasonflow/core');
    throw new ConfigError('device', device, '"auto", "cuda" or "cpu" in Node');
  }
  const loaded = await loadModel(folder, {
    device,
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return {
    model: loaded.model,
    tokenizer: loaded.tokenizer,
    executionProvider: loaded.executionProvider,
    dispose: () => loaded.dispose(),
  };
};

setPlatformModelLoader(nodeLoader);

export * from './public-api.js';
