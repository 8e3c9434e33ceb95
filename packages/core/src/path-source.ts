/**
 * The iteration-level seam: "extend these rows' token paths by a few steps and tell me, for every
 * generated token, the top-k log-probabilities it was drawn from". A local DecoderModel
 * (`DecoderPathSource`) and a remote inference server (`@reasonflow/backend-remote`) both implement
 * it, and `generateOverPaths` runs ReasonFlow's selection, fusion and acceptance on top of it. It is
 * coarser than `DecoderSequence` (no KV operations, no full logits), so a server can answer one
 * iteration of N thinkers in one round trip and reuse KV through its own prefix cache.
 */
export interface PathSource {
  /** Short name shown in stats, e.g. `sglang`. */
  readonly name: string;
  readonly vocabSize: number;
  readonly maxSequenceLength: number;
  readonly eosTokenIds: readonly number[];
  /** Largest number of top log-probabilities the source returns per step (k). */
  readonly maxTopLogProbs: number;
  /**
   * Extends `prefix` once per row: the row's `forced` tokens are appended as given, then `steps`
   * tokens are generated. Results are in row order. Rejects with the source's typed errors; when
   * `signal` aborts, pending work is cancelled and the promise rejects.
   */
  extend(prefix: readonly number[], rows: readonly PathRowRequest[], options: PathExtendOptions): Promise<PathRowResult[]>;
}

export interface PathRowRequest {
  /** Tokens appended after the prefix before generation (e.g. a thinker's chosen step-0 token). */
  readonly forced: readonly number[];
  /** Tokens to generate after the forced ones (≥ 1). */
  readonly steps: number;
  /** Sampling temperature of the generated tokens; 0 = greedy (the argmax). */
  readonly temperature: number;
  /** Seed of the row's sampler when temperature > 0. */
  readonly seed?: number;
}

export interface PathExtendOptions {
  /** Top log-probabilities wanted per step (≤ `maxTopLogProbs`). */
  readonly topLogProbs: number;
  readonly signal?: AbortSignal;
}

/** The most probable tokens of one next-token distribution, most probable first. */
export interface TopLogProbs {
  readonly ids: readonly number[];
  readonly logProbs: readonly number[];
}

export interface PathRowResult {
  /** Generated tokens (not the forced ones); shorter than `steps` only when the context is full. */
  readonly tokens: readonly number[];
  /** The log-probability of each generated token under the (untempered) model. */
  readonly logProbs: readonly number[];
  /** `top[i]`: the distribution `tokens[i]` was drawn from (after the prefix, forced and earlier tokens). */
  readonly top: readonly TopLogProbs[];
}
