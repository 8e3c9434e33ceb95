import { checkAnswer, modelPath } from '@reasonflow/model-tiny';
import { describe, expect, it } from 'vitest';
import { renderAccuracyChart } from '../src/chart.js';
import { runSearchBench, type SearchBenchResults, type SearchCell } from '../src/search.js';
import { SEARCH_KINDS } from '../src/search-lineup.js';
import { chartStrategies, poolCells, renderSearchReport, SEARCH_PALETTE, searchSummarySection } from '../src/search-report.js';
import type { SearchRecord } from '../src/search-shard.js';

const withoutTimes = (records: readonly SearchRecord[]) => records.map((r) => ({ ...r, runs: r.runs.map(({ ms: _ms, ...rest }) => rest) }));

describe('search benchmark, quick mode', () => {
  const problems = 3;
  const run = runSearchBench({ mode: 'quick', modelPath, settings: { problems, workers: 1 }, log: () => {} });

  it('runs every strategy once per problem at N=4 through the library', async () => {
    const { results, records } = await run;
    expect(results.plans.map((p) => `${p.family}/${p.split}`)).toEqual(['countdown/hard']);
    expect(records).toHaveLength(problems);
    for (const record of records) {
      expect(record.runs.map((x) => x.kind).sort()).toEqual([...SEARCH_KINDS].sort());
      for (const x of record.runs) expect(x.n).toBe(x.kind === 'greedy' ? 1 : 4);
    }
    expect(results.strategies.map((s) => s.kind).sort()).toEqual([...SEARCH_KINDS].sort());
    for (const s of results.strategies) expect(s.cells['countdown/hard']!.problems).toBe(problems);
  });

  it('counts compute as the observer saw it, and DeepConf stays within SC@N’s', async () => {
    const { results, records } = await run;
    expect(results.accountingMismatches).toBe(0);
    for (const { runs } of records) {
      for (const x of runs) {
        expect(x.rows).toBe(x.observedRows);
        expect(x.rows).toBeGreaterThan(0);
        expect(x.activeRows).toBeLessThanOrEqual(x.rows);
      }
      const sc = runs.find((x) => x.kind === 'self-consistency')!;
      expect(runs.find((x) => x.kind === 'deepconf')!.rows).toBeLessThanOrEqual(sc.rows);
      // Only the checker strategies call a scorer per step/candidate.
      expect(runs.find((x) => x.kind === 'guided-checker')!.scorerCalls).toBeGreaterThan(0);
      expect(sc.scorerCalls).toBe(0);
    }
  });

  it('keeps guided search honest: its finished candidates all pass the checker', async () => {
    const { results } = await run;
    expect(results.checkerCandidates.total).toBeGreaterThan(0);
    expect(results.checkerCandidates.passing).toBe(results.checkerCandidates.total);
  });

  it('pairs against greedy and SC@N consistently with the accuracies', async () => {
    const { results, records } = await run;
    const cell = (kind: string) => results.strategies.find((s) => s.kind === kind)!.cells['countdown/hard']!;
    const greedy = cell('greedy').accuracy;
    const sc = cell('self-consistency').accuracy;
    for (const s of results.strategies) {
      const c = s.cells['countdown/hard']!;
      if (c.vsGreedy) expect((c.vsGreedy.gained - c.vsGreedy.lost) / c.problems).toBeCloseTo(c.accuracy - greedy, 10);
      if (c.vsSC) expect((c.vsSC.gained - c.vsSC.lost) / c.problems).toBeCloseTo(c.accuracy - sc, 10);
    }
    // Best-of-N with the final checker is right whenever any of its samples is; the runs' own check agrees.
    for (const { prompt, runs } of records) {
      const x = runs.find((r) => r.kind === 'best-of-n-checker')!;
      expect(x.correct).toBe(x.answer !== null && checkAnswer(prompt, `#${x.answer}`));
    }
  });

  it('renders a page with separate verifier-free and verifier-guided tables, and a chart', async () => {
    const { results } = await run;
    const md = renderSearchReport(results, 'chart.svg');
    expect(md).toContain('### N = 4, verifier-free');
    expect(md).toContain('### N = 4, verifier-guided');
    const guidedTable = md.slice(md.indexOf('### N = 4, verifier-guided'));
    expect(guidedTable).toContain('guided N=4 + step checker');
    expect(md.slice(md.indexOf('### N = 4, verifier-free'), md.indexOf('### N = 4, verifier-guided'))).not.toContain('step checker');
    const svg = renderAccuracyChart(chartStrategies(results.strategies), { title: 't', cell: 'countdown/hard', palette: SEARCH_PALETTE });
    expect(svg).toContain('guided + step checker');
    expect(svg).not.toContain('NaN');
  });

  it('summarises the grid for docs/benchmarks.md with the verdict the paired test gives', async () => {
    const { results } = await run;
    const text = searchSummarySection(results, { page: 'search-benchmarks.md' }).join('\n');
    const sc = results.strategies.find((s) => s.kind === 'self-consistency')!.cells['countdown/hard']!;
    expect(text).toContain('### countdown/hard');
    expect(text).toContain(`| 4 | `);
    expect(text).toContain(`${(sc.accuracy * 100).toFixed(1)}%`);
    // Three problems cannot reach p < 0.05 (the smallest two-sided sign-test p with 3 pairs is 0.25).
    expect(text).toContain('No verifier-free strategy beats SC@N with p < 0.05 on any single split and N either.');
  });

  it('gives the same records on two worker threads', async () => {
    const { records } = await run;
    const { records: sharded } = await runSearchBench({
      mode: 'quick',
      modelPath,
      settings: { problems: 2, workers: 2 },
      // The compiled worker (turbo builds before testing); vitest runs this file from source.
      workerScript: new URL('../dist/search-worker.js', import.meta.url),
      log: () => {},
    });
    expect(withoutTimes(sharded)).toEqual(withoutTimes(records.slice(0, 2)));
  });
});

/** A cell with one seed, every row-position active and no scorer calls. */
const plainCell = (accuracy: number, problems: number, rows: number): SearchCell => ({
  accuracy,
  seedAccuracies: [accuracy],
  rowsPerProblem: rows,
  activeRowsPerProblem: rows,
  scorerCallsPerProblem: 0,
  problems,
});

describe('pooling over splits', () => {
  const cell = (accuracy: number, problems: number, rows: number, scRatio: number, g: [number, number], c: [number, number]): SearchCell => ({
    ...plainCell(accuracy, problems, rows),
    computeVsSC: scRatio,
    vsGreedy: { gained: g[0], lost: g[1] },
    vsSC: { gained: c[0], lost: c[1] },
  });
  const sc = (rows: number, problems: number): SearchCell => {
    const { computeVsSC: _none, vsSC: _self, ...rest } = cell(0.5, problems, rows, 1, [0, 0], [0, 0]);
    return rest;
  };

  it('weights accuracy and compute by runs and sums the paired counts', () => {
    const pooled = poolCells([cell(0.8, 600, 700, 0.7, [30, 4], [9, 3]), cell(1, 200, 100, 0.5, [2, 1], [0, 2])], [sc(1000, 600), sc(200, 200)]);
    expect(pooled.problems).toBe(800);
    expect(pooled.accuracy).toBeCloseTo((0.8 * 600 + 200) / 800, 12);
    expect(pooled.rowsPerProblem).toBeCloseTo((700 * 600 + 100 * 200) / 800, 12);
    expect(pooled.computeVsSC).toBeCloseTo((700 * 600 + 100 * 200) / (1000 * 600 + 200 * 200), 12);
    expect(pooled.vsGreedy).toEqual({ gained: 32, lost: 5 });
    expect(pooled.vsSC).toEqual({ gained: 9, lost: 5 });
  });

  it('weights a once-per-problem strategy (greedy) like the multi-seed ones when given shared weights', () => {
    // Greedy ran 200 problems once on split A (3 seeds for the rest: 600 runs) and 200 on split B.
    const greedyA = cell(0.66, 200, 100, 0.1, [0, 0], [0, 0]);
    const greedyB = cell(1, 200, 60, 0.1, [0, 0], [0, 0]);
    const own = poolCells([greedyA, greedyB], [undefined, undefined]);
    const shared = poolCells([greedyA, greedyB], [undefined, undefined], [600, 200]);
    expect(own.accuracy).toBeCloseTo(0.83, 12);
    expect(shared.accuracy).toBeCloseTo((0.66 * 600 + 200) / 800, 12);
    expect(shared.problems).toBe(800);
    expect(shared.rowsPerProblem).toBeCloseTo((100 * 600 + 60 * 200) / 800, 12);
  });

  it('leaves a comparison out when one split lacks it', () => {
    const { vsSC: _dropped, ...withoutSC } = cell(1, 10, 10, 1, [1, 0], [0, 0]);
    const pooled = poolCells([cell(0.5, 10, 10, 1, [1, 1], [1, 1]), withoutSC], [sc(10, 10), sc(10, 10)]);
    expect(pooled.vsSC).toBeUndefined();
    expect(pooled.vsGreedy).toEqual({ gained: 2, lost: 1 });
  });
});

describe('searchSummarySection', () => {
  const cell = (accuracy: number, problems: number, rows: number, vsSC?: [number, number]): SearchCell => ({
    ...plainCell(accuracy, problems, rows),
    ...(vsSC ? { vsSC: { gained: vsSC[0], lost: vsSC[1] }, vsGreedy: { gained: 0, lost: 0 } } : {}),
  });
  const results = (guidedVsSC: [number, number]): SearchBenchResults => ({
    mode: 'full',
    settings: { problems: 100, ns: [8], seeds: 3, saturatedProblems: 50, saturatedN: 8, maxNewTokens: 64, workers: 1 },
    plans: [
      { family: 'countdown', split: 'hard', problems: 100, ns: [8], seeds: 3, kinds: [] },
      { family: 'addition', split: 'easy', problems: 50, ns: [8], seeds: 1, kinds: [] },
    ],
    durationSeconds: 1,
    secondsPerProblem: {},
    accountingMismatches: 0,
    checkerCandidates: { total: 0, passing: 0 },
    strategies: [
      { id: 'greedy', label: 'greedy', kind: 'greedy', family: 'verifier-free', n: 1, cells: { 'countdown/hard': cell(0.6, 100, 50), 'addition/easy': cell(1, 50, 20) } },
      { id: 'sc', label: 'SC@8', kind: 'self-consistency', family: 'verifier-free', n: 8, cells: { 'countdown/hard': cell(0.7, 300, 400), 'addition/easy': cell(1, 50, 160) } },
      {
        id: 'g',
        label: 'guided N=8 verifier-free',
        kind: 'guided-verifier-free',
        family: 'verifier-free',
        n: 8,
        cells: { 'countdown/hard': cell(0.7 + (guidedVsSC[0] - guidedVsSC[1]) / 300, 300, 380, guidedVsSC), 'addition/easy': cell(1, 50, 150, [0, 0]) },
      },
      { id: 'p', label: 'best-of-8 + final checker', kind: 'best-of-n-checker', family: 'verifier-guided', n: 8, cells: { 'countdown/hard': cell(0.8, 300, 400, [30, 0]) } },
      { id: 'c', label: 'guided N=8 + step checker', kind: 'guided-checker', family: 'verifier-guided', n: 8, cells: { 'countdown/hard': cell(0.78, 300, 300, [30, 6]) } },
    ],
  });

  it('says a verifier-free strategy beats SC@N only when the pooled sign test gives p < 0.05', () => {
    const wins = searchSummarySection(results([30, 10]), { page: 'x.md' }).join('\n');
    expect(wins).toContain('guided N=8 verifier-free beats SC@8');
    expect(wins).toContain('+30 / −10 (p 0.002)');
    const ties = searchSummarySection(results([12, 10]), { page: 'x.md' }).join('\n');
    expect(ties).toContain('no strategy beats SC@8 with p < 0.05.');
    expect(ties).toContain('The closest is guided N=8 verifier-free');
  });

  it('puts guided search with the step checker against pass@N at its compute', () => {
    const text = searchSummarySection(results([12, 10]), { page: 'x.md' }).join('\n');
    // 300 vs 400 row-positions, 78% vs 80%.
    expect(text).toContain('| 8 | 60.0% | 70.0% |');
    expect(text).toContain('78.0% (0.75×; -2.0 points)');
    // The saturated split (one N, one seed) gets no table of its own.
    expect(text).not.toContain('### addition/easy');
  });
});
