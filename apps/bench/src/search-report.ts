/** The search benchmark's page and chart, rendered from its results JSON only. */
import type { ChartPalette, ChartStrategy } from './chart.js';
import type { Paired, SearchBenchResults, SearchCell, SearchStrategyResult } from './search.js';
import type { SearchKind } from './search-lineup.js';
import { signTestP } from './stats.js';

export const SEARCH_PALETTE: ChartPalette = {
  colors: {
    greedy: '#222222',
    'self-consistency': '#2ca02c',
    'best-of-n': '#1f77b4',
    'best-of-n-checker': '#bcbd22',
    reasonflow: '#d62728',
    'reasonflow-ranked': '#ff7f0e',
    'guided-checker': '#9467bd',
    'guided-verifier-free': '#17becf',
    deepconf: '#8c564b',
  } satisfies Record<SearchKind, string>,
  labels: {
    greedy: 'greedy',
    'self-consistency': 'self-consistency',
    'best-of-n': 'best-of-n (log-prob)',
    'best-of-n-checker': 'best-of-n + final checker (pass@n)',
    reasonflow: 'ReasonFlow (original)',
    'reasonflow-ranked': 'ReasonFlow, ranked branching',
    'guided-checker': 'guided + step checker',
    'guided-verifier-free': 'guided, verifier-free',
    deepconf: 'DeepConf online',
  } satisfies Record<SearchKind, string>,
  series: ['self-consistency', 'best-of-n', 'best-of-n-checker', 'reasonflow', 'reasonflow-ranked', 'guided-checker', 'guided-verifier-free', 'deepconf'],
  squares: ['reasonflow', 'reasonflow-ranked'],
};

/** The strategies as the chart reads them (n labels the points). */
export function chartStrategies(strategies: readonly SearchStrategyResult[]): ChartStrategy[] {
  return strategies.map((s) => ({ label: s.label, kind: s.kind, ...(s.kind === 'greedy' ? {} : { n: s.n }), cells: s.cells }));
}

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(1)}%`);
const pValue = (p: number) => (p < 0.001 ? '< 0.001' : p < 0.01 ? p.toFixed(3) : p.toFixed(2));
const paired = (p: { gained: number; lost: number } | undefined) =>
  p ? `+${p.gained} / −${p.lost} (p ${pValue(signTestP(p.gained, p.lost))})` : '–';

function row(s: SearchStrategyResult, cell: SearchCell): string {
  const seeds = cell.seedAccuracies.length > 1 ? ` (${cell.seedAccuracies.map((a) => (a * 100).toFixed(1)).join(' / ')})` : '';
  return `| ${s.label} | ${pct(cell.accuracy)}${seeds} | ${cell.rowsPerProblem.toFixed(0)} | ${
    cell.computeVsSC === undefined ? '–' : `${cell.computeVsSC.toFixed(2)}×`
  } | ${cell.scorerCallsPerProblem.toFixed(1)} | ${paired(cell.vsGreedy)} | ${paired(cell.vsSC)} |`;
}

function table(strategies: readonly SearchStrategyResult[], key: string): string[] {
  const lines = [
    '| strategy | accuracy (per seed) | row-positions / problem | × SC@N compute | scorer calls / problem | vs greedy: +gained / −lost (sign test) | vs SC@N: +gained / −lost (sign test) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of strategies) {
    const cell = s.cells[key];
    if (cell) lines.push(row(s, cell));
  }
  return lines;
}

/**
 * One strategy's cells pooled over splits: accuracy and compute weighted by runs, paired counts summed
 * (each split's pairs are against its own greedy and SC@N runs, so the sums stay paired).
 */
export function poolCells(cells: readonly SearchCell[], scCells: readonly (SearchCell | undefined)[]): SearchCell {
  const runs = cells.reduce((sum, c) => sum + c.problems, 0);
  const weighted = (pick: (c: SearchCell) => number) => cells.reduce((sum, c) => sum + pick(c) * c.problems, 0) / runs;
  const sum = (pick: (c: SearchCell) => Paired | undefined): Paired | undefined => {
    const parts = cells.map(pick);
    if (parts.some((p) => p === undefined)) return undefined;
    return parts.reduce<Paired>((acc, p) => ({ gained: acc.gained + p!.gained, lost: acc.lost + p!.lost }), { gained: 0, lost: 0 });
  };
  const scRows = scCells.every((c) => c !== undefined) ? scCells.reduce((acc, c) => acc + c!.rowsPerProblem * c!.problems, 0) : undefined;
  const vsGreedy = sum((c) => c.vsGreedy);
  const vsSC = sum((c) => c.vsSC);
  return {
    accuracy: weighted((c) => c.accuracy),
    seedAccuracies: [],
    rowsPerProblem: weighted((c) => c.rowsPerProblem),
    activeRowsPerProblem: weighted((c) => c.activeRowsPerProblem),
    scorerCallsPerProblem: weighted((c) => c.scorerCallsPerProblem),
    problems: runs,
    ...(cells.every((c) => c.computeVsSC !== undefined) && scRows ? { computeVsSC: (weighted((c) => c.rowsPerProblem) * runs) / scRows } : {}),
    ...(vsGreedy ? { vsGreedy } : {}),
    ...(vsSC ? { vsSC } : {}),
  };
}

/** Strategies at `n` (and greedy) pooled over the splits where all of them ran; undefined when that is one split. */
export function pooledAt(strategies: readonly SearchStrategyResult[], n: number): { keys: string[]; strategies: SearchStrategyResult[] } | undefined {
  const atN = strategies.filter((s) => s.kind === 'greedy' || s.n === n);
  const sc = atN.find((s) => s.kind === 'self-consistency');
  if (!sc) return undefined;
  const keys = Object.keys(sc.cells);
  if (keys.length < 2) return undefined;
  const pooled = atN
    .filter((s) => keys.every((k) => s.cells[k]))
    .map((s) => ({ ...s, cells: { pooled: poolCells(keys.map((k) => s.cells[k]!), keys.map((k) => (s === sc ? undefined : sc.cells[k]))) } }));
  return { keys, strategies: pooled };
}

export function renderSearchReport(results: SearchBenchResults, chartFile: string): string {
  const out: string[] = [];
  const { settings } = results;
  out.push(
    '# Search strategies against compute',
    '',
    `<!-- Generated by \`pnpm --filter @reasonflow/bench bench:search\` from the results JSON; do not edit by hand. -->`,
    '',
    `Mode **${results.mode}**: ${results.durationSeconds.toFixed(0)} s wall on ${settings.workers} worker thread${settings.workers === 1 ? '' : 's'}.`,
    'Every strategy runs through `@reasonflow/core`\'s `generateWith` on the embedded model (one intra-op thread per worker).',
    'Compute is row-positions: `stats.rowsComputed`, Σ rows × positions over every forward call (prompt copies, idle rows,',
    'rolled-back lookahead and retried rounds included; checked against the engine observer on every run:',
    `${results.accountingMismatches} mismatches). Scorer calls are counted apart.`,
    '',
    'Equal compute. SC@N, best-of-N and guided search with N particles decode N rows to the longest trace, so they spend',
    'about the same row-positions; DeepConf gets a budget equal to SC@N\'s compute on the same problem and seed (N/2 rows,',
    'warm-up wave then early termination), so it never spends more. ReasonFlow cannot be budgeted: its compute is reported',
    'next to its accuracy, and the "× SC@N compute" column puts every strategy against SC@N on the same runs. The paired',
    'columns count problem × seed runs one method got right and the other wrong; p is the two-sided exact sign test',
    '(runs of one problem under different seeds are not independent, so read p as a guide, not a guarantee).',
    '',
    `Guided search with the step checker: ${results.checkerCandidates.passing} of ${results.checkerCandidates.total} finished candidates pass the final checker.`,
    '',
    `![accuracy vs compute](${chartFile})`,
    '',
  );
  for (const n of results.settings.ns) {
    const pooled = pooledAt(results.strategies, n);
    if (!pooled) continue;
    const runs = pooled.strategies.find((s) => s.kind === 'self-consistency')?.cells.pooled?.problems ?? 0;
    out.push(
      `## Pooled over every split at N = ${n} (${runs} problem × seed runs)`,
      '',
      `Splits: ${pooled.keys.join(', ')}. Accuracy and compute are weighted by runs; the paired counts are summed over splits`,
      '(each against greedy and SC@N on the same problem and seed), so the sign test is the pooled paired test.',
      '',
    );
    const sc = pooled.strategies.filter((s) => s.kind === 'self-consistency');
    const greedy = pooled.strategies.filter((s) => s.kind === 'greedy');
    out.push('### verifier-free', '', ...table([...greedy, ...pooled.strategies.filter((s) => s.family === 'verifier-free')], 'pooled'), '');
    out.push('### verifier-guided', '', ...table([...greedy, ...sc, ...pooled.strategies.filter((s) => s.family === 'verifier-guided')], 'pooled'), '');
  }
  const keys = results.plans.map((p) => `${p.family}/${p.split}`);
  for (const [i, key] of keys.entries()) {
    const plan = results.plans[i]!;
    out.push(`## ${key}: ${plan.problems} problems × ${plan.seeds} seed${plan.seeds === 1 ? '' : 's'} (${results.secondsPerProblem[key]?.toFixed(1) ?? '–'} s per problem)`, '');
    const here = results.strategies.filter((s) => s.cells[key]);
    const greedy = here.filter((s) => s.kind === 'greedy');
    for (const n of plan.ns) {
      const atN = here.filter((s) => s.n === n);
      const sc = atN.filter((s) => s.kind === 'self-consistency');
      out.push(`### N = ${n}, verifier-free`, '', ...table([...greedy, ...atN.filter((s) => s.family === 'verifier-free')], key), '');
      out.push(`### N = ${n}, verifier-guided`, '', ...table([...greedy, ...sc, ...atN.filter((s) => s.family === 'verifier-guided')], key), '');
    }
  }
  return `${out.join('\n')}\n`;
}
