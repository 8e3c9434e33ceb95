/**
 * Systematic resampling: one uniform `u` in [0, 1) places `count` evenly spaced pointers
 * (u + i) / count on the cumulative normalised weights; pointer i picks the particle it lands in.
 * Low variance (each particle is copied ⌊count·w⌋ or ⌈count·w⌉ times) and deterministic given u.
 * @returns for each new particle, the index of its parent (non-decreasing)
 */
export function systematicResample(weights: ArrayLike<number>, count: number, u: number): Int32Array {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i]!;
  if (!(total > 0) || !Number.isFinite(total)) throw new RangeError('systematicResample needs finite weights with a positive sum');
  const parents = new Int32Array(count);
  let cumulative = weights[0]! / total;
  let j = 0;
  for (let i = 0; i < count; i++) {
    const pointer = (u + i) / count;
    while (pointer >= cumulative && j < weights.length - 1) {
      j++;
      cumulative += weights[j]! / total;
    }
    // Rounding can leave the last pointer past the sum; skip zero-weight particles at the tail.
    let parent = j;
    while (weights[parent]! === 0 && parent > 0) parent--;
    parents[i] = parent;
  }
  return parents;
}

/** Normalised weights softmax(scores / temperature); -Infinity scores get weight 0. All -Infinity: undefined. */
export function softmaxWeights(scores: readonly number[], temperature: number): number[] | undefined {
  const max = Math.max(...scores);
  if (max === Number.NEGATIVE_INFINITY) return undefined;
  const w = scores.map((s) => (s === Number.NEGATIVE_INFINITY ? 0 : Math.exp((s - max) / temperature)));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}
