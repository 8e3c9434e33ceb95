import { loadModel } from '@reasonflow/backend-cuda';
import { SimdBackend } from '@reasonflow/core';
import { ReasonFlow } from 'reasonflow';
import { REAL_SHAPES_PROMPT } from '/work/main/apps/bench/dist/real-shapes-cli.js';
const P = SimdBackend.prototype; const times = [];
const orig = P.probabilityCosineSimilarity;
P.probabilityCosineSimilarity = function (t) {
  const s = performance.now(); const r = orig.call(this, t); const a = performance.now() - s;
  const s2 = performance.now(); orig.call(this, t); const b = performance.now() - s2;
  times.push(`${t.dims} ${a.toFixed(3)} again ${b.toFixed(3)} shadow ${this.shadow?.tensor === t}`); return r; };
const loaded = await loadModel('.models/smollm-135m', { device: 'cpu', intraOpNumThreads: 1, onWarning: () => {}, dtype: 'fp16' });
const rf = new ReasonFlow({ numOfThinkers: 8, numOfThoughts: 4 }, loaded.model, loaded.tokenizer, { executionProvider: loaded.executionProvider, owned: loaded });
await rf.generateThoughts(REAL_SHAPES_PROMPT, { maxNewTokens: 6, eosTokenIds: [] });
console.log(times.join('\n'));
await rf.dispose();
