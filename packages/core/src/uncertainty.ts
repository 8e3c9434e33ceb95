/**
 * The original's uncertainty: 1 − mean over rows of clamp((p1 / p2) / 3, 0, 1), where p1 and p2 are
 * each row's two largest probabilities. Takes log-probabilities (ratios are exp of differences, so
 * tiny probabilities stay exact). A row whose p2 is 0 counts as fully confident.
 */
export function uncertainty(top1LogProbs: ArrayLike<number>, top2LogProbs: ArrayLike<number>): number {
  const rows = top1LogProbs.length;
  if (rows === 0) return 0;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const ratio = Math.exp(top1LogProbs[r]! - top2LogProbs[r]!);
    sum += Number.isFinite(ratio) ? Math.min(Math.max(ratio / 3, 0), 1) : 1;
  }
  return 1 - sum / rows;
}

/** Fraction of the selected thinkers whose combined score exceeds the acceptance threshold. */
export function acceptanceRate(combinedScores: ArrayLike<number>, selected: ArrayLike<number>, threshold: number): number {
  if (selected.length === 0) return 0;
  let accepted = 0;
  for (let i = 0; i < selected.length; i++) if (combinedScores[selected[i]!]! > threshold) accepted++;
  return accepted / selected.length;
}
