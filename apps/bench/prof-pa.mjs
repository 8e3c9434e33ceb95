import { loadModel } from '@reasonflow/backend-cuda';
import { modelPath, evalSet } from '@reasonflow/model-tiny';
import { ReasonFlow } from 'reasonflow';
const loaded = await loadModel(modelPath, { device: 'cpu', intraOpNumThreads: 1, onWarning: () => {} });
const rf = new ReasonFlow({}, loaded.model, loaded.tokenizer, { executionProvider: loaded.executionProvider, owned: loaded });
const prompts = [evalSet('addition', 'hard', 2)[0].prompt, evalSet('countdown', 'hard', 2)[1].prompt];
const configs = { greedy: { numOfThinkers: 1, numOfThoughts: 1 }, pa: { numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true } };
const inst = Object.fromEntries(Object.entries(configs).map(([k, c]) => [k, rf.withConfig(c)]));
const acc = { greedy: [], pa: [] }; const stats = { greedy: [0,0,0,0], pa: [0,0,0,0] };
for (let rep = 0; rep < 40; rep++) for (const k of Object.keys(configs)) {
  let tok = 0; const s = performance.now(); let m = 0, e = 0, it = 0;
  for (const p of prompts) { const r = await inst[k].generateThoughts(p, { maxNewTokens: 48 }); tok += r.tokenIds.length; m += r.stats.modelTimeMs; e += r.stats.engineTimeMs; it += r.stats.iterations; }
  const ms = performance.now() - s; if (rep >= 5) { acc[k].push(tok / ms); stats[k][0] += tok; stats[k][1] += m; stats[k][2] += e; stats[k][3] += it; }
}
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
const ratios = acc.pa.map((v, i) => v / acc.greedy[i]);
console.log('PA/greedy median', med(ratios).toFixed(3), 'tokens', stats.greedy[0], stats.pa[0], 'model ms/token', (stats.greedy[1]/stats.greedy[0]).toFixed(3), (stats.pa[1]/stats.pa[0]).toFixed(3), 'engine ms/token', (stats.greedy[2]/stats.greedy[0]).toFixed(3), (stats.pa[2]/stats.pa[0]).toFixed(3), 'iters', stats.greedy[3], stats.pa[3]);
await rf.dispose();
