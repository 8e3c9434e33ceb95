export { BackendUnavailableError } from '@reasonflow/model-adapter';
export type { FileProgress } from '@reasonflow/model-adapter';
export type { RemoteDecoderModel } from '@reasonflow/model-adapter/rpc';
export { CUDA_INSTALL_HINT } from './errors.js';
export { type CudaAvailability, type Device, type ExecutionProvider, probeCuda, resolveExecutionProvider } from './execution-provider.js';
export { type LoadModelOptions, loadModel, type NodeLoadedModel } from './load.js';
export { nodeFileSource } from './node-file-source.js';
export { loadModelInWorker, type WorkerLoadedModel } from './worker-model.js';
