/**
 * Which file a dtype loads, the default, the typed errors for a dtype the folder lacks, and
 * external weight files: sharded, truncated, missing.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ModelError } from '@reasonflow/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DtypeUnavailableError, loadModelFolder, memoryFileSource, type ModelFileSource } from '../src/index.js';
import { fixturePath } from './fixture-models.js';
import { fsSource } from './helpers.js';
import { cpuSessionOptions, ort, TOY, toyDecoder, toyFiles, toyWeightBytes } from './fixtures.js';

const load = (source: ModelFileSource, dtype?: string) =>
  loadModelFolder(source, { runtime: ort, sessionOptions: cpuSessionOptions, ...(dtype !== undefined ? { dtype: dtype as 'fp32' } : {}) });

async function loadError(source: ModelFileSource, dtype?: string): Promise<unknown> {
  return load(source, dtype).then(
    async (loaded) => {
      await loaded.dispose();
      return undefined;
    },
    (error: unknown) => error,
  );
}

describe('dtype: transformers.js file naming', () => {
  it('defaults to fp32 when present; fp16 loads model_fp16.onnx', async () => {
    const folder = fsSource(fixturePath('llama'));
    const byDefault = await load(folder);
    const fp16 = await load(folder, 'fp16');
    const q4 = await load(folder, 'q4');
    try {
      expect([byDefault.dtype, byDefault.model.files]).toEqual(['fp32', ['onnx/model.onnx']]);
      expect([fp16.dtype, fp16.model.files, fp16.model.kvCacheType]).toEqual(['fp16', ['onnx/model_fp16.onnx'], 'float16']);
      expect([q4.dtype, q4.model.files]).toEqual(['q4', ['onnx/model_q4.onnx']]);
    } finally {
      await Promise.all([byDefault.dispose(), fp16.dispose(), q4.dispose()]);
    }
  });

  it('without fp32 the default is the first dtype the folder has (MODEL_DTYPES order)', async () => {
    const files = toyFiles({ pair: false });
    const { 'onnx/model.onnx': decoder, ...rest } = files;
    const loaded = await load(memoryFileSource({ ...rest, 'onnx/model_q4.onnx': decoder!, 'onnx/model_quantized.onnx': decoder! }, 'toy'));
    expect([loaded.dtype, loaded.model.files]).toEqual(['q8', ['onnx/model_quantized.onnx']]);
    await loaded.dispose();
  });

  it("Optimum's decoder_model_merged[_fp16].onnx naming is a token decoder of that dtype", async () => {
    const { 'onnx/model.onnx': decoder, ...rest } = toyFiles({ pair: false });
    const loaded = await load(memoryFileSource({ ...rest, 'onnx/decoder_model_merged_fp16.onnx': decoder! }, 'toy'));
    expect([loaded.dtype, loaded.model.files]).toEqual(['fp16', ['onnx/decoder_model_merged_fp16.onnx']]);
    await loaded.dispose();
  });

  it('a dtype the folder lacks is a ConfigError listing the dtypes it has', async () => {
    const error = await loadError(fsSource(fixturePath('llama')), 'q4f16');
    expect(error).toBeInstanceOf(DtypeUnavailableError);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as DtypeUnavailableError).field).toBe('dtype');
    expect((error as DtypeUnavailableError).available).toEqual(['fp32', 'fp16', 'q4']);
    expect((error as Error).message).toMatch(/got "q4f16", expected one that .*llama has: fp32, fp16, q4\.$/);
    const gemma = await loadError(fsSource(fixturePath('gemma')), 'q8');
    expect((gemma as DtypeUnavailableError).available).toEqual(['fp32', 'fp16']);
  });

  it('a name that is no dtype, and a dtype for a genai folder, are ConfigErrors', async () => {
    const unknown = await loadError(fsSource(fixturePath('llama')), 'fp64');
    expect(unknown).toBeInstanceOf(ConfigError);
    expect((unknown as Error).message).toContain("'fp32', 'fp16', 'q8', 'q4', 'q4f16'");
    const genai = await loadError(fsSource(fixturePath('phi3-genai')), 'fp16');
    expect(genai).toBeInstanceOf(ConfigError);
    expect((genai as Error).message).toMatch(/onnxruntime-genai folder holding one model \(model\.onnx\)/);
  });
});

describe('onnxruntime-genai folders', () => {
  it('take the model, names, counts and EOS from genai_config.json (config.json not needed)', async () => {
    const folder = fixturePath('phi3-genai');
    const files = Object.fromEntries(
      readdirSync(folder)
        .filter((f) => f !== 'config.json' && f !== 'generation_config.json')
        .map((f) => [f, new Uint8Array(readFileSync(join(folder, f)))]),
    );
    const loaded = await load(memoryFileSource(files, 'phi3-genai'));
    try {
      expect(loaded.model.files).toEqual(['model.onnx']);
      expect(loaded.config).toMatchObject({ numLayers: 2, numKeyValueHeads: 4, headDim: 12, vocabSize: 320, maxPositionEmbeddings: 128 });
      expect(loaded.model.info.eosTokenIds).toEqual([318, 319]);
    } finally {
      await loaded.dispose();
    }
  });

  it('input/output names come from its maps', async () => {
    const { 'onnx/model.onnx': _, ...rest } = toyFiles({ pair: false });
    const renamed = toyDecoder(TOY, {
      rename: { input_ids: 'ids', 'past_key_values.0.key': 'past_0_k', 'past_key_values.0.value': 'past_0_v', 'past_key_values.1.key': 'past_1_k', 'past_key_values.1.value': 'past_1_v', 'present.0.key': 'kv_0_k', 'present.0.value': 'kv_0_v', 'present.1.key': 'kv_1_k', 'present.1.value': 'kv_1_v', logits: 'scores' },
    });
    const genai = {
      model: {
        context_length: TOY.maxPositions,
        vocab_size: TOY.vocab,
        eos_token_id: 1,
        decoder: {
          filename: 'decoder.onnx',
          head_size: TOY.headDim,
          num_attention_heads: TOY.kvHeads,
          num_key_value_heads: TOY.kvHeads,
          num_hidden_layers: TOY.layers,
          inputs: { input_ids: 'ids', attention_mask: 'attention_mask', position_ids: 'position_ids', past_key_names: 'past_%d_k', past_value_names: 'past_%d_v' },
          outputs: { logits: 'scores', present_key_names: 'kv_%d_k', present_value_names: 'kv_%d_v' },
        },
      },
    };
    const original = await load(memoryFileSource(toyFiles({ pair: false }), 'toy'));
    const loaded = await load(memoryFileSource({ ...rest, 'genai_config.json': JSON.stringify(genai), 'decoder.onnx': renamed }, 'toy-genai'));
    try {
      const tokens = Int32Array.of(3, 7, 11, 5);
      const a = await original.model.startSequence({ rows: 1 });
      const b = await loaded.model.startSequence({ rows: 1 });
      expect((await b.forward({ kind: 'tokens', tokens, tokensPerRow: 4 })).data).toEqual((await a.forward({ kind: 'tokens', tokens, tokensPerRow: 4 })).data);
      expect((await b.forward({ kind: 'tokens', tokens: Int32Array.of(9), tokensPerRow: 1 })).data).toEqual(
        (await a.forward({ kind: 'tokens', tokens: Int32Array.of(9), tokensPerRow: 1 })).data,
      );
      await Promise.all([a.dispose(), b.dispose()]);
    } finally {
      await Promise.all([original.dispose(), loaded.dispose()]);
    }
  });
});

describe('external weight files', () => {
  const temp = mkdtempSync(join(tmpdir(), 'reasonflow-external-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));
  const copy = (name: string): string => {
    const folder = join(temp, name);
    cpSync(fixturePath('qwen2-external-data'), folder, { recursive: true });
    return folder;
  };

  it('a truncated .onnx_data is a ModelError naming the data file', async () => {
    const folder = copy('truncated');
    truncateSync(join(folder, 'onnx/model.onnx_data'), 1000);
    const error = await loadError(fsSource(folder));
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).problems).toEqual([
      'onnx/model.onnx_data: truncated: 1000 bytes, but onnx/model.onnx stores tensors up to byte 156800 there (external data)',
    ]);
  });

  it('a missing .onnx_data is a ModelError naming the data file', async () => {
    const folder = copy('missing');
    unlinkSync(join(folder, 'onnx/model_fp16.onnx_data'));
    const error = await loadError(fsSource(folder), 'fp16');
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).problems).toEqual(['onnx/model_fp16.onnx_data: missing (external data of onnx/model_fp16.onnx)']);
  });

  it('sharded weights (model.onnx_data, model.onnx_data_1) are read from every location the graph names', async () => {
    const { 'onnx/model.onnx': _, ...rest } = toyFiles({ pair: false });
    const sharded = {
      ...rest,
      'onnx/model.onnx': toyDecoder(TOY, { externalWeights: { w_emb: 'model.onnx_data', w_out: 'model.onnx_data_1' } }),
      'onnx/model.onnx_data': toyWeightBytes('w_emb'),
      'onnx/model.onnx_data_1': toyWeightBytes('w_out'),
    };
    const inline = await load(memoryFileSource(toyFiles({ pair: false }), 'toy'));
    const loaded = await load(memoryFileSource(sharded, 'toy-sharded'));
    const tokens = Int32Array.of(3, 7, 11, 5);
    const a = await inline.model.startSequence({ rows: 1 });
    const b = await loaded.model.startSequence({ rows: 1 });
    expect((await b.forward({ kind: 'tokens', tokens, tokensPerRow: 4 })).data).toEqual((await a.forward({ kind: 'tokens', tokens, tokensPerRow: 4 })).data);
    await Promise.all([a.dispose(), b.dispose(), inline.dispose(), loaded.dispose()]);

    const { 'onnx/model.onnx_data_1': _second, ...oneShardMissing } = sharded;
    const error = await loadError(memoryFileSource(oneShardMissing, 'toy-sharded'));
    expect((error as ModelError).problems).toEqual(['onnx/model.onnx_data_1: missing (external data of onnx/model.onnx)']);
  });
});
