export { RemotePathSource, type RemotePathSourceOptions } from './remote-path-source.js';
export { RemoteEngineError, type RemoteEngineKind, RemoteTimeoutError, TopLogProbsLimitError } from './errors.js';
export type { RemoteUsage } from './protocol.js';
/**
 * The searches over any PathSource, re-exported from core so one import runs a remote search:
 * ReasonFlow (`generateOverPaths`) and every strategy of `generateWith` (`searchOverPaths`).
 */
export {
  generateOverPaths,
  type PathGenerationResult,
  type PathGenerationStats,
  type PathSearchOptions,
  type PathStrategyOptions,
  type PathStrategyResult,
  type PathStrategyStats,
  searchOverPaths,
  type StrategyInput,
} from '@reasonflow/core';
