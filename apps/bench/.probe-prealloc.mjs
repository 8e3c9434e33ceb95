import * as ort from 'onnxruntime-node';
import { tinyModelDir } from '@reasonflow/model-tiny';
const session = await ort.InferenceSession.create(tinyModelDir + '/onnx/model.onnx', { executionProviders: ['cpu'], intraOpNumThreads: 1 });
const L = 6, H = 2, D = 32, rows = 4, len = 10;
const feeds = {
  input_ids: new ort.Tensor('int64', new BigInt64Array(rows).fill(5n), [rows, 1]),
  attention_mask: new ort.Tensor('int64', new BigInt64Array(rows * (len + 1)).fill(1n), [rows, len + 1]),
  position_ids: new ort.Tensor('int64', new BigInt64Array(rows).fill(BigInt(len)), [rows, 1]),
};
for (let i = 0; i < L; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(rows * H * len * D).fill(0.1), [rows, H, len, D]);
const a = await session.run(feeds);
const big = new ArrayBuffer(rows * H * 64 * D * 4);
const fetches = { logits: null };
for (let i = 0; i < L; i++) for (const kv of ['key', 'value']) fetches[`present.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(i === 0 && kv === 'key' ? big : new ArrayBuffer(rows * H * (len + 1) * D * 4), 0, rows * H * (len + 1) * D), [rows, H, len + 1, D]);
const b = await session.run(feeds, fetches);
console.log('same object', b['present.0.key'] === fetches['present.0.key'], 'same buffer', b['present.0.key'].data.buffer === big, b['present.1.value'].data.buffer === fetches['present.1.value'].data.buffer);
let maxd = 0; for (let i = 0; i < a['present.0.key'].data.length; i++) maxd = Math.max(maxd, Math.abs(a['present.0.key'].data[i] - b['present.0.key'].data[i]));
let maxl = 0; for (let i = 0; i < a.logits.data.length; i++) maxl = Math.max(maxl, Math.abs(a.logits.data[i] - b.logits.data[i]));
console.log('maxdiff kv', maxd, 'logits', maxl, 'fetched data buffer', fetches['present.0.key'].data[0], a['present.0.key'].data[0]);
const pre = fetches['present.1.value'].data; const idx = len * D + 3;
console.log('prealloc new slot', pre[idx], 'result', b['present.1.value'].data[idx]);
