/**
 * One shard of the search benchmark: the problems whose index ≡ shard.index (mod shard.count) of
 * each plan, every strategy × N × seed on each, through core's `generateWith` on the embedded model.
 * Every run is seeded per problem and seed, so the records do not depend on the number of shards.
 */
import { type EngineObserver, generateWith } from '@reasonflow/core';
import { checkAnswer, evalSet, extractAnswer, type TaskFamily, type TaskSplit } from '@reasonflow/model-tiny';
import { ReasonFlow } from 'reasonflow';
import { seedOf } from './quality-shard.js';
import { type LineupEntry, lineupEntry, type SearchKind, strategyFor } from './search-lineup.js';
import { runInWorker } from './worker-run.js';

/** What runs on one split. */
export interface SplitPlan {
  family: TaskFamily;
  split: TaskSplit;
  problems: number;
  ns: readonly number[];
  seeds: number;
  kinds: readonly SearchKind[];
}

export interface SearchShardOptions {
  modelPath: string;
  plans: readonly SplitPlan[];
  maxNewTokens: number;
  startedAt: number;
  shard: { index: number; count: number };
}

/** One strategy run on one problem and seed. */
export interface RunRecord {
  id: string;
  kind: SearchKind;
  n: number;
  /** Seed index (0-based; greedy runs once, as seed 0). */
  seed: number;
  correct: boolean;
  answer: string | null;
  /** stats.rowsComputed. */
  rows: number;
  /** Σ rows × positions over the observer's forward events (must equal `rows`). */
  observedRows: number;
  activeRows: number;
  scorerCalls: number;
  /** Wall time of the call (for the run-time projection only). */
  ms: number;
  /** Guided search with the step checker: finished (EOS) candidates, and how many pass the final checker. */
  eosCandidates?: { total: number; passing: number };
}

export interface SearchRecord {
  family: TaskFamily;
  split: TaskSplit;
  index: number;
  prompt: string;
  runs: RunRecord[];
}

/** Seed of run `seedIndex` on a problem: the quality part's per-problem seed, then a large odd stride per seed. */
export function runSeed(family: TaskFamily, split: TaskSplit, index: number, seedIndex: number): number {
  return (seedOf(family, split, index) + seedIndex * 1_000_000_007) >>> 0;
}

export async function runSearchShard(options: SearchShardOptions, log: (line: string) => void): Promise<SearchRecord[]> {
  const { shard } = options;
  const rf = await ReasonFlow.fromPretrained(options.modelPath, { device: 'cpu', intraOpNumThreads: 1, onWarning: () => {} });
  const decode = (ids: readonly number[]) => (ids.length === 0 ? '' : rf.tokenizer.decode(ids, { skipSpecialTokens: true }));
  const eosTokenIds = rf.model.info.eosTokenIds;
  const prefix = shard.count > 1 ? `search[${shard.index + 1}/${shard.count}]` : 'search';
  const records: SearchRecord[] = [];
  let observed = 0;
  const observer: EngineObserver = { onForward: (e) => void (observed += e.rows * e.positions) };
  try {
    for (const plan of options.plans) {
      const problems = evalSet(plan.family, plan.split, plan.problems);
      for (let index = shard.index; index < plan.problems; index += shard.count) {
        const { prompt } = problems[index]!;
        const promptIds = rf.encode(prompt);
        const maxNewTokens = Math.max(1, Math.min(options.maxNewTokens, rf.model.info.maxSequenceLength - promptIds.length));
        const run = async (entry: LineupEntry, seedIndex: number, scBudget?: number): Promise<RunRecord> => {
          const seed = runSeed(plan.family, plan.split, index, seedIndex);
          observed = 0;
          const startedAt = performance.now();
          const result = await generateWith(
            rf.model,
            promptIds,
            strategyFor(entry, prompt, seed, scBudget),
            { maxNewTokens, eosTokenIds, decode, extractAnswer, seed },
            { observer },
          );
          const text = result.text ?? decode(result.tokenIds);
          const record: RunRecord = {
            id: entry.id,
            kind: entry.kind,
            n: entry.n,
            seed: seedIndex,
            correct: checkAnswer(prompt, text),
            answer: extractAnswer(text),
            rows: result.stats.rowsComputed,
            observedRows: observed,
            activeRows: result.stats.activeRowPositions,
            scorerCalls: result.stats.scorerCalls,
            ms: performance.now() - startedAt,
          };
          if (entry.kind === 'guided-checker') {
            const finished = result.candidates.filter((c) => c.finish === 'eos');
            record.eosCandidates = {
              total: finished.length,
              passing: finished.filter((c) => checkAnswer(prompt, c.text ?? decode(c.tokenIds))).length,
            };
          }
          return record;
        };
        const runs: RunRecord[] = [];
        if (plan.kinds.includes('greedy')) runs.push(await run(lineupEntry('greedy', 1), 0));
        for (let seedIndex = 0; seedIndex < plan.seeds; seedIndex++) {
          for (const n of plan.ns) {
            // SC@n first: its compute is DeepConf's budget on the same problem and seed.
            const sc = await run(lineupEntry('self-consistency', n), seedIndex);
            if (plan.kinds.includes('self-consistency')) runs.push(sc);
            for (const kind of plan.kinds) {
              if (kind === 'greedy' || kind === 'self-consistency') continue;
              runs.push(await run(lineupEntry(kind, n), seedIndex, sc.rows));
            }
          }
        }
        records.push({ family: plan.family, split: plan.split, index, prompt, runs });
        const done = records.length;
        if (done % 5 === 0) log(`${prefix}: ${done} problems after ${((Date.now() - options.startedAt) / 1000).toFixed(0)} s`);
      }
    }
  } finally {
    await rf.dispose();
  }
  return records;
}

/** Runs one shard in a worker thread. */
export function runSearchShardInWorker(
  options: SearchShardOptions,
  log: (line: string) => void,
  script: URL = new URL('./search-worker.js', import.meta.url),
): Promise<SearchRecord[]> {
  return runInWorker<SearchRecord[]>(script, options, log, `search shard ${options.shard.index + 1}/${options.shard.count}`);
}
