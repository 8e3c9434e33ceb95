import * as ort from 'onnxruntime-node';
import { tinyModelDir } from '@reasonflow/model-tiny';
const file = tinyModelDir + '/onnx/' + (process.argv[2] ?? 'model.onnx');
const base = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 };
const variants = {
  default: base,
  neither: { ...base, enableMemPattern: false, enableCpuMemArena: false },
  neither2: { ...base, enableMemPattern: false, enableCpuMemArena: false },
  default2: base,
};
const sessions = {};
for (const [k, o] of Object.entries(variants)) sessions[k] = await ort.InferenceSession.create(file, o);
const L = 6;
async function decode(s, rows, steps = 64) {
  let past = null, len = 0, t = 0;
  for (let k = 0; k <= steps; k++) {
    const n = k === 0 ? 16 : 1;
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: rows * n }, (_, i) => BigInt(3 + (i % 40))), [rows, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(rows * (len + n)).fill(1n), [rows, len + n]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: rows * n }, (_, i) => BigInt(len + (i % n))), [rows, n]),
    };
    if (s.inputNames.includes('use_cache_branch')) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(len > 0 ? 1 : 0), [1]);
    for (let i = 0; i < 2 * L; i++) feeds[`past_key_values.${i >> 1}.${i & 1 ? 'value' : 'key'}`] = past ? past[i] : new ort.Tensor('float32', new Float32Array(0), [rows, 2, 0, 32]);
    const st = performance.now();
    const out = await s.run(feeds);
    if (k > 0) t += performance.now() - st;
    past = Array.from({ length: 2 * L }, (_, i) => out[`present.${i >> 1}.${i & 1 ? 'value' : 'key'}`]);
    len += n;
  }
  return t / steps;
}
const res = {};
for (const k of Object.keys(sessions)) for (const r of [1, 4]) await decode(sessions[k], r);
for (let rep = 0; rep < 20; rep++) for (const k of Object.keys(sessions)) for (const r of [1, 4]) (res[`${k} b${r}`] ??= []).push(await decode(sessions[k], r));
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const k of Object.keys(sessions)) console.log(k.padEnd(14), 'b1', med(res[`${k} b1`]).toFixed(3), 'b4', med(res[`${k} b4`]).toFixed(3), 'ratio', (med(res[`${k} b4`]) / med(res[`${k} b1`])).toFixed(2));
