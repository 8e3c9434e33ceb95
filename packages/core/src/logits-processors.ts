import { ConfigError } from './errors.js';

/**
 * Processors applied to the fused next-token scores (log-probabilities) before the token is chosen,
 * in the order Hugging Face applies them: repetition penalty, temperature, top-k, top-p, min-p.
 * Each works in place on a vocabulary-sized Float32Array and uses scratch space allocated once.
 */
export interface SamplingOptions {
  /** > 1 penalises tokens already in the prompt or output (1 = off). */
  repetitionPenalty?: number;
  /** Divides the scores (1 = off). Only meaningful with sampling. */
  temperature?: number;
  /** Keep only the k most probable tokens (0 = off). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability sums to ≥ p (1 = off). */
  topP?: number;
  /** Drop tokens less probable than minP × the most probable one (0 = off). */
  minP?: number;
}

export function validateSamplingOptions(o: SamplingOptions): void {
  const check = (field: string, value: number | undefined, ok: (x: number) => boolean, allowed: string) => {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || !ok(value))) {
      throw new ConfigError(field, value, allowed);
    }
  };
  check('repetitionPenalty', o.repetitionPenalty, (x) => x > 0, 'a finite number > 0');
  check('temperature', o.temperature, (x) => x > 0, 'a finite number > 0');
  check('topK', o.topK, (x) => Number.isInteger(x) && x >= 0, 'an integer ≥ 0');
  check('topP', o.topP, (x) => x > 0 && x <= 1, 'a number in (0, 1]');
  check('minP', o.minP, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
}

/** Reusable processor chain for one vocabulary size. */
export class LogitsProcessorChain {
  private readonly scratch: Float32Array;
  private readonly candidates: Int32Array;

  constructor(
    readonly vocabSize: number,
    private readonly options: SamplingOptions,
  ) {
    this.scratch = new Float32Array(vocabSize);
    this.candidates = new Int32Array(vocabSize);
  }

  /** True when no processor would change anything. */
  get isIdentity(): boolean {
    const o = this.options;
    return (
      (o.repetitionPenalty ?? 1) === 1 &&
      (o.temperature ?? 1) === 1 &&
      (o.topK ?? 0) === 0 &&
      (o.topP ?? 1) === 1 &&
      (o.minP ?? 0) === 0
    );
  }

  /** Applies every enabled processor to `scores` in place. `history` holds prompt and output ids. */
  apply(scores: Float32Array, history: ArrayLike<number>): void {
    const o = this.options;
    if ((o.repetitionPenalty ?? 1) !== 1) applyRepetitionPenalty(scores, history, o.repetitionPenalty!);
    if ((o.temperature ?? 1) !== 1) applyTemperature(scores, o.temperature!);
    if ((o.topK ?? 0) > 0 && o.topK! < scores.length) applyTopK(scores, o.topK!, this.scratch);
    if ((o.topP ?? 1) < 1) applyTopP(scores, o.topP!, this.scratch, this.candidates);
    if ((o.minP ?? 0) > 0) applyMinP(scores, o.minP!);
  }
}

/** Hugging Face's rule: a positive score is divided by the penalty, a negative one multiplied. */
export function applyRepetitionPenalty(scores: Float32Array, history: ArrayLike<number>, penalty: number): void {
  const seen = new Set<number>();
  for (let i = 0; i < history.length; i++) {
    const id = history[i]!;
    if (seen.has(id) || id < 0 || id >= scores.length) continue;
    seen.add(id);
    const s = scores[id]!;
    scores[id] = s < 0 ? s * penalty : s / penalty;
  }
}

export function applyTemperature(scores: Float32Array, temperature: number): void {
  for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / temperature;
}

/** Masks everything below the k-th largest score (ties at the boundary are kept). O(V) average. */
export function applyTopK(scores: Float32Array, k: number, scratch: Float32Array): void {
  const threshold = kthLargest(scores, k, scratch);
  for (let i = 0; i < scores.length; i++) if (scores[i]! < threshold) scores[i] = Number.NEGATIVE_INFINITY;
}

/**
 * Nucleus filtering without sorting the vocabulary: quick-select the m best, widen m until they hold
 * mass ≥ p, then sort only those candidates.
 */
export function applyTopP(scores: Float32Array, p: number, scratch: Float32Array, candidates: Int32Array): void {
  const v = scores.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < v; i++) if (scores[i]! > max) max = scores[i]!;
  let total = 0;
  for (let i = 0; i < v; i++) total += Math.exp(scores[i]! - max);
  const target = p * total;
  for (let m = Math.min(64, v); ; m = Math.min(m * 4, v)) {
    const threshold = kthLargest(scores, m, scratch);
    let count = 0;
    let mass = 0;
    for (let i = 0; i < v; i++) {
      if (scores[i]! >= threshold) {
        candidates[count++] = i;
        mass += Math.exp(scores[i]! - max);
      }
    }
    if (mass < target && m < v) continue;
    const chosen = Array.from(candidates.subarray(0, count)).sort((a, b) => scores[b]! - scores[a]! || a - b);
    let cumulative = 0;
    let cutoff = Number.NEGATIVE_INFINITY;
    for (const id of chosen) {
      cumulative += Math.exp(scores[id]! - max);
      cutoff = scores[id]!;
      if (cumulative >= target) break;
    }
    for (let i = 0; i < v; i++) if (scores[i]! < cutoff) scores[i] = Number.NEGATIVE_INFINITY;
    return;
  }
}

export function applyMinP(scores: Float32Array, minP: number): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  const threshold = max + Math.log(minP);
  for (let i = 0; i < scores.length; i++) if (scores[i]! < threshold) scores[i] = Number.NEGATIVE_INFINITY;
}

/** The k-th largest value (1-based) by quick-select on a scratch copy; O(V) average. */
export function kthLargest(values: Float32Array, k: number, scratch: Float32Array): number {
  const n = values.length;
  const a = scratch.subarray(0, n);
  a.set(values);
  const target = n - k; // index of the k-th largest in ascending order
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const tmp = a[i]!;
        a[i] = a[j]!;
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target]!;
}
