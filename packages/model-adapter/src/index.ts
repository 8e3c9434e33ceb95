export { type ModelFileSource, memoryFileSource } from './file-source.js';
export { type FetchFileSourceOptions, type FileProgress, fetchFileSource } from './fetch-file-source.js';
export type { OnnxRuntime, OrtSession, OrtSessionOptions, OrtTensor, SessionFactory } from './runtime.js';
export { type LoadedModel, type LoadModelFolderOptions, loadModelFolder, loadTokenizer, MODEL_FILES } from './load.js';
export { OnnxDecoderModel, OnnxDecoderSequence } from './decoder.js';
export type { ModelConfig } from './model-config.js';
export type { ChatMessage, ChatTemplateOptions, ModelTokenizer } from './tokenizer.js';
export { HostKvCacheOps, type KvCacheOps } from './kv-cache-ops.js';
export { OnnxKvCacheOps } from './onnx-kv-cache-ops.js';
export {
  encodeOnnxModel,
  OnnxDataType,
  type OnnxAttributeValue,
  type OnnxDataTypeName,
  type OnnxGraph,
  type OnnxNode,
  type OnnxTensorInit,
  type OnnxValueInfo,
} from './onnx-builder.js';
export {
  type AcceleratorFallback,
  BackendUnavailableError,
  type ProviderAvailability,
  resolveProvider,
} from './execution-provider.js';
