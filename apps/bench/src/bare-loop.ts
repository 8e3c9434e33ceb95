/**
 * The baseline: a bare greedy loop written directly on onnxruntime-node — `input_ids`,
 * `attention_mask`, `position_ids` and `past_key_values.*` in, `logits` and `present.*` out, argmax
 * in JS. No ReasonFlow code is involved.
 */
import { join } from 'node:path';
import { Mulberry32 } from '@reasonflow/model-tiny';
import * as ort from 'onnxruntime-node';
import { argmaxAt, argmaxFloat16At, logProbOf } from './stats.js';

interface KvShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

export interface BareGreedyResult {
  tokenIds: number[];
  forwardSteps: number;
  timeMs: number;
}

export interface SampledCompletion {
  tokenIds: number[];
  /** The model's summed log-probability of `tokenIds` (no temperature). */
  logProb: number;
  rowsComputed: number;
}

export class BareOrtDecoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly shape: KvShape,
    private readonly float16 = false,
  ) {}

  /**
   * Loads `onnx/<file>` of `folder` (default `model.onnx`) on the CPU provider with
   * `intraOpNumThreads` intra-op threads. A graph whose `past_key_values.*` are float16 gets float16
   * empty caches; its float16 logits are read through a lookup table, last position only.
   */
  static async load(folder: string, shape: KvShape, intraOpNumThreads = 1, file = 'model.onnx'): Promise<BareOrtDecoder> {
    const session = await ort.InferenceSession.create(join(folder, 'onnx', file), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads,
      interOpNumThreads: 1,
    });
    const past = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
    const float16 = past?.isTensor === true && past.type === 'float16';
    return new BareOrtDecoder(session, shape, float16);
  }

  /**
   * One forward of `ids` (`rows` rows of `ids.length / rows` positions, row-major) after `past`
   * (null: empty); returns logits and the new cache.
   */
  private async step(
    ids: readonly number[],
    pastLength: number,
    past: ort.Tensor[] | null,
    rows = 1,
  ): Promise<{ logits: ort.Tensor; present: ort.Tensor[] }> {
    const { layers, kvHeads, headDim } = this.shape;
    const n = ids.length / rows;
    const total = pastLength + n;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [rows, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(rows * total).fill(1n), [rows, total]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: rows * n }, (_, i) => BigInt(pastLength + (i % n))), [rows, n]),
    };
    const empty = this.float16
      ? new ort.Tensor('float16', new Uint16Array(0), [rows, kvHeads, 0, headDim])
      : new ort.Tensor('float32', new Float32Array(0), [rows, kvHeads, 0, headDim]);
    for (let i = 0; i < layers; i++) {
      feeds[`past_key_values.${i}.key`] = past ? past[2 * i]! : empty;
      feeds[`past_key_values.${i}.value`] = past ? past[2 * i + 1]! : empty;
    }
    const out = await this.session.run(feeds);
    const present: ort.Tensor[] = [];
    for (let i = 0; i < layers; i++) present.push(out[`present.${i}.key`]!, out[`present.${i}.value`]!);
    return { logits: out.logits!, present };
  }

  /**
   * Greedy decoding of `maxNewTokens` tokens (stopping at `eosTokenIds`, when given). With `rows` > 1
   * the same sequence runs as every row of a batch (row 0's argmax feeds all rows): what a batch of
   * that width costs per step, with no per-row work besides the model's.
   */
  async greedy(promptIds: readonly number[], maxNewTokens: number, eosTokenIds: readonly number[] = [], rows = 1): Promise<BareGreedyResult> {
    const start = performance.now();
    const { vocab } = this.shape;
    const out: number[] = [];
    let past: ort.Tensor[] | null = null;
    let length = 0;
    let input: readonly number[] = promptIds;
    let forwardSteps = 0;
    while (out.length < maxNewTokens) {
      const ids = rows === 1 ? input : Array.from({ length: rows }, () => input).flat();
      const { logits, present } = await this.step(ids, length, past, rows);
      forwardSteps++;
      if (past) for (const t of past) t.dispose();
      past = present;
      length += input.length;
      const offset = (input.length - 1) * vocab;
      const token =
        logits.type === 'float16' ? argmaxFloat16At(logits.data as Uint16Array, offset, vocab) : argmaxAt(logits.data as Float32Array, offset, vocab);
      logits.dispose();
      out.push(token);
      if (eosTokenIds.includes(token)) break;
      input = [token];
    }
    if (past) for (const t of past) t.dispose();
    return { tokenIds: out, forwardSteps, timeMs: performance.now() - start };
  }

  /** Σ log p(completion[i] | prompt, completion[<i]) in one forward pass over the whole sequence. */
  async scoreCompletion(promptIds: readonly number[], completionIds: readonly number[]): Promise<number> {
    if (completionIds.length === 0) return 0;
    const { vocab } = this.shape;
    const ids = [...promptIds, ...completionIds].slice(0, -1);
    const { logits, present } = await this.step(ids, 0, null);
    for (const t of present) t.dispose();
    const data = logits.data as Float32Array;
    let total = 0;
    for (let i = 0; i < completionIds.length; i++) {
      const position = promptIds.length - 1 + i;
      total += logProbOf(data, position * vocab, vocab, completionIds[i]!);
    }
    logits.dispose();
    return total;
  }

  /**
   * `samples` independent temperature samples of one prompt, decoded together as the rows of one
   * batch (finished rows idle until the last one ends). Each sample's `logProb` is the model's own
   * (untempered) summed log-probability of its tokens, and `rowsComputed` counts what decoding that
   * sample alone would cost (prompt + tokens − 1 positions), so compute compares with the engine's.
   */
  async sampleBatch(
    promptIds: readonly number[],
    options: {
      samples: number;
      maxNewTokens: number;
      temperature: number;
      seed: number;
      eosTokenIds: readonly number[];
      /** Row 0 decodes greedily (argmax) instead of sampling: greedy rides along in the batch. */
      greedyFirst?: boolean;
    },
  ): Promise<SampledCompletion[]> {
    const { samples: rows, maxNewTokens, temperature, eosTokenIds } = options;
    const greedyFirst = options.greedyFirst ?? false;
    const { vocab } = this.shape;
    const rngs = Array.from({ length: rows }, (_, r) => new Mulberry32((options.seed + 7919 * r) >>> 0));
    const out: SampledCompletion[] = Array.from({ length: rows }, () => ({ tokenIds: [], logProb: 0, rowsComputed: 0 }));
    const done = new Array<boolean>(rows).fill(false);
    let past: ort.Tensor[] | null = null;
    let length = 0;
    let input: number[] = [];
    for (let r = 0; r < rows; r++) input.push(...promptIds);
    let perRow = promptIds.length;
    const scaled = new Float64Array(vocab);
    while (done.includes(false)) {
      const { logits, present } = await this.step(input, length, past, rows);
      if (past) for (const t of past) t.dispose();
      past = present;
      length += perRow;
      const data = logits.data as Float32Array;
      const next: number[] = [];
      for (let r = 0; r < rows; r++) {
        const sample = out[r]!;
        if (done[r]) {
          next.push(0);
          continue;
        }
        sample.rowsComputed += perRow;
        const offset = (r * perRow + perRow - 1) * vocab;
        if (r === 0 && greedyFirst) {
          const token = argmaxAt(data, offset, vocab);
          sample.tokenIds.push(token);
          sample.logProb += logProbOf(data, offset, vocab, token);
          if (eosTokenIds.includes(token) || sample.tokenIds.length >= maxNewTokens) done[r] = true;
          next.push(token);
          continue;
        }
        let max = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < vocab; i++) max = Math.max(max, data[offset + i]! / temperature);
        let sum = 0;
        for (let i = 0; i < vocab; i++) sum += scaled[i] = Math.exp(data[offset + i]! / temperature - max);
        let u = rngs[r]!.next() * sum;
        let token = vocab - 1;
        for (let i = 0; i < vocab; i++) {
          u -= scaled[i]!;
          if (u < 0) {
            token = i;
            break;
          }
        }
        sample.tokenIds.push(token);
        sample.logProb += logProbOf(data, offset, vocab, token);
        if (eosTokenIds.includes(token) || sample.tokenIds.length >= maxNewTokens) done[r] = true;
        next.push(token);
      }
      logits.dispose();
      input = next;
      perRow = 1;
    }
    if (past) for (const t of past) t.dispose();
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
