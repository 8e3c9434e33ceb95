/**
 * The search benchmark (issue 15): every library strategy at N ∈ {4, 8, 16} on the split with
 * headroom (Countdown-hard), the main ones once on the saturated splits, paired against greedy and
 * against SC@N on the same problems and seeds. Compute = row-positions (stats.rowsComputed).
 */
import { availableParallelism } from 'node:os';
import { TASK_FAMILIES, TASK_SPLITS } from '@reasonflow/model-tiny';
import { FAMILY_OF, lineupEntry, MAIN_KINDS, SEARCH_KINDS, type SearchFamily, type SearchKind } from './search-lineup.js';
import { type RunRecord, runSearchShard, runSearchShardInWorker, type SearchRecord, type SearchShardOptions, type SplitPlan } from './search-shard.js';
import { accuracy, mean } from './stats.js';

export type SearchMode = 'full' | 'quick' | 'reduced';

export interface SearchBenchSettings {
  /** Problems of the split with headroom (Countdown-hard), full grid. */
  problems: number;
  ns: number[];
  seeds: number;
  /** Problems of each saturated split (0: skip them); main strategies at `saturatedN`, one seed. */
  saturatedProblems: number;
  saturatedN: number;
  maxNewTokens: number;
  workers: number;
}

export function defaultSearchSettings(mode: SearchMode): SearchBenchSettings {
  switch (mode) {
    case 'quick':
      return { problems: 3, ns: [4], seeds: 1, saturatedProblems: 0, saturatedN: 4, maxNewTokens: 256, workers: 1 };
    case 'reduced':
      return { problems: 60, ns: [8], seeds: 1, saturatedProblems: 0, saturatedN: 8, maxNewTokens: 256, workers: Math.min(2, availableParallelism()) };
    case 'full':
      return { problems: 200, ns: [4, 8, 16], seeds: 3, saturatedProblems: 200, saturatedN: 8, maxNewTokens: 256, workers: availableParallelism() };
  }
}

/** The split with headroom gets the full grid; the saturated ones the main strategies once. */
export function plansOf(settings: SearchBenchSettings): SplitPlan[] {
  const plans: SplitPlan[] = [{ family: 'countdown', split: 'hard', problems: settings.problems, ns: settings.ns, seeds: settings.seeds, kinds: SEARCH_KINDS }];
  if (settings.saturatedProblems > 0) {
    for (const family of TASK_FAMILIES) {
      for (const split of TASK_SPLITS) {
        if (family === 'countdown' && split === 'hard') continue;
        plans.push({ family, split, problems: settings.saturatedProblems, ns: [settings.saturatedN], seeds: 1, kinds: MAIN_KINDS });
      }
    }
  }
  return plans;
}

/** Paired outcome counts: problems (× seeds) the strategy got right and the reference wrong (gained), and the reverse. */
export interface Paired {
  gained: number;
  lost: number;
}

export interface SearchCell {
  accuracy: number;
  /** Per seed. */
  seedAccuracies: number[];
  /** Mean row-positions (stats.rowsComputed) per problem. */
  rowsPerProblem: number;
  /** Mean row-positions that advanced a live trace. */
  activeRowsPerProblem: number;
  scorerCallsPerProblem: number;
  /** Problem × seed runs. */
  problems: number;
  /** rowsPerProblem ÷ SC@N's on the same runs. */
  computeVsSC?: number;
  vsGreedy?: Paired;
  vsSC?: Paired;
}

export interface SearchStrategyResult {
  id: string;
  label: string;
  kind: SearchKind;
  family: SearchFamily;
  n: number;
  /** Keyed `family/split`. */
  cells: Record<string, SearchCell>;
}

export interface SearchBenchResults {
  mode: SearchMode;
  settings: SearchBenchSettings;
  plans: SplitPlan[];
  durationSeconds: number;
  /** Wall seconds per problem of each plan, per worker (mean over problems), for run-time projections. */
  secondsPerProblem: Record<string, number>;
  strategies: SearchStrategyResult[];
  /** Runs whose stats.rowsComputed differed from the observer's count (should be 0). */
  accountingMismatches: number;
  /** Guided search + step checker: finished candidates, and those the final checker accepts. */
  checkerCandidates: { total: number; passing: number };
}

/** Aggregates the records of every plan into cells per strategy and split. */
export function aggregateSearch(records: readonly SearchRecord[]): SearchStrategyResult[] {
  const byId = new Map<string, SearchStrategyResult>();
  const keys = [...new Set(records.map((r) => `${r.family}/${r.split}`))];
  for (const key of keys) {
    const subset = records.filter((r) => `${r.family}/${r.split}` === key);
    const ids = [...new Set(subset.flatMap((r) => r.runs.map((x) => x.id)))];
    for (const id of ids) {
      const correct: boolean[] = [];
      const rows: number[] = [];
      const active: number[] = [];
      const scorer: number[] = [];
      const scRows: number[] = [];
      const seedCorrect = new Map<number, boolean[]>();
      const vsGreedy: Paired = { gained: 0, lost: 0 };
      const vsSC: Paired = { gained: 0, lost: 0 };
      let first: RunRecord | undefined;
      for (const r of subset) {
        const greedy = r.runs.find((x) => x.kind === 'greedy');
        for (const x of r.runs.filter((y) => y.id === id)) {
          first ??= x;
          correct.push(x.correct);
          rows.push(x.rows);
          active.push(x.activeRows);
          scorer.push(x.scorerCalls);
          const perSeed = seedCorrect.get(x.seed) ?? [];
          perSeed.push(x.correct);
          seedCorrect.set(x.seed, perSeed);
          if (greedy && x.kind !== 'greedy') {
            if (x.correct && !greedy.correct) vsGreedy.gained++;
            if (!x.correct && greedy.correct) vsGreedy.lost++;
          }
          const sc = r.runs.find((y) => y.kind === 'self-consistency' && y.n === x.n && y.seed === x.seed);
          if (sc && x.kind !== 'greedy') {
            scRows.push(sc.rows);
            if (x.kind !== 'self-consistency') {
              if (x.correct && !sc.correct) vsSC.gained++;
              if (!x.correct && sc.correct) vsSC.lost++;
            }
          }
        }
      }
      if (!first) continue;
      const entry = lineupEntry(first.kind, first.n);
      const result = byId.get(id) ?? { id, label: entry.label, kind: first.kind, family: FAMILY_OF[first.kind], n: first.n, cells: {} };
      byId.set(id, result);
      result.cells[key] = {
        accuracy: accuracy(correct),
        seedAccuracies: [...seedCorrect.keys()].sort((a, b) => a - b).map((s) => accuracy(seedCorrect.get(s)!)),
        rowsPerProblem: mean(rows),
        activeRowsPerProblem: mean(active),
        scorerCallsPerProblem: mean(scorer),
        problems: correct.length,
        ...(scRows.length === rows.length && first.kind !== 'self-consistency' ? { computeVsSC: mean(rows) / mean(scRows) } : {}),
        ...(first.kind !== 'greedy' ? { vsGreedy } : {}),
        ...(first.kind !== 'greedy' && first.kind !== 'self-consistency' && scRows.length > 0 ? { vsSC } : {}),
      };
    }
  }
  return [...byId.values()];
}

export interface SearchBenchOptions {
  mode: SearchMode;
  settings?: Partial<SearchBenchSettings>;
  modelPath: string;
  /** The compiled worker entry (default: search-worker.js next to this module). */
  workerScript?: URL;
  log: (line: string) => void;
}

/** Runs every plan (sharded over worker threads when workers > 1) and aggregates. */
export async function runSearchBench(options: SearchBenchOptions): Promise<{ results: SearchBenchResults; records: SearchRecord[] }> {
  const started = performance.now();
  const settings: SearchBenchSettings = { ...defaultSearchSettings(options.mode), ...options.settings };
  const plans = plansOf(settings);
  const workers = Math.max(1, Math.min(settings.workers, settings.problems));
  const base: Omit<SearchShardOptions, 'shard'> = { modelPath: options.modelPath, plans, maxNewTokens: settings.maxNewTokens, startedAt: Date.now() };
  const shards =
    workers === 1
      ? [await runSearchShard({ ...base, shard: { index: 0, count: 1 } }, options.log)]
      : await Promise.all(
          Array.from({ length: workers }, (_, index) => runSearchShardInWorker({ ...base, shard: { index, count: workers } }, options.log, options.workerScript)),
        );
  // Back into plan and problem order, so the results do not depend on the number of workers.
  const planIndex = (r: SearchRecord) => plans.findIndex((p) => p.family === r.family && p.split === r.split);
  const records = shards.flat().sort((a, b) => planIndex(a) - planIndex(b) || a.index - b.index);
  const runs = records.flatMap((r) => r.runs);
  const secondsPerProblem: Record<string, number> = {};
  for (const plan of plans) {
    const key = `${plan.family}/${plan.split}`;
    const subset = records.filter((r) => `${r.family}/${r.split}` === key);
    secondsPerProblem[key] = mean(subset.map((r) => r.runs.reduce((s, x) => s + x.ms, 0) / 1000));
  }
  const checked = runs.filter((x) => x.eosCandidates);
  const results: SearchBenchResults = {
    mode: options.mode,
    settings: { ...settings, workers },
    plans,
    durationSeconds: (performance.now() - started) / 1000,
    secondsPerProblem,
    strategies: aggregateSearch(records),
    accountingMismatches: runs.filter((x) => x.rows !== x.observedRows).length,
    checkerCandidates: {
      total: checked.reduce((s, x) => s + x.eosCandidates!.total, 0),
      passing: checked.reduce((s, x) => s + x.eosCandidates!.passing, 0),
    },
  };
  return { results, records };
}
