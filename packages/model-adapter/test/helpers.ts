import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DecoderModel, DecoderSequence } from '@reasonflow/core';
import { logitsToHost } from '@reasonflow/core';
import { createOrtSession, type ModelFileSource, type OnnxRuntime, type OrtSession, type SessionFactory } from '../src/index.js';

/** Logits of every row after feeding each row's whole history at once to a fresh sequence (no cache reuse). */
export async function recompute(model: DecoderModel, histories: readonly number[][]): Promise<Float32Array> {
  const rows = histories.length;
  const len = histories[0]!.length;
  const seq = await model.startSequence({ rows });
  try {
    const t = await seq.forward({ kind: 'tokens', tokens: Int32Array.from(histories.flat()), tokensPerRow: len });
    const out = await logitsToHost(t);
    return out;
  } finally {
    await seq.dispose();
  }
}

export async function step(seq: DecoderSequence, tokens: number[][]): Promise<Float32Array> {
  const t = await seq.forward({ kind: 'tokens', tokens: Int32Array.from(tokens.flat()), tokensPerRow: tokens[0]!.length });
  const out = await logitsToHost(t);
  return out;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function argmaxRows(logits: Float32Array, rows: number): number[] {
  const vocab = logits.length / rows;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let v = 1; v < vocab; v++) if (logits[r * vocab + v]! > logits[r * vocab + best]!) best = v;
    out.push(best);
  }
  return out;
}

/**
 * Drives a sequence through prompt, lookahead steps, rollback (truncate), row broadcast and
 * permutation, multi-token steps, and after each step checks the cached logits against a recomputation.
 * Returns the largest difference seen.
 */
export async function cacheEquivalenceScenario(model: DecoderModel, prompts: number[][], tokenRange: [number, number]): Promise<number> {
  const rows = prompts.length;
  const histories = prompts.map((p) => [...p]);
  const seq = await model.startSequence({ rows });
  let worst = 0;
  const check = async (cached: Float32Array): Promise<void> => {
    const fresh = await recompute(model, histories);
    worst = Math.max(worst, maxAbsDiff(cached, fresh));
  };
  const [lo, hi] = tokenRange;
  const pick = (logits: Float32Array): number[] => argmaxRows(logits, rows).map((t, r) => lo + ((t + r * 7) % (hi - lo)));
  try {
    let logits = await step(seq, prompts);
    await check(logits);
    for (let iteration = 0; iteration < 4; iteration++) {
      const committed = seq.length;
      // Lookahead of three steps, each row its own path.
      for (let s = 0; s < 3; s++) {
        const next = pick(logits);
        next.forEach((t, r) => {
          histories[r]!.push(t);
        });
        logits = await step(seq, next.map((t) => [t]));
        await check(logits);
      }
      // Roll back to the committed prefix plus one token, then re-form the rows.
      await seq.truncate(committed + 1);
      for (const h of histories) h.splice(committed + 1);
      const selections = [Array(rows).fill(rows - 1), Array.from({ length: rows }, (_, r) => (r + 1) % rows), Array.from({ length: rows }, (_, r) => r)];
      const sel = selections[iteration % selections.length]! as number[];
      await seq.selectRows(Int32Array.from(sel));
      const before = histories.map((h) => [...h]);
      sel.forEach((src, r) => {
        histories[r] = [...before[src]!];
      });
      // One multi-token step every other iteration.
      const width = iteration % 2 === 0 ? 1 : 2;
      const next = Array.from({ length: rows }, (_, r) => Array.from({ length: width }, (_, j) => lo + ((iteration * 5 + r * 3 + j) % (hi - lo))));
      next.forEach((t, r) => {
        histories[r]!.push(...t);
      });
      logits = await step(seq, next);
      await check(logits);
    }
  } finally {
    await seq.dispose();
  }
  return worst;
}

/** A model folder on disk as a file source (model-adapter itself has no Node file access). */
export function fsSource(folder: string): ModelFileSource {
  return {
    description: folder,
    exists: async (p) => existsSync(join(folder, p)),
    readText: (p) => readFile(join(folder, p), 'utf8'),
    readBinary: async (p) => new Uint8Array(await readFile(join(folder, p))),
  };
}

/** A session factory that records what each graph was opened from (bytes or a path) and which sessions are still alive. */
export function recordingSessionFactory(runtime: OnnxRuntime): { createSession: SessionFactory; openedFrom: Map<string, 'bytes' | string>; live: Set<OrtSession> } {
  const openedFrom = new Map<string, 'bytes' | string>();
  const live = new Set<OrtSession>();
  const createSession: SessionFactory = async (model, file, options) => {
    openedFrom.set(file, typeof model === 'string' ? model : 'bytes');
    const session = await createOrtSession(runtime, model, options);
    live.add(session);
    const release = session.release.bind(session);
    session.release = async () => {
      live.delete(session);
      await release();
    };
    return session;
  };
  return { createSession, openedFrom, live };
}
