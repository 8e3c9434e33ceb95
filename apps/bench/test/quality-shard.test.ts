import { modelPath } from '@reasonflow/model-tiny';
import { describe, expect, it } from 'vitest';
import { runQuality } from '../src/quality.js';
import { mergeShards, type ShardResult } from '../src/quality-shard.js';
import type { ProblemRecord } from '../src/quality.js';

const rec = (prompt: string): ProblemRecord => ({
  family: 'addition',
  split: 'easy',
  prompt,
  greedy: { correct: true, rows: 1, answer: null },
  samples: [],
});

describe('mergeShards', () => {
  it('restores problem order across shards', () => {
    const a: ShardResult = { rounds: [{ index: 0, records: [rec('0a'), rec('0b')] }, { index: 2, records: [rec('2a'), rec('2b')] }] };
    const b: ShardResult = { rounds: [{ index: 1, records: [rec('1a'), rec('1b')] }, { index: 3, records: [rec('3a'), rec('3b')] }] };
    const { records, rounds } = mergeShards([a, b], 2, 4);
    expect(rounds).toBe(4);
    expect(records.map((r) => r.prompt)).toEqual(['0a', '0b', '1a', '1b', '2a', '2b', '3a', '3b']);
  });
  it('keeps only the prefix every shard completed when one stopped early', () => {
    const a: ShardResult = { rounds: [0, 2, 4].map((index) => ({ index, records: [rec(String(index))] })) };
    const b: ShardResult = { rounds: [{ index: 1, records: [rec('1')] }] };
    const { records, rounds } = mergeShards([a, b], 2, 6);
    // Index 3 is missing (shard b stopped), so index 4 is dropped too.
    expect(rounds).toBe(3);
    expect(records.map((r) => r.prompt)).toEqual(['0', '1', '2']);
  });
  it('rejects a missing shard', () => {
    expect(() => mergeShards([{ rounds: [{ index: 0, records: [rec('0')] }] }], 2, 2)).toThrow(/expected 2 shards, got 1/);
  });
});

describe('worker threads', () => {
  // The compiled worker (turbo builds before testing); vitest runs this file from source.
  const workerScript = new URL('../dist/quality-worker.js', import.meta.url);
  const base = {
    modelPath,
    problems: 3,
    gridProblems: 2,
    samples: 2,
    sampleCounts: [2],
    temperature: 0.8,
    grid: [{ id: 'rf', label: 'ReasonFlow N=2 T=2', config: { numOfThinkers: 2, numOfThoughts: 2 } }],
    maxNewTokens: 10,
    splits: ['easy', 'hard'] as const,
    workerScript,
  };

  it('two workers give exactly the records of one thread', async () => {
    const lines: string[] = [];
    const one = await runQuality({ ...base, workers: 1, log: () => {} });
    const two = await runQuality({ ...base, workers: 2, log: (l) => lines.push(l) });
    expect(two.records).toEqual(one.records);
    expect(two.results.problemsPerSplit).toBe(3);
    expect(two.results.workers).toBe(2);
    expect({ ...two.results, workers: 1 }).toEqual(one.results);
    expect(one.records).toHaveLength(3 * 4); // 3 problems × 2 families × 2 splits
    expect(one.records.filter((r) => r.grid !== undefined)).toHaveLength(2 * 4);
    expect(lines.some((l) => l.startsWith('quality[2/2]'))).toBe(true);
  });

  it("a worker's error reaches the caller with its shard named", async () => {
    await expect(runQuality({ ...base, modelPath: '/nonexistent/model', workers: 2, log: () => {} })).rejects.toThrow(/quality shard [12]\/2:/);
  });
});
