import { loadModel } from '@reasonflow/backend-cuda';
import { SimdBackend, ReferenceBackend } from '@reasonflow/core';
import { ReasonFlow } from 'reasonflow';
import { REAL_SHAPES_PROMPT } from '/work/main/apps/bench/dist/real-shapes-cli.js';
const [folder, n, t, dtype] = process.argv.slice(2);
const times = new Map();
for (const proto of [SimdBackend.prototype, ReferenceBackend.prototype]) {
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor' || typeof proto[name] !== 'function' || name === 'unwrap' || name === 'reserve' || name === 'editRows' || name === 'rowLogSumExp') continue;
    const orig = proto[name];
    proto[name] = function (...args) { const s = performance.now(); try { return orig.apply(this, args); } finally { const k = name; const v = times.get(k) ?? [0, 0]; v[0] += performance.now() - s; v[1]++; times.set(k, v); } };
  }
}
const loaded = await loadModel(folder, { device: 'cpu', intraOpNumThreads: 1, onWarning: () => {}, dtype });
const rf = new ReasonFlow({ numOfThinkers: Number(n), numOfThoughts: Number(t) }, loaded.model, loaded.tokenizer, { executionProvider: loaded.executionProvider, owned: loaded });
await rf.generateThoughts(REAL_SHAPES_PROMPT, { maxNewTokens: 4, eosTokenIds: [] });
times.clear();
let model = 0, engine = 0, iters = 0;
for (let i = 0; i < 2; i++) { const r = await rf.generateThoughts(REAL_SHAPES_PROMPT, { maxNewTokens: 16, eosTokenIds: [] }); model += r.stats.modelTimeMs; engine += r.stats.engineTimeMs; iters += r.stats.iterations; }
let sum = 0;
for (const [k, [ms, c]] of [...times].sort((a, b) => b[1][0] - a[1][0])) { console.log(k.padEnd(30), ms.toFixed(1).padStart(8), 'ms', String(c).padStart(6)); }
for (const [k, [ms]] of times) if (!['forward'].includes(k)) sum += ms;
console.log(`model ${model.toFixed(0)} engine ${engine.toFixed(0)} (${(100*engine/model).toFixed(2)}%) iterations ${iters}; backend ops (nested counted twice) ${sum.toFixed(0)}`);
await rf.dispose();
