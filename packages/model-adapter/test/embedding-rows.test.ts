import { describe, expect, it } from 'vitest';
import { loadModelFolder } from '../src/index.js';
import { EmbeddingRows } from '../src/embedding-rows.js';
import { createOrtSession, type SessionFactory } from '../src/runtime.js';
import { cpuSessionOptions, ort, toyFolder } from './fixtures.js';

/** Row of token t: [t, t + 0.5]. */
function fakeGraph(calls: number[][]) {
  return async (missing: Int32Array) => {
    calls.push(Array.from(missing));
    return Float32Array.from(Array.from(missing).flatMap((t) => [t, t + 0.5]));
  };
}

describe('EmbeddingRows', () => {
  it('computes each distinct missing token once, in first-seen order, and serves repeats from the cache', async () => {
    const calls: number[][] = [];
    const rows = new EmbeddingRows(2, 1024);
    expect(Array.from(await rows.lookup(Int32Array.of(7, 3, 7), fakeGraph(calls)))).toEqual([7, 7.5, 3, 3.5, 7, 7.5]);
    expect(Array.from(await rows.lookup(Int32Array.of(3, 9, 7), fakeGraph(calls)))).toEqual([3, 3.5, 9, 9.5, 7, 7.5]);
    expect(calls).toEqual([[7, 3], [9]]);
    await rows.lookup(Int32Array.of(9, 3), fakeGraph(calls));
    expect(calls).toHaveLength(2);
  });

  it('drops the least recently used row past its byte budget, and caches nothing with a budget under one row', async () => {
    const calls: number[][] = [];
    const rows = new EmbeddingRows(2, 2 * 8); // two rows of two float32
    expect(rows.maxRows).toBe(2);
    await rows.lookup(Int32Array.of(1, 2), fakeGraph(calls));
    await rows.lookup(Int32Array.of(1), fakeGraph(calls)); // 1 is now the most recent
    await rows.lookup(Int32Array.of(3), fakeGraph(calls)); // evicts 2
    expect(rows.size).toBe(2);
    await rows.lookup(Int32Array.of(1, 3), fakeGraph(calls));
    await rows.lookup(Int32Array.of(2), fakeGraph(calls));
    expect(calls).toEqual([[1, 2], [3], [2]]);

    const none = new EmbeddingRows(2, 7);
    await none.lookup(Int32Array.of(4), fakeGraph(calls));
    await none.lookup(Int32Array.of(4), fakeGraph(calls));
    expect(none.size).toBe(0);
    expect(calls.slice(3)).toEqual([[4], [4]]);
  });

  it('a model runs its embedding graph only for tokens it has not embedded before, with the same values', async () => {
    const runs: number[][] = [];
    const createSession: SessionFactory = async (model, file, options) => {
      const session = await createOrtSession(ort, model, options);
      if (file.endsWith('embed_tokens.onnx')) {
        const run = session.run.bind(session) as (...args: unknown[]) => ReturnType<typeof session.run>;
        session.run = ((feeds: Record<string, { data: unknown }>, ...rest: unknown[]) => {
          runs.push(Array.from(feeds.input_ids!.data as ArrayLike<number | bigint>, Number));
          return run(feeds, ...rest);
        }) as typeof session.run;
      }
      return session;
    };
    const cached = await loadModelFolder(toyFolder(), { runtime: ort, sessionOptions: cpuSessionOptions, createSession });
    const fresh = await loadModelFolder(toyFolder(), { runtime: ort, sessionOptions: cpuSessionOptions });
    try {
      const first = await cached.model.embedTokens!(Int32Array.of(5, 6, 5));
      const second = await cached.model.embedTokens!(Int32Array.of(6, 8));
      expect(runs).toEqual([[5, 6], [8]]);
      expect(first).toEqual(await fresh.model.embedTokens!(Int32Array.of(5, 6, 5)));
      expect(second).toEqual(await fresh.model.embedTokens!(Int32Array.of(6, 8)));
      const width = cached.model.info.embeddingSize!;
      expect(first.subarray(0, width)).toEqual(first.subarray(2 * width, 3 * width));
    } finally {
      await cached.dispose();
      await fresh.dispose();
    }
  });
});
