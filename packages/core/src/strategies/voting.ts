/** A weighted vote: the answer with the largest total weight (the earliest among ties); null answers do not vote. */
export function weightedVote(votes: readonly { readonly answer: string | null; readonly weight: number }[]): {
  answer: string | null;
  totals: Map<string, number>;
  /** The winner's share of all weight cast. */
  share: number;
} {
  const totals = new Map<string, number>();
  let cast = 0;
  for (const { answer, weight } of votes) {
    if (answer === null) continue;
    totals.set(answer, (totals.get(answer) ?? 0) + weight);
    cast += weight;
  }
  let answer: string | null = null;
  let best = Number.NEGATIVE_INFINITY;
  for (const [a, total] of totals) {
    if (total > best) {
      best = total;
      answer = a;
    }
  }
  return { answer, totals, share: answer === null || cast === 0 ? 0 : best / cast };
}
