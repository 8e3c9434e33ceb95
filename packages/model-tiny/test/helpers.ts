// Test helpers: a minimal onnxruntime-node runner for the exported graphs (KV cache,
// left padding, greedy decoding). Kept in the tests: the package itself has no runtime deps.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { MODEL_SPEC, modelFile } from '../src/index.js';

export const spec = MODEL_SPEC;

const tokenizerJson = JSON.parse(readFileSync(modelFile('tokenizer.json'), 'utf8')) as {
  model: { vocab: Record<string, number> };
};
const vocab = tokenizerJson.model.vocab;
const idToToken: string[] = [];
for (const [t, i] of Object.entries(vocab)) idToToken[i] = t;

/** Character-level ids (the tokenizer's BPE has no merges), without `<s>`. */
export function encodeChars(text: string): number[] {
  return [...text].map((c) => vocab[c] ?? spec.unkTokenId);
}

export function decodeIds(ids: readonly number[]): string {
  return ids
    .filter((i) => i > spec.unkTokenId)
    .map((i) => idToToken[i] ?? '')
    .join('');
}

export function createSession(file: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelFile(file), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
}

export type Past = Record<string, ort.Tensor>;

export function emptyPast(batch: number): Past {
  const past: Past = {};
  for (let i = 0; i < spec.numLayers; i++) {
    for (const kv of ['key', 'value']) {
      past[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [
        batch,
        spec.numKeyValueHeads,
        0,
        spec.headDim,
      ]);
    }
  }
  return past;
}

export function presentToPast(out: ort.InferenceSession.OnnxValueMapType): Past {
  const past: Past = {};
  for (let i = 0; i < spec.numLayers; i++) {
    for (const kv of ['key', 'value']) past[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`] as ort.Tensor;
  }
  return past;
}

export function int64(rows: readonly (readonly number[])[]): ort.Tensor {
  const b = rows.length;
  const s = rows[0]?.length ?? 0;
  const data = new BigInt64Array(b * s);
  rows.forEach((r, i) => {
    r.forEach((v, j) => {
      data[i * s + j] = BigInt(v);
    });
  });
  return new ort.Tensor('int64', data, [b, s]);
}

export interface StepResult {
  /** logits [batch, seq, vocab] */
  logits: ort.Tensor;
  past: Past;
}

/** One forward pass of model.onnx. */
export async function step(
  sess: ort.InferenceSession,
  ids: readonly (readonly number[])[],
  mask: readonly (readonly number[])[],
  positions: readonly (readonly number[])[],
  past: Past,
): Promise<StepResult> {
  const out = await sess.run({
    input_ids: int64(ids),
    attention_mask: int64(mask),
    position_ids: int64(positions),
    ...past,
  });
  return { logits: out.logits as ort.Tensor, past: presentToPast(out) };
}

/** The logits row at [b, s] of a [B, S, V] tensor. */
export function logitsAt(t: ort.Tensor, b: number, s: number): Float32Array {
  const [, S, V] = t.dims as [number, number, number];
  const data = t.data as Float32Array;
  return data.subarray((b * S + s) * V, (b * S + s + 1) * V);
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** Left-padded batch (each prompt prefixed with `<s>`): ids, mask, positions. */
export function leftPad(prompts: readonly string[]): { ids: number[][]; mask: number[][]; positions: number[][] } {
  const rows = prompts.map((p) => [spec.bosTokenId, ...encodeChars(p)]);
  const L = Math.max(...rows.map((r) => r.length));
  const ids = rows.map((r) => [...new Array<number>(L - r.length).fill(spec.padTokenId), ...r]);
  const mask = rows.map((r) => [...new Array<number>(L - r.length).fill(0), ...new Array<number>(r.length).fill(1)]);
  const positions = rows.map((r) => [
    ...new Array<number>(L - r.length).fill(0),
    ...Array.from({ length: r.length }, (_, i) => i),
  ]);
  return { ids, mask, positions };
}

/** KV-cached greedy decoding of a left-padded batch; returns each continuation up to `</s>`. */
export async function greedyBatch(sess: ort.InferenceSession, prompts: readonly string[], maxNew = 240): Promise<string[]> {
  const B = prompts.length;
  const { ids, mask, positions } = leftPad(prompts);
  let res = await step(sess, ids, mask, positions, emptyPast(B));
  const L = ids[0]!.length;
  const next = positions.map((p) => p[L - 1]! + 1);
  const outs: number[][] = prompts.map(() => []);
  const done = prompts.map(() => false);
  let lastPos = L - 1;
  for (let t = 0; t < maxNew; t++) {
    const toks: number[] = [];
    for (let b = 0; b < B; b++) {
      const tok = argmax(logitsAt(res.logits, b, lastPos));
      toks.push(tok);
      if (!done[b]) {
        if (tok === spec.eosTokenId) done[b] = true;
        else outs[b]!.push(tok);
      }
    }
    // stop when every row ended, or the next token would not fit the context
    if (done.every(Boolean) || Math.max(...next) + 1 >= spec.maxPositionEmbeddings) break;
    for (const m of mask) m.push(1);
    res = await step(
      sess,
      toks.map((x) => [x]),
      mask,
      next.map((p) => [p]),
      res.past,
    );
    lastPos = 0;
    for (let b = 0; b < B; b++) next[b]! += 1;
  }
  return outs.map((o) => decodeIds(o));
}
