import * as ort from 'onnxruntime-node';
import { tinyModelDir } from '@reasonflow/model-tiny';
const folder = tinyModelDir;
const threads = Number(process.argv[2] ?? 1);
const session = await ort.InferenceSession.create(folder + '/onnx/model.onnx', { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
const L = 6, H = 2, D = 32;
async function run(rows, steps, prompt = 20) {
  let past = null, len = 0;
  const mk = (n) => {
    const total = len + n;
    const feeds = {
      input_ids: new ort.Tensor('int64', new BigInt64Array(rows * n).fill(5n), [rows, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(rows * total).fill(1n), [rows, total]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: rows * n }, (_, i) => BigInt(len + (i % n))), [rows, n]),
    };
    for (let i = 0; i < L; i++) {
      feeds[`past_key_values.${i}.key`] = past ? past[2*i] : new ort.Tensor('float32', new Float32Array(0), [rows, H, 0, D]);
      feeds[`past_key_values.${i}.value`] = past ? past[2*i+1] : new ort.Tensor('float32', new Float32Array(0), [rows, H, 0, D]);
    }
    return feeds;
  };
  let out = await session.run(mk(prompt)); len = prompt;
  past = []; for (let i = 0; i < L; i++) { past.push(out[`present.${i}.key`], out[`present.${i}.value`]); }
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    out = await session.run(mk(1)); len++;
    past = []; for (let i = 0; i < L; i++) { past.push(out[`present.${i}.key`], out[`present.${i}.value`]); }
  }
  return (performance.now() - t0) / steps;
}
for (let k = 0; k < 3; k++) {
  const r = [];
  for (const rows of [1, 2, 4, 8]) r.push(rows + ':' + (await run(rows, 100)).toFixed(3));
  console.log(r.join('  '));
}
