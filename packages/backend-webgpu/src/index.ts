export {
  probeWebGpu,
  resolveWebExecutionProvider,
  WEBGPU_HINT,
  type WebDevice,
  type WebExecutionProvider,
  type WebGpuAvailability,
} from './execution-provider.js';
export {
  BackendUnavailableError,
  type FetchFileSourceOptions,
  type FileProgress,
  fetchFileSource,
  type ModelFileSource,
  memoryFileSource,
} from '@reasonflow/model-adapter';
export {
  configureOrtWeb,
  loadModel,
  ORT_WEB_VERSION,
  type OrtWebEnvironment,
  type WebLoadedModel,
  type WebLoadModelOptions,
} from './load.js';
export type { ResourceCounts } from './resource-counter.js';
export { blobFileSource, filesByRelativePath } from './blob-file-source.js';
export { cachedFetch, clearModelCache, DEFAULT_MODEL_CACHE } from './model-cache.js';
export { type LoadModelInWorkerOptions, loadModelInWorker, type WorkerWebLoadedModel } from './worker-client.js';
export type { WebWorkerResources } from './worker-protocol.js';
export type { RemoteDecoderModel } from '@reasonflow/model-adapter/rpc';
