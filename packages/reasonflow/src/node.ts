/**
 * Node entry: models run on onnxruntime-node — CUDA when its libraries load, the CPU otherwise —
 * through @reasonflow/backend-cuda, an optional peer dependency imported on first load, so that
 * `import 'reasonflow'` works without it (a custom `loader`) and a missing one is a typed error.
 */
import { importBackend } from './missing-backend.js';
import { type Device, type ModelLoader, setPlatformModelLoader } from './reasonflow.js';

const nodeLoader: ModelLoader = async (folder, options) => {
  const device: Device = options.device ?? 'auto';
  if (device !== 'auto' && device !== 'cuda' && device !== 'cpu') {
    const { ConfigError } = await import('@reasonflow/core');
    throw new ConfigError('device', device, '"auto", "cuda" or "cpu" in Node');
  }
  const { loadModel } = await importBackend('@reasonflow/backend-cuda', 'Node', () => import('@reasonflow/backend-cuda'));
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
