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
 * `weights` (default: each cell's own runs) lets every strategy share one weighting: greedy is deterministic and
 * runs once per problem, so weighting it by its own runs would count a multi-seed split less for it than for the rest.
 */
export function poolCells(
  cells: readonly SearchCell[],
  scCells: readonly (SearchCell | undefined)[],
  weights: readonly number[] = cells.map((c) => c.problems),
): SearchCell {
  const runs = weights.reduce((sum, w) => sum + w, 0);
  const weighted = (pick: (c: SearchCell) => number) => cells.reduce((sum, c, i) => sum + pick(c) * weights[i]!, 0) / runs;
  const sum = (pick: (c: SearchCell) => Paired | undefined): Paired | undefined => {
    const parts = cells.map(pick);
    if (parts.some((p) => p === undefined)) return undefined;
    return parts.reduce<Paired>((acc, p) => ({ gained: acc.gained + p!.gained, lost: acc.lost + p!.lost }), { gained: 0, lost: 0 });
  };
  const scRows = scCells.every((c) => c !== undefined) ? scCells.reduce((acc, c, i) => acc + c!.rowsPerProblem * weights[i]!, 0) : undefined;
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
    .map((s) => ({
      ...s,
      cells: {
        pooled: poolCells(
          keys.map((k) => s.cells[k]!),
          keys.map((k) => (s === sc ? undefined : sc.cells[k])),
          keys.map((k) => sc.cells[k]!.problems),
        ),
      },
    }));
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

const points = (a: number, b: number) => `${((a - b) * 100).toFixed(1)} points`;

/**
 * docs/benchmarks.md's summary of the search benchmark: per N on each multi-seed split, and the issue's two
 * questions answered from the data (does a verifier-free strategy beat SC@N on the pooled paired test; does
 * guided search with the step checker beat best-of-N with the final checker and greedy).
 */
export function searchSummarySection(results: SearchBenchResults, links: { page: string; findings?: string }): string[] {
  const out: string[] = ['## Search strategies against compute', ''];
  // The splits with the whole grid (every N and seed); the saturated ones run the main strategies once.
  const headroom = results.plans.filter((p) => p.seeds === results.settings.seeds && results.settings.ns.every((n) => p.ns.includes(n)));
  out.push(
    `From [the search benchmark](${links.page}) (${results.mode} run, ${results.durationSeconds.toFixed(0)} s wall): ` +
      headroom.map((p) => `${p.family}/${p.split} ${p.problems} problems × ${p.seeds} seeds, N ∈ {${p.ns.join(', ')}}`).join('; ') +
      '; the other splits once at the main N. Compute is row-positions (Σ rows × positions of every forward call).',
    'Paired columns: runs (problem × seed) the strategy got right and the other wrong (+), and the reverse (−), exact sign test.',
    '',
  );
  const sig = (p: Paired | undefined) => p !== undefined && p.gained > p.lost && signTestP(p.gained, p.lost) < 0.05;
  for (const plan of headroom) {
    const key = `${plan.family}/${plan.split}`;
    const greedy = results.strategies.find((s) => s.kind === 'greedy')?.cells[key];
    out.push(
      `### ${key}`,
      '',
      '| N | greedy | SC@N | best verifier-free other than SC (vs SC@N) | best-of-N + final checker (= pass@N) | guided + step checker (× pass@N compute; vs pass@N) |',
      '|---:|---:|---:|---|---:|---|',
    );
    for (const n of plan.ns) {
      const atN = results.strategies.filter((s) => s.n === n && s.cells[key]);
      const cell = (kind: SearchKind) => atN.find((s) => s.kind === kind)?.cells[key];
      const sc = cell('self-consistency');
      const pass = cell('best-of-n-checker');
      const guided = cell('guided-checker');
      const free = atN
        .filter((s) => s.family === 'verifier-free' && s.kind !== 'self-consistency')
        .sort((a, b) => b.cells[key]!.accuracy - a.cells[key]!.accuracy)[0];
      const freeCell = free?.cells[key];
      out.push(
        `| ${n} | ${pct(greedy?.accuracy)} | ${pct(sc?.accuracy)} | ${free && freeCell ? `${free.label}: ${pct(freeCell.accuracy)}, ${paired(freeCell.vsSC)}` : '–'} | ${pct(pass?.accuracy)} | ${
          guided && pass ? `${pct(guided.accuracy)} (${(guided.rowsPerProblem / pass.rowsPerProblem).toFixed(2)}×; ${points(guided.accuracy, pass.accuracy)})` : '–'
        } |`,
      );
    }
    out.push('');
  }
  for (const n of results.settings.ns) {
    const pooled = pooledAt(results.strategies, n);
    if (!pooled) continue;
    const sc = pooled.strategies.find((s) => s.kind === 'self-consistency')!.cells.pooled!;
    const free = pooled.strategies.filter((s) => s.family === 'verifier-free' && s.kind !== 'self-consistency');
    const winners = free.filter((s) => sig(s.cells.pooled!.vsSC));
    const closest = [...free].sort((a, b) => b.cells.pooled!.accuracy - a.cells.pooled!.accuracy)[0];
    out.push(
      winners.length > 0
        ? `**Verifier-free, pooled over ${pooled.keys.length} splits at N = ${n}:** ${winners.map((s) => `${s.label} beats SC@${n} (${pct(s.cells.pooled!.accuracy)} vs ${pct(sc.accuracy)}, ${paired(s.cells.pooled!.vsSC)})`).join('; ')}.`
        : `**Verifier-free, pooled over ${pooled.keys.length} splits at N = ${n}: no strategy beats SC@${n} with p < 0.05.**` +
            (closest ? ` The closest is ${closest.label}: ${pct(closest.cells.pooled!.accuracy)} vs ${pct(sc.accuracy)}, ${paired(closest.cells.pooled!.vsSC)}.` : ''),
    );
  }
  const perSplitWins = headroom.flatMap((plan) => {
    const key = `${plan.family}/${plan.split}`;
    return results.strategies
      .filter((s) => s.family === 'verifier-free' && s.kind !== 'self-consistency' && sig(s.cells[key]?.vsSC))
      .map((s) => `${s.label} on ${key} (${pct(s.cells[key]!.accuracy)}, ${paired(s.cells[key]!.vsSC)})`);
  });
  const tests = headroom.reduce((sum, p) => sum + p.ns.length, 0);
  out.push(
    '',
    perSplitWins.length > 0
      ? `On one split alone, p < 0.05 against SC@N: ${perSplitWins.join('; ')} — one of ${tests} split × N comparisons per strategy, so read it as a guide.`
      : 'No verifier-free strategy beats SC@N with p < 0.05 on any single split and N either.',
    '',
  );
  if (links.findings) out.push(`What these figures mean, with extra runs (e.g. best-of-N + final checker at guided search's compute): [the hand-written reading](${links.findings}).`, '');
  return out;
}
