// The public API of @reasonflow/core: the engine and strategies, their configuration and errors, the
// model and tensor-backend contracts. The algorithm's building blocks are on '@reasonflow/core/algorithms'.
export * from './errors.js';
export * from './config.js';
export {
  resolveGenerateOptions,
  type ExtraOptionNames,
  type GenerateOptionsInput,
} from './generate-options.js';
export {
  DEFAULT_MEMORY_LIMIT_BYTES,
  estimateGenerationMemory,
  type GenerationShape,
  type MemoryEstimate,
} from './memory-estimate.js';
export { closestName } from './option-names.js';
export type { PromptIds } from './prompt-ids.js';
export type * from './tensor-backend.js';
export type * from './model.js';
export type * from './engine-events.js';
export { ReferenceBackend } from './reference-backend.js';
export { defaultTensorBackend, SimdBackend } from './simd/simd-backend.js';
export { logitsToHost, logitsToTensor } from './logits.js';
export { float16BitsInto } from './float16.js';
export { callbackStream } from './callback-stream.js';
export { LogitsProcessorChain, type SamplingOptions } from './logits-processors.js';
export type { StopReason } from './stop-conditions.js';
export {
  ReasonFlowEngine,
  type CommittedToken,
  type EngineOptions,
  type GenerateOptions,
  type GenerationResult,
  type GenerationStats,
  type IterationReport,
  type ThinkerReport,
} from './engine.js';
export { generateWith, streamWith } from './strategies/search.js';
export { resolveSearchOptions, resolveStrategy } from './strategies/validate.js';
export { meanLogProbStepScorer } from './strategies/guided-search.js';
export { parseStepDelimiter } from './strategies/step-boundary.js';
export type * from './strategies/types.js';
export { SNAKE_CASE_STRATEGY_FIELDS } from './strategies/types.js';
export type * from './path-source.js';
export { DecoderPathSource } from './decoder-path-source.js';
export {
  generateOverPaths,
  type PathGenerationResult,
  type PathGenerationStats,
  type PathSearchOptions,
} from './path-search.js';
export {
  type PathStrategyOptions,
  type PathStrategyResult,
  type PathStrategyStats,
  searchOverPaths,
} from './strategies/over-paths.js';
export { isCertified, topKColumns, type TopKColumns } from './top-k-distribution.js';
