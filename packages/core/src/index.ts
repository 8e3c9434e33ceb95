export * from './errors.js';
export * from './config.js';
export {
  GENERATE_OPTION_NAMES,
  SNAKE_CASE_GENERATE_OPTIONS,
  resolveGenerateOptions,
  type ExtraOptionNames,
  type GenerateOptionsInput,
} from './generate-options.js';
export {
  DEFAULT_MEMORY_LIMIT_BYTES,
  checkGenerationMemory,
  estimateGenerationMemory,
  type GenerationShape,
  type MemoryEstimate,
} from './memory-estimate.js';
export { closestName } from './option-names.js';
export type * from './tensor-backend.js';
export type * from './model.js';
export type * from './engine-events.js';
export { ReferenceBackend } from './reference-backend.js';
export { logitsToHost, logitsToTensor } from './logits.js';
export { callbackStream } from './callback-stream.js';
export { hashUniform, mixSeeds, SeededRandom } from './random.js';
export { scheduleTemperatures } from './temperature-schedule.js';
export { adaptAcceptanceThreshold } from './acceptance-threshold.js';
export { uncertainty, acceptanceRate } from './uncertainty.js';
export { perturbThinker, perturbedArgmaxPosition, type Perturbation } from './perturbation.js';
export { applyEmbeddingNoise, gumbelSubstitute, thinkerNoiseSeed } from './embedding-noise.js';
export { accumulatePathLogLikelihood, originalPathQuality } from './path-scoring.js';
export { selectThinkers, type Selection } from './selection.js';
export { fusionWeights } from './fusion.js';
export {
  LogitsProcessorChain,
  type SamplingOptions,
  applyMinP,
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  kthLargest,
} from './logits-processors.js';
export { argmaxOf, sampleFromScores } from './sampling.js';
export { StopChecker, type StopOptions, type StopReason } from './stop-conditions.js';
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
export { RowBatch, type RowBatchStats } from './row-batch.js';
export { generateWith, streamWith } from './strategies/search.js';
export { resolveSearchOptions, resolveStrategy } from './strategies/validate.js';
export { systematicResample, softmaxWeights } from './strategies/resampling.js';
export { weightedVote } from './strategies/voting.js';
export { percentile, tokenConfidence } from './strategies/confidence.js';
export { meanLogProbStepScorer } from './strategies/guided-search.js';
export { StepBoundary } from './strategies/step-boundary.js';
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
export { isCertified, topKColumns, type TopKColumns } from './top-k-distribution.js';
