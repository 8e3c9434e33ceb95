/**
 * Reasoning quality on the embedded model's task families against the usual baselines, with the
 * compute each strategy spends (model rows computed per problem = the engine's stats.rowsComputed,
 * summed over samples for multi-sample methods).
 */
import type { ReasonFlowConfigInput } from '@reasonflow/core';
import { checkAnswer, TASK_FAMILIES, TASK_SPLITS, type TaskFamily, type TaskSplit } from '@reasonflow/model-tiny';
import { mergeShards, type QualityShardOptions, runQualityShard, runShardInWorker } from './quality-shard.js';
import { accuracy, argmaxIndex, majorityVote, mean, passAtN } from './stats.js';

export interface GridEntry {
  id: string;
  label: string;
  config: ReasonFlowConfigInput;
}

export interface QualityOptions {
  modelPath: string;
  /** Problems per family × split for greedy and the sample-based baselines. */
  problems: number;
  /** The first this-many problems of each split also run the ReasonFlow grid. */
  gridProblems: number;
  /** Samples per problem (best-of-N, self-consistency and pass@N use the first n of them). */
  samples: number;
  /** n values for best-of-n, self-consistency and pass@n (each ≤ samples). */
  sampleCounts: readonly number[];
  temperature: number;
  grid: readonly GridEntry[];
  /** Cap on new tokens (the context limit also applies). */
  maxNewTokens: number;
  /**
   * Wall-clock budget of the quality run, seconds (0: none). Problems run round-robin over the
   * splits (grid problems first), and the baselines stop at the first round that starts past it;
   * the problems actually run are reported.
   */
  budgetSeconds?: number;
  /**
   * Worker threads sharing the problems (round-robin by problem index; default 1). Each runs its own
   * single-threaded session, and every result is seeded per problem, so the records do not depend on it.
   */
  workers?: number;
  /** The compiled worker entry (default: quality-worker.js next to this module). */
  workerScript?: URL;
  families?: readonly TaskFamily[];
  splits?: readonly TaskSplit[];
  log: (line: string) => void;
}

export interface SampleRecord {
  answer: string | null;
  correct: boolean;
  logProb: number;
  rows: number;
}

export interface ProblemRecord {
  family: TaskFamily;
  split: TaskSplit;
  prompt: string;
  greedy: { correct: boolean; rows: number; answer: string | null };
  samples: SampleRecord[];
  /** Per grid entry (same order), present for the first `gridProblems` problems. */
  grid?: { correct: boolean; rows: number }[];
}

export type StrategyKind = 'greedy' | 'sampling' | 'best-of-n' | 'self-consistency' | 'pass@n' | 'reasonflow';

export interface Cell {
  accuracy: number;
  /** Mean model rows computed per problem. */
  rowsPerProblem: number;
  problems: number;
  /**
   * Paired against greedy on the same problems: how many greedy got wrong and this strategy right
   * (gained), and the reverse (lost). Absent for greedy itself and for sampling (an expectation).
   */
  vsGreedy?: { gained: number; lost: number };
}

export interface StrategyResult {
  id: string;
  label: string;
  kind: StrategyKind;
  n?: number;
  config?: ReasonFlowConfigInput;
  /** Keyed `family/split`, plus `all` (every split pooled). */
  cells: Record<string, Cell>;
}

export interface QualityResults {
  /** Problems per split that ran (the budget may stop before `requestedProblemsPerSplit`). */
  problemsPerSplit: number;
  requestedProblemsPerSplit: number;
  budgetSeconds: number;
  /** Greedy comes from the batch's argmax row (the same tokens as the engine's N=1 greedy). */
  greedySource: string;
  gridProblemsPerSplit: number;
  /** Worker threads that ran the problems (the results do not depend on it). */
  workers: number;
  samples: number;
  temperature: number;
  maxNewTokens: number;
  splits: string[];
  /** Every strategy on the grid subset (the same problems for all: the fair comparison). */
  onGridSubset: StrategyResult[];
  /** Greedy and the sample-based baselines on all problems. */
  onAllProblems: StrategyResult[];
}

type Outcome = { correct: boolean; rows: number } | undefined;

/** How each strategy turns a problem record into (correct, rows). */
export function strategyOutcomes(
  grid: readonly GridEntry[],
  sampleCounts: readonly number[],
  samples: number,
): { id: string; label: string; kind: StrategyKind; n?: number; config?: ReasonFlowConfigInput; outcome: (p: ProblemRecord) => Outcome }[] {
  const out: ReturnType<typeof strategyOutcomes> = [
    { id: 'greedy', label: 'greedy', kind: 'greedy', outcome: (p) => p.greedy },
    {
      id: 'sampling',
      label: `sampling (mean of ${samples})`,
      kind: 'sampling',
      // Aggregated specially: the expected accuracy of one sample (mean over the samples drawn).
      outcome: () => undefined,
    },
  ];
  for (const n of sampleCounts) {
    const first = (p: ProblemRecord) => p.samples.slice(0, n);
    const rows = (p: ProblemRecord) => first(p).reduce((s, x) => s + x.rows, 0);
    out.push({
      id: `best-of-${n}`,
      label: `best-of-${n} (log-prob)`,
      kind: 'best-of-n',
      n,
      outcome: (p) => {
        const s = first(p);
        if (s.length < n) return undefined;
        return { correct: s[argmaxIndex(s.map((x) => x.logProb))]!.correct, rows: rows(p) };
      },
    });
    out.push({
      id: `self-consistency-${n}`,
      label: `self-consistency@${n}`,
      kind: 'self-consistency',
      n,
      outcome: (p) => {
        const s = first(p);
        if (s.length < n) return undefined;
        const vote = majorityVote(s.map((x) => x.answer));
        return { correct: vote !== null && checkAnswer(p.prompt, `#${vote}`), rows: rows(p) };
      },
    });
    out.push({
      id: `pass-at-${n}`,
      label: `pass@${n} (ceiling)`,
      kind: 'pass@n',
      n,
      outcome: (p) => {
        const s = first(p);
        if (s.length < n) return undefined;
        return { correct: passAtN(s.map((x) => x.correct), n), rows: rows(p) };
      },
    });
  }
  grid.forEach((g, i) => {
    out.push({ id: g.id, label: g.label, kind: 'reasonflow', config: g.config, outcome: (p) => p.grid?.[i] });
  });
  return out;
}

/** Aggregates per split and pooled; the sampling strategy averages over every sample. */
export function aggregate(
  records: readonly ProblemRecord[],
  strategies: ReturnType<typeof strategyOutcomes>,
): StrategyResult[] {
  const keys = [...new Set(records.map((r) => `${r.family}/${r.split}`))];
  const results: StrategyResult[] = [];
  for (const s of strategies) {
    const cells: Record<string, Cell> = {};
    for (const key of [...keys, 'all']) {
      const subset = key === 'all' ? records : records.filter((r) => `${r.family}/${r.split}` === key);
      const correct: boolean[] = [];
      let rows: number[] = [];
      if (s.kind === 'sampling') {
        const withSamples = subset.filter((p) => p.samples.length > 0);
        // Exact expected accuracy: mean over problems of the fraction of correct samples.
        const acc = mean(withSamples.map((p) => p.samples.filter((x) => x.correct).length / p.samples.length));
        rows = withSamples.map((p) => mean(p.samples.map((x) => x.rows)));
        if (withSamples.length > 0) cells[key] = { accuracy: acc, rowsPerProblem: mean(rows), problems: withSamples.length };
        continue;
      }
      const vsGreedy = { gained: 0, lost: 0 };
      for (const p of subset) {
        const o = s.outcome(p);
        if (!o) continue;
        correct.push(o.correct);
        rows.push(o.rows);
        if (o.correct && !p.greedy.correct) vsGreedy.gained++;
        if (!o.correct && p.greedy.correct) vsGreedy.lost++;
      }
      if (correct.length > 0) {
        cells[key] = {
          accuracy: accuracy(correct),
          rowsPerProblem: mean(rows),
          problems: correct.length,
          ...(s.kind === 'greedy' ? {} : { vsGreedy }),
        };
      }
    }
    if (Object.keys(cells).length > 0) {
      results.push({
        id: s.id,
        label: s.label,
        kind: s.kind,
        ...(s.n !== undefined ? { n: s.n } : {}),
        ...(s.config !== undefined ? { config: s.config } : {}),
        cells,
      });
    }
  }
  return results;
}

/** Runs the problems (in worker threads when `workers` > 1) and aggregates every strategy. */
export async function runQuality(options: QualityOptions): Promise<{ results: QualityResults; records: ProblemRecord[] }> {
  const families = options.families ?? TASK_FAMILIES;
  const splits = options.splits ?? TASK_SPLITS;
  const workers = Math.max(1, Math.min(options.workers ?? 1, options.problems));
  const shardOptions: QualityShardOptions = {
    modelPath: options.modelPath,
    problems: options.problems,
    gridProblems: options.gridProblems,
    samples: options.samples,
    temperature: options.temperature,
    grid: options.grid,
    maxNewTokens: options.maxNewTokens,
    budgetSeconds: options.budgetSeconds ?? 0,
    startedAt: Date.now(),
    families,
    splits,
    shard: { index: 0, count: workers },
  };
  const shards =
    workers === 1
      ? [await runQualityShard(shardOptions, options.log)]
      : await Promise.all(
          Array.from({ length: workers }, (_, index) =>
            runShardInWorker({ ...shardOptions, shard: { index, count: workers } }, options.log, options.workerScript),
          ),
        );
  const { records, rounds } = mergeShards(shards, workers, options.problems);
  if (rounds < options.problems) options.log(`quality: budget of ${options.budgetSeconds} s reached after ${rounds} problems per split`);
  const strategies = strategyOutcomes(options.grid, options.sampleCounts, options.samples);
  const gridRecords = records.filter((r) => r.grid !== undefined);
  const results: QualityResults = {
    problemsPerSplit: rounds,
    requestedProblemsPerSplit: options.problems,
    budgetSeconds: options.budgetSeconds ?? 0,
    greedySource: 'argmax row of the sampling batch (bare onnxruntime); identical to ReasonFlow N=1 (speed item 1 checks it)',
    gridProblemsPerSplit: Math.min(options.gridProblems, rounds),
    workers,
    samples: options.samples,
    temperature: options.temperature,
    maxNewTokens: options.maxNewTokens,
    splits: families.flatMap((f) => splits.map((s) => `${f}/${s}`)),
    onGridSubset: aggregate(gridRecords, strategies),
    onAllProblems: aggregate(
      records,
      strategies.filter((s) => s.kind !== 'reasonflow'),
    ),
  };
  return { results, records };
}
