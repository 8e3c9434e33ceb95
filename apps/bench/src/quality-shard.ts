/**
 * One shard of the quality run: the problems whose index ≡ shard.index (mod shard.count), each
 * split in turn. Runs in this thread or in a worker thread (quality-worker.ts); the shards' records
 * are merged back into problem order, so the results do not depend on the number of workers.
 */
import { checkAnswer, evalSet, extractAnswer, MODEL_SPEC, TASK_FAMILIES, TASK_SPLITS, type TaskFamily, type TaskSplit } from '@reasonflow/model-tiny';
import { ReasonFlow } from 'reasonflow';
import { BareOrtDecoder } from './bare-loop.js';
import type { GridEntry, ProblemRecord } from './quality.js';
import { runInWorker } from './worker-run.js';

/** Everything a shard needs; structured-cloneable, so it can cross into a worker. */
export interface QualityShardOptions {
  modelPath: string;
  problems: number;
  gridProblems: number;
  samples: number;
  temperature: number;
  grid: readonly GridEntry[];
  maxNewTokens: number;
  /** 0: none. Measured from `startedAt` (epoch ms), shared by every shard. */
  budgetSeconds: number;
  startedAt: number;
  families: readonly TaskFamily[];
  splits: readonly TaskSplit[];
  shard: { index: number; count: number };
}

/** The problem indices a shard completed, ascending; each with one record per family × split. */
export interface ShardResult {
  rounds: { index: number; records: ProblemRecord[] }[];
}

/** The sampler's seed of one problem: fixed per family, split and index. */
export function seedOf(family: TaskFamily, split: TaskSplit, index: number): number {
  return (TASK_FAMILIES.indexOf(family) * 1_000_003 + TASK_SPLITS.indexOf(split) * 100_003 + index * 7 + 12345) >>> 0;
}

export async function runQualityShard(options: QualityShardOptions, log: (line: string) => void): Promise<ShardResult> {
  const { modelPath, shard } = options;
  const rf = await ReasonFlow.fromPretrained(modelPath, { device: 'cpu', intraOpNumThreads: 1, onWarning: () => {} });
  const bare = await BareOrtDecoder.load(
    modelPath,
    { layers: MODEL_SPEC.numLayers, kvHeads: MODEL_SPEC.numKeyValueHeads, headDim: MODEL_SPEC.headDim, vocab: MODEL_SPEC.vocabSize },
    1,
  );
  const eos = rf.model.info.eosTokenIds;
  const sets = options.families.flatMap((family) =>
    options.splits.map((split) => ({ family, split, problems: evalSet(family, split, options.problems) })),
  );
  const budgetMs = options.budgetSeconds * 1000;
  const prefix = shard.count > 1 ? `quality[${shard.index + 1}/${shard.count}]` : 'quality';
  const result: ShardResult = { rounds: [] };
  try {
    const gridInstances = options.grid.map((g) => rf.withConfig(g.config));
    for (let i = shard.index; i < options.problems; i += shard.count) {
      // Grid problems always run; the baselines stop at the first index that starts past the budget.
      if (i >= options.gridProblems && budgetMs > 0 && Date.now() - options.startedAt > budgetMs) break;
      const round: ProblemRecord[] = [];
      for (const { family, split, problems } of sets) {
        const { prompt } = problems[i]!;
        const promptIds = rf.encode(prompt);
        const maxNewTokens = Math.max(1, Math.min(options.maxNewTokens, rf.model.info.maxSequenceLength - promptIds.length));
        // Row 0: greedy (argmax); rows 1..samples: temperature samples. One batch.
        const batch = await bare.sampleBatch(promptIds, {
          samples: options.samples + 1,
          maxNewTokens,
          temperature: options.temperature,
          seed: seedOf(family, split, i),
          eosTokenIds: eos,
          greedyFirst: true,
        });
        const decoded = batch.map((s) => {
          const text = rf.tokenizer.decode(s.tokenIds, { skipSpecialTokens: true });
          return { answer: extractAnswer(text), correct: checkAnswer(prompt, text), logProb: s.logProb, rows: s.rowsComputed };
        });
        const g = decoded[0]!;
        const record: ProblemRecord = {
          family,
          split,
          prompt,
          greedy: { correct: g.correct, rows: g.rows, answer: g.answer },
          samples: decoded.slice(1),
        };
        if (i < options.gridProblems) {
          record.grid = [];
          for (const instance of gridInstances) {
            const r = await instance.generateThoughts(prompt, { maxNewTokens });
            record.grid.push({ correct: checkAnswer(prompt, r.output), rows: r.stats.rowsComputed });
          }
        }
        round.push(record);
      }
      result.rounds.push({ index: i, records: round });
      const done = i + 1;
      if (done === options.gridProblems || Math.floor(done / 25) !== Math.floor((done - shard.count) / 25)) {
        log(`${prefix}: problem ${done} of each split after ${((Date.now() - options.startedAt) / 1000).toFixed(0)} s`);
      }
    }
  } finally {
    await rf.dispose();
    await bare.dispose();
  }
  return result;
}

/**
 * Puts the shards' records back in problem order, keeping the longest prefix of indices that every
 * shard completed (a shard stopped by the budget leaves a gap after it).
 */
export function mergeShards(shards: readonly ShardResult[], count: number, problems: number): { records: ProblemRecord[]; rounds: number } {
  if (shards.length !== count) throw new Error(`mergeShards: expected ${count} shards, got ${shards.length}`);
  const byIndex = new Map<number, ProblemRecord[]>();
  for (const { index, records } of shards.flatMap((s) => s.rounds)) byIndex.set(index, records);
  let rounds = 0;
  while (rounds < problems && byIndex.has(rounds)) rounds++;
  const records: ProblemRecord[] = [];
  for (let i = 0; i < rounds; i++) records.push(...byIndex.get(i)!);
  return { records, rounds };
}

/** Runs one shard in a worker thread; its log lines are forwarded, its error rethrown here. */
export function runShardInWorker(
  options: QualityShardOptions,
  log: (line: string) => void,
  script: URL = new URL('./quality-worker.js', import.meta.url),
): Promise<ShardResult> {
  return runInWorker<ShardResult>(script, options, log, `quality shard ${options.shard.index + 1}/${options.shard.count}`);
}
