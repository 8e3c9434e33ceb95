/** Pure statistics of the benchmark: medians, ratios, accuracy, voting, pass@N. */

/** The median of `values` (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** `value / baseline`; NaN when the baseline is 0 or not finite. */
export function ratio(value: number, baseline: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return Number.NaN;
  return value / baseline;
}

/**
 * Median of the per-repetition ratios `values[i] / baselines[i]` (repetitions are interleaved, so
 * each pair saw the same machine load).
 */
export function medianRatio(values: readonly number[], baselines: readonly number[]): number {
  if (values.length !== baselines.length) throw new RangeError('medianRatio needs one baseline per value');
  return median(values.map((v, i) => ratio(v, baselines[i]!)).filter((r) => !Number.isNaN(r)));
}

/** Relative overhead `time / baselineTime − 1`, as the median over paired repetitions. */
export function medianOverhead(times: readonly number[], baselineTimes: readonly number[]): number {
  return medianRatio(times, baselineTimes) - 1;
}

/** Fraction of `true`; NaN for an empty list. */
export function accuracy(correct: readonly boolean[]): number {
  if (correct.length === 0) return Number.NaN;
  return correct.filter(Boolean).length / correct.length;
}

/**
 * The most frequent non-null answer; ties go to the answer that appeared first. Null when every
 * answer is null (no sample produced an extractable answer).
 */
export function majorityVote(answers: readonly (string | null)[]): string | null {
  // A Map iterates in insertion order, i.e. by first appearance: strict > keeps the earliest on ties.
  const counts = new Map<string, number>();
  for (const a of answers) if (a !== null) counts.set(a, (counts.get(a) ?? 0) + 1);
  let best: string | null = null;
  let bestCount = 0;
  for (const [answer, count] of counts) {
    if (count > bestCount) {
      best = answer;
      bestCount = count;
    }
  }
  return best;
}

/** Index of the largest score (first on ties); -1 for none. NaN scores never win. */
export function argmaxIndex(scores: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (Number.isNaN(s)) continue;
    if (best < 0 || s > scores[best]!) best = i;
  }
  return best;
}

/** pass@n by the checker: is any of the first `n` samples correct? */
export function passAtN(correct: readonly boolean[], n: number): boolean {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer ≥ 1, got ${n}`);
  return correct.slice(0, n).some(Boolean);
}

/** Sum of log-softmax(logits)[token] — the log-probability of `token` under `logits`. */
export function logProbOf(logits: Float32Array | readonly number[], offset: number, width: number, token: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < width; i++) max = Math.max(max, logits[offset + i]!);
  let sum = 0;
  for (let i = 0; i < width; i++) sum += Math.exp(logits[offset + i]! - max);
  return logits[offset + token]! - max - Math.log(sum);
}

/** Index of the largest of `width` values from `offset` (first on ties). */
export function argmaxAt(values: Float32Array, offset: number, width: number): number {
  let best = 0;
  let bestValue = values[offset]!;
  for (let i = 1; i < width; i++) {
    const v = values[offset + i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * Two-sided exact sign test (McNemar's exact test) for paired outcomes: `gained` problems one method
 * got right and the other wrong, `lost` the reverse. The probability, under "no difference" (each
 * discordant problem a fair coin), of a split at least this uneven. 1 when there is no discordant pair.
 */
export function signTestP(gained: number, lost: number): number {
  const n = gained + lost;
  if (n === 0) return 1;
  const k = Math.max(gained, lost);
  // Σ_{i=k..n} C(n, i) / 2^n, in log space so that large n does not overflow.
  const logHalfN = -n * Math.LN2;
  let logC = 0; // log C(n, 0)
  let tail = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log((n - i + 1) / i);
    if (i >= k) tail += Math.exp(logC + logHalfN);
  }
  return Math.min(1, 2 * tail);
}

/** float16 bit pattern → float32 value, for all 65,536 patterns (built once). */
let float16Table: Float32Array | undefined;
function float16Values(): Float32Array {
  if (float16Table) return float16Table;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) table[h] = (sign ? -1 : 1) * mant * 2 ** -24;
    else if (exp === 31) bits[h] = sign | 0x7f800000 | (mant << 13);
    else bits[h] = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float16Table = table;
  return table;
}

/** Index of the largest of `width` float16 values (raw bits) from `offset` (first on ties). */
export function argmaxFloat16At(bits: Uint16Array, offset: number, width: number): number {
  const values = float16Values();
  let best = 0;
  let bestValue = values[bits[offset]!]!;
  for (let i = 1; i < width; i++) {
    const v = values[bits[offset + i]!]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}
