// The surface every entry point exports.
export {
  ReasonFlow,
  type ChatMessage,
  type Device,
  type FromPretrainedOptions,
  type GenerateThoughtsOptions,
  type LoadedReasonFlowModel,
  type ReasonFlowResources,
  type SearchCallOptions,
  type SearchOutput,
  type ModelLoader,
  type TextChunk,
  type TextTokenizer,
  type ThoughtsResult,
  type ThoughtsStats,
} from './reasonflow.js';
export { TextStreamDecoder } from './text-stream.js';
export { MissingBackendError } from './missing-backend.js';
export type { FileProgress, ModelDtype } from '@reasonflow/model-adapter';
export {
  ConfigError,
  ContextLengthError,
  DEFAULT_CONFIG,
  ModelError,
  parseStepDelimiter,
  ReasonFlowError,
  UnsupportedFeatureError,
  resolveConfig,
  type IterationReport,
  type ReasonFlowConfig,
  type ReasonFlowConfigInput,
  type StopReason,
  type Strategy,
  type StrategyInput,
  type SearchCandidate,
  type SearchIteration,
  type SearchStats,
  type StepScorer,
  type StepToScore,
} from '@reasonflow/core';

import { ReasonFlow, type GenerateThoughtsOptions, type ChatMessage, type ThoughtsResult } from './reasonflow.js';

/** Function form of `ReasonFlow#generateThoughts`, mirroring the original's `generate_thoughts`. */
export function generateThoughts(
  reasonFlow: ReasonFlow,
  input: string | readonly ChatMessage[],
  options?: GenerateThoughtsOptions,
): Promise<ThoughtsResult> {
  return reasonFlow.generateThoughts(input, options);
}
