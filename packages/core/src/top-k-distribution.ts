import type { TopLogProbs } from './path-source.js';

/**
 * A next-token distribution known only by its top-k log-probabilities, laid out as tensor columns:
 * the seen token ids in ascending order (so ties resolve to the lower id, as on a full vocabulary),
 * plus, when some of the vocabulary is unseen, one last "tail" column holding log(1 − Σ exp(top-k)).
 * When every token is seen the columns are exactly the vocabulary, and every operation on them is
 * the one the local engine performs.
 */
export interface TopKColumns {
  /** Token id of each seen column, ascending. */
  readonly ids: Int32Array;
  /** Log-probability of each seen column. */
  readonly logProbs: Float32Array;
  /** Whether a tail column follows the seen ones (false when the top-k covers the vocabulary). */
  readonly hasTail: boolean;
  /** log of the unseen mass (−∞ when none). */
  readonly tailLogProb: number;
  /** Seen columns plus the tail column. */
  readonly width: number;
}

export function topKColumns(top: TopLogProbs, vocabSize: number): TopKColumns {
  const order = top.ids.map((id, i) => ({ id, logProb: top.logProbs[i]! })).sort((a, b) => a.id - b.id);
  const ids = Int32Array.from(order, (e) => e.id);
  const logProbs = Float32Array.from(order, (e) => e.logProb);
  const hasTail = ids.length < vocabSize;
  let seenMass = 0;
  for (const lp of logProbs) seenMass += Math.exp(lp);
  // Rounding can push the seen mass a hair above 1: the tail is then empty, not negative.
  const tailLogProb = hasTail ? Math.log(Math.max(0, 1 - seenMass)) : Number.NEGATIVE_INFINITY;
  return { ids, logProbs, hasTail, tailLogProb, width: ids.length + (hasTail ? 1 : 0) };
}

/**
 * The certification of a fused decision made from top-k distributions: the argmax `token` (score
 * `tokenScore`, after the logits processors) cannot change, whatever the unseen tail mass is and
 * however it is spread over unseen tokens, when even all of it on one unseen token scores lower.
 * `tailScore` is the fused tail column (log Σ_i w_i · tail_i), divided by the sampling temperature
 * like every other score; the repetition penalty and the top-k / top-p / min-p masks only lower an
 * unseen token, so the bound stays an upper bound.
 */
export function isCertified(tokenScore: number, tailScore: number, temperature = 1): boolean {
  if (tailScore === Number.NEGATIVE_INFINITY) return true;
  return tokenScore > tailScore / temperature;
}
