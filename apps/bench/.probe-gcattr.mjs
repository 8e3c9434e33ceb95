import { PerformanceObserver } from 'node:perf_hooks';
import { loadModel } from '@reasonflow/backend-cuda';
import { RowBatch } from '/work/main/packages/core/dist/row-batch.js';
import { ReasonFlow } from 'reasonflow';
import { REAL_SHAPES_PROMPT } from '/work/main/apps/bench/dist/real-shapes-cli.js';
const [folder, n, t, dtype] = process.argv.slice(2);
const intervals = [];
const orig = RowBatch.prototype.timed;
RowBatch.prototype.timed = async function (work) { const s = performance.now(); try { return await orig.call(this, work); } finally { intervals.push([s, performance.now()]); } };
const gcs = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) gcs.push([e.startTime, e.duration, e.detail?.kind]); }).observe({ entryTypes: ['gc'] });
const loaded = await loadModel(folder, { device: 'cpu', intraOpNumThreads: 1, onWarning: () => {}, dtype });
const rf = new ReasonFlow({ numOfThinkers: Number(n), numOfThoughts: Number(t) }, loaded.model, loaded.tokenizer, { executionProvider: loaded.executionProvider, owned: loaded });
await rf.generateThoughts(REAL_SHAPES_PROMPT, { maxNewTokens: 4, eosTokenIds: [] });
let model = 0, engine = 0; const t0 = performance.now(); intervals.length = 0;
for (let i = 0; i < 2; i++) { const r = await rf.generateThoughts(REAL_SHAPES_PROMPT, { maxNewTokens: 16, eosTokenIds: [] }); model += r.stats.modelTimeMs; engine += r.stats.engineTimeMs; }
const t1 = performance.now();
await new Promise((r) => setTimeout(r, 50));
let inModel = 0, outside = 0, cnt = 0;
for (const [s, d] of gcs) { if (s < t0 || s > t1) continue; cnt++; if (intervals.some(([a, b]) => s >= a && s <= b)) inModel += d; else outside += d; }
console.log(`model ${model.toFixed(0)} engine ${engine.toFixed(0)} (${(100 * engine / model).toFixed(2)}%); GCs ${cnt}: in model ${inModel.toFixed(1)} ms, in engine ${outside.toFixed(1)} ms`);
await rf.dispose();
