/** Scores of every thinker and the K selected, best first. */
export interface Selection {
  /** Quality min-max normalised to [0, 1] (all 0 when every thinker scored the same). */
  readonly quality: Float64Array;
  /** 1 − mean cosine similarity to the other thinkers (0 for a single thinker). */
  readonly diversity: Float64Array;
  readonly combined: Float64Array;
  /** Indices of the K best thinkers by combined score, best first; ties keep the lower index. */
  readonly selected: Int32Array;
}

/** Below this diversity weight the original uses quality alone. */
export const MIN_DIVERSITY_WEIGHT = 0.001;

/**
 * The original's selection: combined = (1 − w)·quality + w·diversity, with quality min-max normalised
 * and diversity = 1 − mean cosine similarity of a thinker's distribution to the others'.
 * @param cosine `N × N` similarity matrix; may be omitted when w < 0.001 (diversity is then unused).
 */
export function selectThinkers(
  rawQuality: ArrayLike<number>,
  cosine: ArrayLike<number> | undefined,
  diversityWeight: number,
  k: number,
): Selection {
  const n = rawQuality.length;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    min = Math.min(min, rawQuality[i]!);
    max = Math.max(max, rawQuality[i]!);
  }
  const range = max - min;
  const quality = new Float64Array(n);
  for (let i = 0; i < n; i++) quality[i] = range > 0 && Number.isFinite(range) ? (rawQuality[i]! - min) / range : 0;

  const diversity = new Float64Array(n);
  if (cosine && n > 1) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) if (j !== i) sum += cosine[i * n + j]!;
      diversity[i] = 1 - sum / (n - 1);
    }
  }

  const useDiversity = diversityWeight >= MIN_DIVERSITY_WEIGHT;
  const combined = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    combined[i] = useDiversity ? (1 - diversityWeight) * quality[i]! + diversityWeight * diversity[i]! : quality[i]!;
  }

  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => combined[b]! - combined[a]! || a - b);
  return { quality, diversity, combined, selected: Int32Array.from(order.slice(0, Math.min(k, n))) };
}
