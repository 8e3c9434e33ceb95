#!/usr/bin/env node
/**
 * Would an ONNX post-processing graph pay on CPU? Per call on [rows, vocab] last-position logits:
 * core's ReferenceBackend loops (argmax, greedyLogProbs = argmax + one log-sum-exp, topK, full
 * logSoftmax) against a small separate onnxruntime session computing ArgMax + ReduceLogSumExp + TopK
 * (the logits copied in as its input, as a separate session must). Medians of `reps` timed calls.
 *
 *   node dist/postprocess-bench.js [reps]
 */
import { ReferenceBackend } from '@reasonflow/core';
import { encodeOnnxModel, type OnnxNode } from '@reasonflow/model-adapter/internal';
import * as ort from 'onnxruntime-node';
import { median } from './stats.js';

export interface PostprocessTiming {
  vocab: number;
  rows: number;
  k: number;
  /** Median microseconds per call. */
  js: { argmax: number; greedyLogProbs: number; topK: number; logSoftmax: number };
  onnx: { argmaxLogSumExpTopK: number; argmaxOnly: number };
}

function graph(withTopK: boolean, k: number): Uint8Array {
  const nodes: OnnxNode[] = [
    { op: 'ArgMax', inputs: ['logits'], outputs: ['argmax'], attributes: { axis: -1, keepdims: 0 } },
    ...(withTopK
      ? [
          { op: 'ReduceLogSumExp', inputs: ['logits'], outputs: ['lse'], attributes: { axes: [-1], keepdims: 0 } },
          { op: 'TopK', inputs: ['logits', 'k'], outputs: ['topk_values', 'topk_indices'], attributes: { axis: -1 } },
        ]
      : []),
  ];
  return encodeOnnxModel({
    inputs: [{ name: 'logits', type: 'float', shape: ['rows', 'vocab'] }],
    outputs: [
      { name: 'argmax', type: 'int64', shape: ['rows'] },
      ...(withTopK
        ? [
            { name: 'lse', type: 'float' as const, shape: ['rows'] },
            { name: 'topk_values', type: 'float' as const, shape: ['rows', k] },
            { name: 'topk_indices', type: 'int64' as const, shape: ['rows', k] },
          ]
        : []),
    ],
    nodes,
    initializers: withTopK ? [{ name: 'k', type: 'int64', dims: [1], data: BigInt64Array.of(BigInt(k)) }] : [],
  });
}

function timeUs(reps: number, fn: () => unknown): number {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    fn();
    times.push((performance.now() - start) * 1000);
  }
  return median(times);
}

async function timeUsAsync(reps: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await fn();
    times.push((performance.now() - start) * 1000);
  }
  return median(times);
}

export async function benchPostprocess(vocab: number, rows: number, k: number, reps: number): Promise<PostprocessTiming> {
  const logits = new Float32Array(rows * vocab);
  let seed = 12345;
  for (let i = 0; i < logits.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    logits[i] = (seed / 2 ** 32) * 20 - 10;
  }
  const backend = new ReferenceBackend();
  const js = {
    argmax: timeUs(reps, () => {
      const t = backend.fromHost(logits, [rows, vocab]);
      backend.argmax(t);
      backend.dispose(t);
    }),
    greedyLogProbs: timeUs(reps, () => {
      const t = backend.fromHost(logits, [rows, vocab]);
      backend.greedyLogProbs(t);
      backend.dispose(t);
    }),
    topK: timeUs(reps, () => {
      const t = backend.fromHost(logits, [rows, vocab]);
      backend.topK(t, k);
      backend.dispose(t);
    }),
    logSoftmax: timeUs(reps, () => {
      const t = backend.fromHost(logits.slice(), [rows, vocab]);
      backend.logSoftmax(t);
      backend.dispose(t);
    }),
  };
  const options = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' } as const;
  const full = await ort.InferenceSession.create(graph(true, k), options);
  const argmaxOnly = await ort.InferenceSession.create(graph(false, k), options);
  const run = (session: ort.InferenceSession) => async () => {
    const out = await session.run({ logits: new ort.Tensor('float32', logits, [rows, vocab]) });
    for (const t of Object.values(out)) t.dispose();
  };
  const onnx = { argmaxLogSumExpTopK: await timeUsAsync(reps, run(full)), argmaxOnly: await timeUsAsync(reps, run(argmaxOnly)) };
  await full.release();
  await argmaxOnly.release();
  return { vocab, rows, k, js, onnx };
}

if (process.argv[1]?.endsWith('postprocess-bench.js')) {
  const reps = Number(process.argv[2] ?? 50);
  console.log('| vocab | rows | JS argmax | JS argmax + log-sum-exp | JS top-k | JS full log-softmax | ONNX argmax | ONNX argmax + LSE + top-k |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const vocab of [49152, 151936]) {
    for (const rows of [1, 8]) {
      const r = await benchPostprocess(vocab, rows, 8, reps);
      const us = (v: number) => `${v.toFixed(0)} µs`;
      console.log(
        `| ${vocab} | ${rows} | ${us(r.js.argmax)} | ${us(r.js.greedyLogProbs)} | ${us(r.js.topK)} | ${us(r.js.logSoftmax)} | ${us(r.onnx.argmaxOnly)} | ${us(r.onnx.argmaxLogSumExpTopK)} |`,
      );
    }
  }
}
