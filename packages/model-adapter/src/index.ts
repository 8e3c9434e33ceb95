export { type ModelFileSource, memoryFileSource } from './file-source.js';
export { type FetchFileSourceOptions, type FileProgress, fetchFileSource } from './fetch-file-source.js';
export { createOrtSession, type OnnxRuntime, type OrtSession, type OrtSessionOptions, type OrtTensor, type SessionFactory } from './runtime.js';
export { type LoadedModel, type LoadModelFolderOptions, loadModelFolder, loadTokenizer, MODEL_FILES } from './load.js';
export { type DeviceLoadedModel, type LoadModelOptions, loadModel } from './load-model.js';
export {
  type BackendDevice,
  type DeviceAvailability,
  type KvPlacement,
  type ResolvedDevice,
  type RuntimeBackend,
  registerBackend,
  resolveBackend,
  resolveDevice,
} from './runtime-backend.js';
export type { ModelEvent, ModelEventListener, ModelForwardEvent, ModelKvEvent } from './model-events.js';
export { OnnxDecoderModel, OnnxDecoderSequence, type ResourceCounts } from './decoder.js';
export type { ModelConfig } from './model-config.js';
export { DtypeUnavailableError, MODEL_DTYPES, type ModelDtype } from './model-files.js';
export type { ChatMessage, ChatTemplateOptions, ModelTokenizer } from './tokenizer.js';
export { HostKvCacheOps, type KvCacheOps } from './kv-cache-ops.js';
export { OnnxKvCacheOps } from './onnx-kv-cache-ops.js';
/** @deprecated Import it from `@reasonflow/core` (kept here so existing imports keep working). */
export { BackendUnavailableError } from '@reasonflow/core';
