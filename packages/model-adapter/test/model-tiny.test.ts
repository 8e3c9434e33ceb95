/**
 * The embedded tiny Llama (packages/model-tiny): a real transformer export with rotary positions,
 * grouped-query attention and the inputs_embeds pair.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logitsToHost, ModelError } from '@reasonflow/core';
import { modelPath } from '@reasonflow/model-tiny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedModel, loadModelFolder, memoryFileSource } from '../src/index.js';
import { cpuSessionOptions, ort } from './fixtures.js';
import { cacheEquivalenceScenario, fsSource, maxAbsDiff, recompute, step } from './helpers.js';


const folder = modelPath;

describe('model-tiny', () => {
  let loaded: LoadedModel;
  beforeAll(async () => {
    loaded = await loadModelFolder(fsSource(folder), { runtime: ort, sessionOptions: cpuSessionOptions });
  });
  afterAll(async () => {
    await loaded?.dispose();
  });

  it('loads with the inputs_embeds pair', () => {
    const { info } = loaded.model;
    expect(info.vocabSize).toBe(loaded.config.vocabSize);
    expect(info.maxSequenceLength).toBe(loaded.config.maxPositionEmbeddings);
    expect(info.eosTokenIds).toContain(2);
    expect(info.embeddingSize).toBe(loaded.config.hiddenSize);
    expect(loaded.model.liveSessions).toBe(3);
  });

  it('tokenizer round trip and chat template', () => {
    const { tokenizer } = loaded;
    const text = '12+34=';
    const ids = tokenizer.encode(text, { addSpecialTokens: false });
    expect(tokenizer.decode(ids)).toBe(text);
    const chat = tokenizer.encodeChat([{ role: 'user', content: text }]);
    expect(chat[0]).toBe(tokenizer.bosTokenId);
    expect(tokenizer.decode(chat)).toBe(text);
  });

  it('KV-cached generation equals recomputation (≤ 1e-4) across lookahead, rollback and row selection', async () => {
    const tok = (s: string) => Array.from(loaded.tokenizer.encode(s));
    const prompts = [tok('12+34='), tok('56+78='), tok('90+11=')];
    const len = Math.min(...prompts.map((p) => p.length));
    const worst = await cacheEquivalenceScenario(
      loaded.model,
      prompts.map((p) => p.slice(0, len)),
      [4, loaded.model.info.vocabSize],
    );
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it('embedTokens + forward(embeddings) equals forward(tokens); token steps then keep to the embeddings decoder', async () => {
    const tokens = Array.from(loaded.tokenizer.encode('7+8='));
    const byTokens = await recompute(loaded.model, [tokens, tokens]);
    const seq = await loaded.model.startSequence({ rows: 2 });
    const files: string[] = [];
    const stop = loaded.model.observe((e) => {
      if (e.type === 'forward') files.push(e.file);
    });
    const e = await loaded.model.embedTokens!(Int32Array.from([...tokens, ...tokens]));
    const t = await seq.forward({ kind: 'embeddings', embeddings: e, tokensPerRow: tokens.length });
    expect(maxAbsDiff(await logitsToHost(t), byTokens)).toBeLessThanOrEqual(1e-4);
    // Continue with a token step on the same cache: equals recomputation.
    const next = await step(seq, [[5], [6]]);
    stop();
    // Host sessions: one decoder per sequence, so the two decoders do not evict each other's weights.
    expect(files).toEqual(['onnx/decoder_model_merged.onnx', 'onnx/decoder_model_merged.onnx']);
    const tokenFiles: string[] = [];
    const stopTokens = loaded.model.observe((e) => {
      if (e.type === 'forward') tokenFiles.push(e.file);
    });
    const fresh = await recompute(loaded.model, [[...tokens, 5], [...tokens, 6]]);
    stopTokens();
    expect(tokenFiles).toEqual(['onnx/model.onnx']);
    expect(maxAbsDiff(next, fresh)).toBeLessThanOrEqual(1e-4);
    await seq.dispose();
    expect(loaded.model.liveTensors).toBe(0);
  });

  it('left-padded prompts of different lengths: every row equals its own unpadded run', async () => {
    const prompts = ['123+456=', '7+8=', '45+6='].map((q) => loaded.tokenizer.encode(q));
    const seq = await loaded.model.startSequence({ rows: 3 });
    const histories = prompts.map((p) => Array.from(p));
    const compare = async (logits: Float32Array): Promise<number> => {
      let worst = 0;
      const vocab = loaded.model.info.vocabSize;
      for (let r = 0; r < 3; r++) {
        const alone = await recompute(loaded.model, [histories[r]!]);
        worst = Math.max(worst, maxAbsDiff(logits.subarray(r * vocab, (r + 1) * vocab), alone));
      }
      return worst;
    };
    const t = await seq.prefill(prompts, loaded.tokenizer.padTokenId);
    const first = await logitsToHost(t);
    expect(await compare(first)).toBeLessThanOrEqual(1e-4);
    for (const tokens of [[5, 6, 7], [8, 9, 10]]) {
      tokens.forEach((tok, r) => {
        histories[r]!.push(tok);
      });
      expect(await compare(await step(seq, tokens.map((x) => [x])))).toBeLessThanOrEqual(1e-4);
    }
    // Roll back one step and move row 1 (the most padded) to rows 0 and 2.
    await seq.truncate(seq.length - 1);
    await seq.selectRows(Int32Array.of(1, 1, 0));
    const kept = histories.map((h) => h.slice(0, -1));
    const next = [kept[1]!, kept[1]!, kept[0]!];
    next.forEach((h, r) => {
      histories[r] = [...h, 11 + r];
    });
    expect(await compare(await step(seq, [[11], [12], [13]]))).toBeLessThanOrEqual(1e-4);
    await expect(seq.mergeRows!(Int32Array.of(0, 2), Float32Array.of(1, 1))).rejects.toThrow(/different left padding/);
    await seq.dispose();
  });

  it('a config.json claiming more layers than the graphs is one ModelError naming every graph', async () => {
    const files: Record<string, string | Uint8Array> = {};
    for (const name of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      files[name] = await readFile(join(folder, name), 'utf8');
    }
    for (const name of ['onnx/model.onnx', 'onnx/embed_tokens.onnx', 'onnx/decoder_model_merged.onnx']) {
      files[name] = new Uint8Array(await readFile(join(folder, name)));
    }
    const config = JSON.parse(files['config.json'] as string);
    const layers = config.num_hidden_layers;
    files['config.json'] = JSON.stringify({ ...config, num_hidden_layers: layers + 2, num_key_value_heads: 3 });
    const error = await loadModelFolder(memoryFileSource(files, 'tiny-edited'), { runtime: ort, sessionOptions: cpuSessionOptions }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    const problems = (error as ModelError).problems;
    expect(problems).toContain(`onnx/model.onnx: config.json says num_hidden_layers=${layers + 2} but the graph has past_key_values inputs for ${layers} layer(s)`);
    expect(problems).toContain(`onnx/decoder_model_merged.onnx: missing input "past_key_values.${layers}.key"`);
    expect(problems.some((p) => /KV heads 2 on axis 1, config.json says 3/.test(p))).toBe(true);
  });
});
