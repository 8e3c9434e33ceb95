import type { IterationReport } from 'reasonflow';

/** One stderr line per iteration: which thinker won, its score, its path and what was committed. */
export function formatIteration(report: IterationReport, tokenText: (id: number) => string): string {
  const show = (ids: readonly number[]) => JSON.stringify(ids.map(tokenText).join(''));
  const winner = report.thinkers[report.selected[0]!]!;
  const others = report.thinkers
    .filter((t) => t.row !== winner.row)
    .map((t) => `#${t.row}${report.selected.includes(t.row) ? '*' : ''} ${show(t.pathTokens)} ${t.combined.toFixed(2)}`)
    .join('  ');
  return (
    `[it ${String(report.iteration).padStart(3)}] winner #${winner.row} score ${winner.combined.toFixed(2)} ` +
    `path ${show(winner.pathTokens)} → committed ${show(report.committed)} (${report.committed.length})` +
    (others ? ` | ${others}` : '')
  );
}
