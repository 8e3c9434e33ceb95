/**
 * `@reasonflow/core/algorithms`: the building blocks the engine and strategies are made of (schedules,
 * perturbation, path scoring, selection, fusion, logits processors, resampling, voting, the RowBatch),
 * for writing a strategy of your own. Lower-level than the main entry and more likely to change.
 */
export { GENERATE_OPTION_NAMES, SNAKE_CASE_GENERATE_OPTIONS } from './generate-options.js';
export { checkGenerationMemory } from './memory-estimate.js';
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
  applyMinP,
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  kthLargest,
} from './logits-processors.js';
export { argmaxOf, sampleFromScores } from './sampling.js';
export { StopChecker, type StopOptions } from './stop-conditions.js';
export { RowBatch, type RowBatchStats } from './row-batch.js';
export { systematicResample, softmaxWeights } from './strategies/resampling.js';
export { weightedVote } from './strategies/voting.js';
export { percentile, tokenConfidence } from './strategies/confidence.js';
export { StepBoundary } from './strategies/step-boundary.js';
