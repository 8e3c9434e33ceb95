import { logitsToHost, UnsupportedFeatureError, ContextLengthError, ModelError } from '@reasonflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedModel, loadModelFolder } from '../src/index.js';
import { cpuSessionOptions, ort, TOY, toyFolder } from './fixtures.js';
import { cacheEquivalenceScenario, maxAbsDiff, recompute, step } from './helpers.js';

describe('OnnxDecoderModel on the self-made toy folder', () => {
  let loaded: LoadedModel;
  beforeAll(async () => {
    loaded = await loadModelFolder(toyFolder(), { runtime: ort, sessionOptions: cpuSessionOptions });
  });
  afterAll(async () => {
    await loaded.dispose();
  });

  it('reports what the model can do', () => {
    expect(loaded.model.info).toEqual({
      vocabSize: TOY.vocab, maxSequenceLength: TOY.maxPositions, eosTokenIds: [1],
      embeddingSize: TOY.kvHeads * TOY.headDim,
      // Per position of a row: a float32 key and value per layer, kvHeads × headDim each.
      kvBytesPerPosition: TOY.layers * 2 * TOY.kvHeads * TOY.headDim * 4,
    });
    expect(typeof loaded.model.embedTokens).toBe('function');
    expect(loaded.model.files).toEqual(['onnx/model.onnx', 'onnx/decoder_model_merged.onnx', 'onnx/embed_tokens.onnx']);
  });

  it('KV-cached steps equal recomputation across lookahead, rollback, broadcast and permutation', async () => {
    const worst = await cacheEquivalenceScenario(loaded.model, [[5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]], [5, 35]);
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it('detects a wrong cache: skipping the rollback changes the logits', async () => {
    const seq = await loaded.model.startSequence({ rows: 1 });
    await step(seq, [[5, 6, 7]]);
    await step(seq, [[8]]);
    const stale = await step(seq, [[9]]); // history 5 6 7 8 9
    const fresh = await recompute(loaded.model, [[5, 6, 7, 9]]);
    expect(maxAbsDiff(stale, fresh)).toBeGreaterThan(1e-3);
    await seq.truncate(3);
    const rolled = await step(seq, [[9]]);
    expect(maxAbsDiff(rolled, fresh)).toBeLessThanOrEqual(1e-5);
    await seq.dispose();
  });

  it('mergeRows: the mean of identical rows is that row; a single weight broadcasts it', async () => {
    const seq = await loaded.model.startSequence({ rows: 3 });
    await step(seq, [[5, 6], [7, 8], [9, 10]]);
    await seq.mergeRows!(Int32Array.of(1), Float32Array.of(0.25));
    const merged = await step(seq, [[11], [11], [11]]);
    const fresh = await recompute(loaded.model, [[7, 8, 11], [7, 8, 11], [7, 8, 11]]);
    expect(maxAbsDiff(merged, fresh)).toBeLessThanOrEqual(1e-5);
    // Mean of rows 0 and 1 after they hold the same history (weights normalised).
    await seq.mergeRows!(Int32Array.of(0, 1), Float32Array.of(3, 1));
    const again = await step(seq, [[12], [12], [12]]);
    const fresh2 = await recompute(loaded.model, [[7, 8, 11, 12], [7, 8, 11, 12], [7, 8, 11, 12]]);
    expect(maxAbsDiff(again, fresh2)).toBeLessThanOrEqual(1e-5);
    await seq.dispose();
  });

  it('rows may be re-formed to a different count', async () => {
    const seq = await loaded.model.startSequence({ rows: 2 });
    await step(seq, [[5, 6], [7, 8]]);
    await seq.selectRows(Int32Array.of(1, 1, 0, 1));
    expect(seq.rows).toBe(4);
    const out = await step(seq, [[9], [10], [11], [12]]);
    const fresh = await recompute(loaded.model, [[7, 8, 9], [7, 8, 10], [5, 6, 11], [7, 8, 12]]);
    expect(maxAbsDiff(out, fresh)).toBeLessThanOrEqual(1e-5);
    await seq.dispose();
  });

  it('inputs_embeds: embedTokens + forward(embeddings) equals forward(tokens), mixing graphs step to step', async () => {
    const byTokens = await loaded.model.startSequence({ rows: 2 });
    const byEmbeds = await loaded.model.startSequence({ rows: 2 });
    const prompt = [5, 6, 7, 8, 9, 10];
    const a = await step(byTokens, [prompt.slice(0, 3), prompt.slice(3)]);
    const embeddings = await loaded.model.embedTokens!(Int32Array.from(prompt));
    expect(embeddings.length).toBe(6 * loaded.model.info.embeddingSize!);
    const t = await byEmbeds.forward({ kind: 'embeddings', embeddings, tokensPerRow: 3 });
    const b = await logitsToHost(t);
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-5);
    // Next step: the embeddings sequence continues with tokens, the token sequence with embeddings.
    const c = await step(byEmbeds, [[11], [12]]);
    const t2 = await byTokens.forward({ kind: 'embeddings', embeddings: await loaded.model.embedTokens!(Int32Array.of(11, 12)), tokensPerRow: 1 });
    const d = await logitsToHost(t2);
    expect(maxAbsDiff(c, d)).toBeLessThanOrEqual(1e-5);
    await byTokens.dispose();
    await byEmbeds.dispose();
  });

  it('a prompt longer than the context is a ContextLengthError, and so is a step past it', async () => {
    const seq = await loaded.model.startSequence({ rows: 1 });
    const long = Int32Array.from({ length: TOY.maxPositions + 1 }, (_, i) => 5 + (i % 20));
    await expect(seq.forward({ kind: 'tokens', tokens: long, tokensPerRow: long.length })).rejects.toThrow(ContextLengthError);
    await expect(seq.forward({ kind: 'tokens', tokens: long, tokensPerRow: long.length })).rejects.toThrow(/65 tokens exceeds the model's context of 64/);
    await step(seq, [Array.from(long.subarray(0, TOY.maxPositions))]);
    await expect(seq.forward({ kind: 'tokens', tokens: Int32Array.of(5), tokensPerRow: 1 })).rejects.toThrow(ContextLengthError);
    await seq.dispose();
  });

  it('rejects bad arguments and use after dispose', async () => {
    const seq = await loaded.model.startSequence({ rows: 2 });
    await expect(seq.forward({ kind: 'tokens', tokens: Int32Array.of(1, 2, 3), tokensPerRow: 1 })).rejects.toThrow(RangeError);
    await expect(seq.forward({ kind: 'tokens', tokens: Int32Array.of(1, 999), tokensPerRow: 1 })).rejects.toThrow(/out of range/);
    await expect(seq.selectRows(Int32Array.of(0, 2))).rejects.toThrow(RangeError);
    await expect(seq.truncate(1)).rejects.toThrow(RangeError);
    await seq.dispose();
    await seq.dispose();
    await expect(seq.forward({ kind: 'tokens', tokens: Int32Array.of(5, 6), tokensPerRow: 1 })).rejects.toThrow(ModelError);
  });
});

describe('models without the inputs_embeds pair', () => {
  it('have no embedding size, no embedTokens, and refuse embeddings with UnsupportedFeatureError', async () => {
    const loaded = await loadModelFolder(toyFolder({ pair: false }), { runtime: ort, sessionOptions: cpuSessionOptions });
    expect(loaded.model.info.embeddingSize).toBeUndefined();
    expect('embedTokens' in loaded.model && loaded.model.embedTokens !== undefined).toBe(false);
    const seq = await loaded.model.startSequence({ rows: 1 });
    const error = await seq.forward({ kind: 'embeddings', embeddings: new Float32Array(8), tokensPerRow: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect((error as UnsupportedFeatureError).feature).toBe('soft thoughts / inputs_embeds');
    await loaded.dispose();
  });

  it('inputsEmbeds: false skips loading the pair', async () => {
    const loaded = await loadModelFolder(toyFolder(), { runtime: ort, sessionOptions: cpuSessionOptions, inputsEmbeds: false });
    expect(loaded.model.info.embeddingSize).toBeUndefined();
    expect(loaded.model.liveSessions).toBe(1);
    await loaded.dispose();
  });

  it('a folder with only the pair runs tokens through embed_tokens + the embeddings decoder', async () => {
    const pairOnly = await loadModelFolder(toyFolder({ decoder: false }), { runtime: ort, sessionOptions: cpuSessionOptions });
    const full = await loadModelFolder(toyFolder({ pair: false }), { runtime: ort, sessionOptions: cpuSessionOptions });
    const a = await recompute(pairOnly.model, [[5, 6, 7]]);
    const b = await recompute(full.model, [[5, 6, 7]]);
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-5);
    await pairOnly.dispose();
    await full.dispose();
  });
});

describe('no leaks', () => {
  it('after dispose: sessions released, no ORT tensor held, no logits tensor left', async () => {
    const loaded = await loadModelFolder(toyFolder(), { runtime: ort, sessionOptions: cpuSessionOptions });
    expect(loaded.model.liveSessions).toBe(3);
    const seq = await loaded.model.startSequence({ rows: 2 });
    await step(seq, [[5, 6], [7, 8]]);
    await step(seq, [[9], [10]]);
    expect(loaded.model.liveTensors).toBe(2 * TOY.layers);
    await seq.truncate(2);
    await seq.selectRows(Int32Array.of(1, 1));
    await step(seq, [[9], [10]]);
    expect(loaded.model.liveTensors).toBe(2 * TOY.layers);
    await seq.truncate(0);
    expect(loaded.model.liveTensors).toBe(0);
    await step(seq, [[9], [10]]);
    const open = await loaded.model.startSequence({ rows: 1 });
    await step(open, [[5]]);
    expect(loaded.model.liveSequences).toBe(2);
    await loaded.dispose();
    expect(loaded.model.liveSessions).toBe(0);
    expect(loaded.model.liveTensors).toBe(0);
    expect(loaded.model.liveSequences).toBe(0);
    await expect(loaded.model.startSequence({ rows: 1 })).rejects.toThrow(ModelError);
    await loaded.dispose();
  });
});
