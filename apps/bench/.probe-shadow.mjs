import { loadModel } from '@reasonflow/backend-cuda';
import { SimdBackend } from '@reasonflow/core';
import { ReasonFlow } from 'reasonflow';
import { REAL_SHAPES_PROMPT } from '/work/main/apps/bench/dist/real-shapes-cli.js';
const P = SimdBackend.prototype; const log = [];
for (const name of ['logSoftmax', 'setElements', 'shiftRows', 'exp', 'addGumbelNoise', 'dispose', 'probabilityCosineSimilarity']) {
  const orig = P[name];
  P[name] = function (t, ...rest) { const before = this.shadow?.tensor === t; const r = orig.call(this, t, ...rest); log.push(`${name}${before ? '*' : ''}${name === 'setElements' ? JSON.stringify(Array.from(rest[2])) : ''}->${this.shadow ? (this.shadow.tensor === t ? 'own' : 'other') : 'none'}`); return r; };
}
const loaded = await loadModel('.models/smollm-135m', { device: 'cpu', intraOpNumThreads: 1, onWarning: () => {}, dtype: 'fp16' });
const rf = new ReasonFlow({ numOfThinkers: 8, numOfThoughts: 4 }, loaded.model, loaded.tokenizer, { executionProvider: loaded.executionProvider, owned: loaded });
await rf.generateThoughts(REAL_SHAPES_PROMPT, { maxNewTokens: 2, eosTokenIds: [] });
console.log(log.join('\n'));
await rf.dispose();
