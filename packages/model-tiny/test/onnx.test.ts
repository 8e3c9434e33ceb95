import { readFileSync } from 'node:fs';
import type * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnswer, evalSet, MODEL_SPEC, modelFile } from '../src/index.js';
import {
  createSession,
  emptyPast,
  encodeChars,
  greedyBatch,
  int64,
  leftPad,
  logitsAt,
  maxAbsDiff,
  presentToPast,
  step,
} from './helpers.js';

let model: ort.InferenceSession;
let embed: ort.InferenceSession;
let decoder: ort.InferenceSession;

beforeAll(async () => {
  [model, embed, decoder] = await Promise.all([
    createSession(MODEL_SPEC.files.model),
    createSession(MODEL_SPEC.files.embedTokens),
    createSession(MODEL_SPEC.files.decoderMerged),
  ]);
});

afterAll(async () => {
  await Promise.all([model?.release(), embed?.release(), decoder?.release()]);
});

const TOL = 1e-4;

describe('config.json', () => {
  it('matches MODEL_SPEC and the Llama layout', () => {
    const cfg = JSON.parse(readFileSync(modelFile('config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg.model_type).toBe('llama');
    expect(cfg.architectures).toEqual(['LlamaForCausalLM']);
    expect(cfg.hidden_size).toBe(MODEL_SPEC.hiddenSize);
    expect(cfg.intermediate_size).toBe(MODEL_SPEC.intermediateSize);
    expect(cfg.num_hidden_layers).toBe(MODEL_SPEC.numLayers);
    expect(cfg.num_attention_heads).toBe(MODEL_SPEC.numAttentionHeads);
    expect(cfg.num_key_value_heads).toBe(MODEL_SPEC.numKeyValueHeads);
    expect(MODEL_SPEC.numKeyValueHeads).toBeLessThan(MODEL_SPEC.numAttentionHeads);
    expect(cfg.head_dim).toBe(MODEL_SPEC.headDim);
    expect(cfg.vocab_size).toBe(MODEL_SPEC.vocabSize);
    expect(cfg.max_position_embeddings).toBe(MODEL_SPEC.maxPositionEmbeddings);
    expect(cfg.tie_word_embeddings).toBe(true);
    expect([cfg.pad_token_id, cfg.bos_token_id, cfg.eos_token_id]).toEqual([
      MODEL_SPEC.padTokenId,
      MODEL_SPEC.bosTokenId,
      MODEL_SPEC.eosTokenId,
    ]);
  });
});

describe('onnx/model.onnx with onnxruntime-node', () => {
  it('has the documented inputs and outputs', () => {
    const past = Array.from({ length: MODEL_SPEC.numLayers }, (_, i) => [
      `past_key_values.${i}.key`,
      `past_key_values.${i}.value`,
    ]).flat();
    const present = Array.from({ length: MODEL_SPEC.numLayers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat();
    expect(model.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids', ...past]);
    expect(model.outputNames).toEqual(['logits', ...present]);
    expect(decoder.inputNames).toEqual(['inputs_embeds', 'attention_mask', 'position_ids', ...past]);
    expect(decoder.outputNames).toEqual(['logits', ...present]);
    expect(embed.inputNames).toEqual(['input_ids']);
    expect(embed.outputNames).toEqual(['inputs_embeds']);
  });

  it('one pass over a sequence equals prompt then cached single steps', async () => {
    const ex = evalSet('addition', 'easy', 1)[0]!;
    const seq = [MODEL_SPEC.bosTokenId, ...encodeChars(ex.prompt + ex.completion.slice(0, 30))];
    const n = seq.length;
    const full = await step(model, [seq], [seq.map(() => 1)], [seq.map((_, i) => i)], emptyPast(1));
    expect(full.logits.dims).toEqual([1, n, MODEL_SPEC.vocabSize]);
    expect(full.past['past_key_values.0.key']!.dims).toEqual([1, MODEL_SPEC.numKeyValueHeads, n, MODEL_SPEC.headDim]);

    const P = ex.prompt.length + 1;
    let res = await step(model, [seq.slice(0, P)], [seq.slice(0, P).map(() => 1)], [seq.slice(0, P).map((_, i) => i)], emptyPast(1));
    let worst = 0;
    for (let s = 0; s < P; s++) worst = Math.max(worst, maxAbsDiff(logitsAt(res.logits, 0, s), logitsAt(full.logits, 0, s)));
    for (let s = P; s < n; s++) {
      res = await step(model, [[seq[s]!]], [seq.slice(0, s + 1).map(() => 1)], [[s]], res.past);
      expect(res.past['past_key_values.0.key']!.dims[2]).toBe(s + 1);
      worst = Math.max(worst, maxAbsDiff(logitsAt(res.logits, 0, 0), logitsAt(full.logits, 0, s)));
    }
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it('a left-padded batch equals each prompt run alone, prompt and cached steps', async () => {
    const prompts = ['7+8=', '4071+985=', 'C:3,5,7>22=', '12+345='];
    const { ids, mask, positions } = leftPad(prompts);
    const L = ids[0]!.length;
    let batch = await step(model, ids, mask, positions, emptyPast(prompts.length));
    const alone = await Promise.all(
      prompts.map(async (p) => {
        const one = leftPad([p]);
        return step(model, one.ids, one.mask, one.positions, emptyPast(1));
      }),
    );
    let worst = 0;
    prompts.forEach((p, b) => {
      const len = p.length + 1;
      for (let s = 0; s < len; s++) {
        worst = Math.max(worst, maxAbsDiff(logitsAt(batch.logits, b, L - len + s), logitsAt(alone[b]!.logits, 0, s)));
      }
    });
    // three cached steps feeding the same tokens to batch and single rows
    const feed = encodeChars('1+2');
    const single = alone.map((a) => a.past);
    for (let t = 0; t < feed.length; t++) {
      const tok = feed[t]!;
      for (const m of mask) m.push(1);
      batch = await step(
        model,
        prompts.map(() => [tok]),
        mask,
        prompts.map((p) => [p.length + 1 + t]),
        batch.past,
      );
      for (let b = 0; b < prompts.length; b++) {
        const len = prompts[b]!.length + 1;
        const r = await step(model, [[tok]], [new Array<number>(len + t + 1).fill(1)], [[len + t]], single[b]!);
        single[b] = r.past;
        worst = Math.max(worst, maxAbsDiff(logitsAt(batch.logits, b, 0), logitsAt(r.logits, 0, 0)));
      }
    }
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it('embed_tokens + decoder_model_merged (inputs_embeds) equals model.onnx (input_ids)', async () => {
    const prompts = ['4071+985=', 'C:3,5,7>22='];
    const { ids, mask, positions } = leftPad(prompts);
    const viaIds = await model.run({
      input_ids: int64(ids),
      attention_mask: int64(mask),
      position_ids: int64(positions),
      ...emptyPast(2),
    });
    const emb = await embed.run({ input_ids: int64(ids) });
    const embeds = emb.inputs_embeds as ort.Tensor;
    expect(embeds.dims).toEqual([2, ids[0]!.length, MODEL_SPEC.hiddenSize]);
    const viaEmbeds = await decoder.run({
      inputs_embeds: embeds,
      attention_mask: int64(mask),
      position_ids: int64(positions),
      ...emptyPast(2),
    });
    expect(maxAbsDiff(viaIds.logits!.data as Float32Array, viaEmbeds.logits!.data as Float32Array)).toBeLessThanOrEqual(TOL);
    // and one cached step with a past
    for (const m of mask) m.push(1);
    const next = [[encodeChars('1')[0]!], [encodeChars('3')[0]!]];
    const pos = [[prompts[0]!.length + 1], [prompts[1]!.length + 1]];
    const a = await model.run({
      input_ids: int64(next),
      attention_mask: int64(mask),
      position_ids: int64(pos),
      ...presentToPast(viaIds),
    });
    const e2 = await embed.run({ input_ids: int64(next) });
    const b = await decoder.run({
      inputs_embeds: e2.inputs_embeds as ort.Tensor,
      attention_mask: int64(mask),
      position_ids: int64(pos),
      ...presentToPast(viaEmbeds),
    });
    expect(maxAbsDiff(a.logits!.data as Float32Array, b.logits!.data as Float32Array)).toBeLessThanOrEqual(TOL);
  });

  it('greedy accuracy >= 95% on 100 held-out easy problems (50 addition, 50 countdown)', async () => {
    const problems = [...evalSet('addition', 'easy', 50), ...evalSet('countdown', 'easy', 50)];
    let correct = 0;
    for (let i = 0; i < problems.length; i += 25) {
      const chunk = problems.slice(i, i + 25);
      const outs = await greedyBatch(
        model,
        chunk.map((e) => e.prompt),
      );
      chunk.forEach((e, k) => {
        if (checkAnswer(e.prompt, outs[k]!)) correct++;
      });
    }
    expect(correct / problems.length).toBeGreaterThanOrEqual(0.95);
  });
});
