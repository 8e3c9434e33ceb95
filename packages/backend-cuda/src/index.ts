/** @deprecated Import it from `@reasonflow/core` (kept here so existing imports keep working). */
export { BackendUnavailableError } from '@reasonflow/core';
export type { FileProgress } from '@reasonflow/model-adapter';
export type { RemoteDecoderModel } from '@reasonflow/model-adapter/rpc';
export { CUDA_INSTALL_HINT } from './errors.js';
export { createNodeBackend, type NodeBackendOptions, nodeBackend, resolveExecutionProvider } from './backend.js';
export { type CudaAvailability, type Device, type ExecutionProvider, probeCuda } from './execution-provider.js';
export { type LoadModelOptions, loadModel, type NodeLoadedModel } from './load.js';
export { nodeFileSource } from './node-file-source.js';
export { loadModelInWorker, type WorkerLoadedModel } from './worker-model.js';
