export { probeWebGpu, WEBGPU_HINT, type WebDevice, type WebExecutionProvider, type WebGpuAvailability } from './execution-provider.js';
export { createWebBackend, resolveWebExecutionProvider, type WebBackendOptions, webBackend } from './backend.js';
/** @deprecated Import it from `@reasonflow/core` (kept here so existing imports keep working). */
export { BackendUnavailableError } from '@reasonflow/core';
export {
  type FetchFileSourceOptions,
  type FileProgress,
  fetchFileSource,
  type ModelFileSource,
  memoryFileSource,
  type ResourceCounts,
} from '@reasonflow/model-adapter';
export {
  configureOrtWeb,
  loadModel,
  ORT_WEB_VERSION,
  type OrtWebEnvironment,
  type WebLoadedModel,
  type WebLoadModelOptions,
} from './load.js';
export { filesByRelativePath } from './picked-folder.js';
export { cachedFetch, clearModelCache, DEFAULT_MODEL_CACHE } from './model-cache.js';
export { type LoadModelInWorkerOptions, loadModelInWorker, type WorkerWebLoadedModel } from './worker-client.js';
export type { WebWorkerResources } from './worker-protocol.js';
export type { RemoteDecoderModel } from '@reasonflow/model-adapter/rpc';
