import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ContextLengthError, logitsToHost, ModelError, UnsupportedFeatureError } from '@reasonflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileProgress, loadModel, loadModelInWorker, type WorkerLoadedModel } from '../src/index.js';
import { cacheEquivalenceScenario, maxAbsDiff, recompute } from '../../model-adapter/test/helpers.js';
import { writeToyFolder } from './toy-folder.js';

describe('WorkerDecoderModel', () => {
  let toy: ReturnType<typeof writeToyFolder>;
  let loaded: WorkerLoadedModel;
  const progress: FileProgress[] = [];
  beforeAll(async () => {
    toy = writeToyFolder();
    loaded = await loadModelInWorker(toy.folder, { device: 'cpu', onProgress: (p) => progress.push(p) });
  });
  afterAll(async () => {
    await loaded.dispose();
    toy.remove();
  });

  it('gives the same logits as the in-process model, through lookahead, rollback and row selection', async () => {
    expect(loaded.executionProvider).toBe('cpu');
    expect(loaded.model.info.vocabSize).toBe(40);
    expect(loaded.tokenizer.decode(loaded.tokenizer.encode('abc'))).toBe('abc');
    expect(await cacheEquivalenceScenario(loaded.model, [[5, 6, 7], [8, 9, 10]], [5, 35])).toBeLessThanOrEqual(1e-4);
    const local = await loadModel(toy.folder, { device: 'cpu' });
    const a = await recompute(local.model, [[5, 6, 7, 8]]);
    const b = await recompute(loaded.model, [[5, 6, 7, 8]]);
    expect(maxAbsDiff(a, b)).toBe(0);
    await local.dispose();
  });

  it("forwards the worker's file progress to this thread's onProgress", () => {
    const model = progress.find((p) => p.file === 'onnx/model.onnx');
    expect(model?.done).toBe(true);
    expect(model?.loaded).toBe(statSync(join(toy.folder, 'onnx/model.onnx')).size);
  });

  it('embedTokens and embeddings forward work through the worker', async () => {
    const seq = await loaded.model.startSequence({ rows: 1 });
    const embeddings = await loaded.model.embedTokens!(Int32Array.of(5, 6, 7));
    const t = await seq.forward({ kind: 'embeddings', embeddings, tokensPerRow: 3 });
    expect(maxAbsDiff(await logitsToHost(t), await recompute(loaded.model, [[5, 6, 7]]))).toBeLessThanOrEqual(1e-5);
    await seq.mergeRows!(Int32Array.of(0), Float32Array.of(1));
    await seq.dispose();
  });

  it('typed errors cross the thread boundary', async () => {
    const seq = await loaded.model.startSequence({ rows: 1 });
    const long = new Int32Array(65).fill(5);
    const error = await seq.forward({ kind: 'tokens', tokens: long, tokensPerRow: 65 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContextLengthError);
    expect((error as ContextLengthError).maxLength).toBe(64);
    expect((error as Error).message).toMatch(/65 tokens exceeds the model's context of 64/);
    await expect(seq.selectRows(Int32Array.of(3))).rejects.toThrow(RangeError);
    await seq.dispose();
    const noPair = await loadModelInWorker(toy.folder, { device: 'cpu', inputsEmbeds: false });
    expect(noPair.model.embedTokens).toBeUndefined();
    const s2 = await noPair.model.startSequence({ rows: 1 });
    await expect(s2.forward({ kind: 'embeddings', embeddings: new Float32Array(8), tokensPerRow: 1 })).rejects.toThrow(UnsupportedFeatureError);
    await noPair.dispose();
    await expect(noPair.model.startSequence({ rows: 1 })).rejects.toThrow(ModelError);
    // A folder that exists but holds no model (its onnx/ subfolder).
    const bad = await loadModelInWorker(`${toy.folder}/onnx`, { device: 'cpu' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ModelError);
    // The worker validates the whole folder and reports every problem, across the thread boundary.
    expect((bad as ModelError).problems).toEqual(expect.arrayContaining(['config.json: missing', 'tokenizer.json: missing']));
    expect((bad as ModelError).problems.some((p) => p.startsWith('onnx/model.onnx: missing'))).toBe(true);
  });

  it('re-emits the auto fallback warning on the calling thread', async () => {
    const warnings: string[] = [];
    const auto = await loadModelInWorker(toy.folder, { onWarning: (m) => warnings.push(m) });
    expect(auto.executionProvider).toBe('cpu');
    expect(warnings).toHaveLength(1);
    await auto.dispose();
  });

  it('no leaks: the worker holds nothing after its sequences are disposed', async () => {
    const seq = await loaded.model.startSequence({ rows: 2 });
    const t = await seq.forward({ kind: 'tokens', tokens: Int32Array.of(5, 6, 7, 8), tokensPerRow: 2 });
    expect(await loaded.model.resources()).toEqual({ sessions: 3, tensors: 4, sequences: 1 });
    await seq.dispose();
    expect(await loaded.model.resources()).toEqual({ sessions: 3, tensors: 0, sequences: 0 });
    // After dispose: what was still alive in the worker when it ended.
    const other = await loadModelInWorker(toy.folder, { device: 'cpu' });
    await other.model.startSequence({ rows: 1 });
    await other.dispose();
    expect(await other.model.resources()).toEqual({ sessions: 0, tensors: 0, sequences: 0 });
  });
});

describe('event loop', () => {
  it('keeps ticking during a long forward pass in the worker', async () => {
    // Sized for ~4× the 50 ms floor below on this machine class (2 layers × 2 rows once took 46 ms on a quiet one).
    const toy = writeToyFolder({ shape: { layers: 4, kvHeads: 8, headDim: 64, vocab: 4000, maxPositions: 512 }, pair: false });
    const loaded = await loadModelInWorker(toy.folder, { device: 'cpu' });
    const seq = await loaded.model.startSequence({ rows: 4 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const start = performance.now();
    const t = await seq.forward({ kind: 'tokens', tokens: new Int32Array(4 * 512).fill(7), tokensPerRow: 512 });
    const elapsed = performance.now() - start;
    clearInterval(timer);
    // A blocked loop would tick at most once; a free one ticks about every 5 ms.
    expect(elapsed).toBeGreaterThan(50);
    expect(ticks).toBeGreaterThanOrEqual(Math.min(5, Math.floor(elapsed / 20)));
    await loaded.dispose();
    toy.remove();
  }, 30_000);
});
