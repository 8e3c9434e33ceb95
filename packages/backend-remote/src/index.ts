export { RemotePathSource, type RemotePathSourceOptions } from './remote-path-source.js';
export { RemoteEngineError, type RemoteEngineKind, RemoteTimeoutError, TopLogProbsLimitError } from './errors.js';
export type { RemoteUsage } from './protocol.js';
/** ReasonFlow over any PathSource, re-exported from core so one import runs a remote search. */
export { generateOverPaths, type PathGenerationResult, type PathGenerationStats, type PathSearchOptions } from '@reasonflow/core';
