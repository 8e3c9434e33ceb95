import { ConfigError } from './errors.js';
import type { DecoderModelInfo } from './model.js';

/**
 * Default bound on one generation's estimated memory: 8 GiB. A fixed figure because core runs
 * anywhere (Node, browsers, GPU memory); raise it with `EngineOptions.memoryLimitBytes`.
 */
export const DEFAULT_MEMORY_LIMIT_BYTES = 8 * 2 ** 30;

const FLOAT32_BYTES = 4;

export interface GenerationShape {
  /** Batch rows (numOfThinkers). */
  readonly rows: number;
  /** Lookahead steps per iteration. */
  readonly thoughts: number;
  readonly promptLength: number;
  readonly maxNewTokens: number;
}

export interface MemoryEstimate {
  /** Every row's KV cache at the longest length the run can reach (0 when the model does not say its KV size). */
  readonly kvCacheBytes: number;
  /** Logits alive at once: the prompt forward's `rows × prompt × vocab`, then one `rows × vocab` per lookahead step. */
  readonly logitsBytes: number;
  readonly totalBytes: number;
  /** The cache length the estimate assumes. */
  readonly positions: number;
}

/** Memory a generation of this shape needs on this model, from the model's sizes alone. */
export function estimateGenerationMemory(info: DecoderModelInfo, shape: GenerationShape): MemoryEstimate {
  const positions = Math.min(info.maxSequenceLength, shape.promptLength + shape.maxNewTokens + shape.thoughts);
  const kvCacheBytes = shape.rows * (info.kvBytesPerPosition ?? 0) * positions;
  const logitsBytes = shape.rows * info.vocabSize * FLOAT32_BYTES * (shape.promptLength + shape.thoughts + 1);
  return { kvCacheBytes, logitsBytes, totalBytes: kvCacheBytes + logitsBytes, positions };
}

/**
 * Refuses a generation whose estimate exceeds `limitBytes` before anything is allocated: a huge
 * `numOfThinkers` must fail with a message, not exhaust the machine.
 * @throws ConfigError naming `numOfThinkers` (or `maxNewTokens` for a single thinker), the estimate and the limit.
 */
export function checkGenerationMemory(
  info: DecoderModelInfo,
  shape: GenerationShape,
  limitBytes: number,
): MemoryEstimate {
  const estimate = estimateGenerationMemory(info, shape);
  if (estimate.totalBytes > limitBytes) {
    const [field, value] = shape.rows > 1 ? ['numOfThinkers', shape.rows] : ['maxNewTokens', shape.maxNewTokens];
    throw new ConfigError(
      field,
      value,
      `a setting that fits the memory limit: estimated ${formatBytes(estimate.totalBytes)} ` +
        `(KV cache ${formatBytes(estimate.kvCacheBytes)} for ${shape.rows} rows × ${estimate.positions} positions, ` +
        `logits ${formatBytes(estimate.logitsBytes)}) exceeds the limit of ${formatBytes(limitBytes)} ` +
        '(EngineOptions.memoryLimitBytes)',
    );
  }
  return estimate;
}

export function validateMemoryLimit(limitBytes: unknown): number {
  if (typeof limitBytes !== 'number' || !(limitBytes > 0) || Number.isNaN(limitBytes)) {
    throw new ConfigError('memoryLimitBytes', limitBytes, 'a number of bytes > 0 (Infinity turns the check off)');
  }
  return limitBytes;
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} B`;
}
