/**
 * DeepConf's token confidence: −mean of the top-k log-probabilities at a position. A peaked
 * distribution (top-1 ≈ 1, the rest tiny) scores high; a flat one scores low.
 */
export function tokenConfidence(topLogProbs: ArrayLike<number>, offset: number, k: number): number {
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const v = topLogProbs[offset + j]!;
    // A −∞ entry (a masked token) would make every peaked row infinitely confident; cap it.
    sum += Math.max(v, MIN_LOG_PROB);
  }
  return -sum / k;
}

/** Floor for log-probabilities entering a confidence (e^−100 is zero at float32). */
const MIN_LOG_PROB = -100;

/** The p-th percentile (0–100) of `values`, linear between order statistics. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const position = (p / 100) * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** Mean of values[from..to). */
export function meanOf(values: readonly number[], from = 0, to = values.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += values[i]!;
  return to > from ? s / (to - from) : Number.NaN;
}
