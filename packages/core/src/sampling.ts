/** Index of the largest score (the lowest index among ties). */
export function argmaxOf(scores: ArrayLike<number>): number {
  let best = 0;
  let bestValue = scores[0]!;
  for (let i = 1; i < scores.length; i++) {
    if (scores[i]! > bestValue) {
      bestValue = scores[i]!;
      best = i;
    }
  }
  return best;
}

/**
 * Draws a token from unnormalised log-scores by inverse CDF with a uniform `u` in [0, 1) from a seeded
 * generator. Masked entries (−∞) are never drawn.
 */
export function sampleFromScores(scores: ArrayLike<number>, u: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  let total = 0;
  for (let i = 0; i < scores.length; i++) total += Math.exp(scores[i]! - max);
  const target = u * total;
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < scores.length; i++) {
    const w = Math.exp(scores[i]! - max);
    if (w === 0) continue;
    cumulative += w;
    last = i;
    if (cumulative > target) return i;
  }
  return last; // rounding left u·total just above the sum: the last drawable token
}
