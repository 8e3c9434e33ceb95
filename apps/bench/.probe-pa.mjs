import { loadModel } from '@reasonflow/backend-cuda';
import { evalSet } from '@reasonflow/model-tiny';
import { tinyModelDir } from '@reasonflow/model-tiny';
import { ReasonFlow } from 'reasonflow';
const loaded = await loadModel(tinyModelDir, { device: 'cpu', intraOpNumThreads: 1, onWarning: () => {} });
const rf = new ReasonFlow({}, loaded.model, loaded.tokenizer, { executionProvider: loaded.executionProvider, owned: loaded });
const prompts = [evalSet('addition', 'hard', 2)[0].prompt, evalSet('countdown', 'hard', 2)[1].prompt];
const fw = new Map();
loaded.model.observe((e) => {
  const key = e.type === 'forward' ? `fw ${e.file} r${e.rows} p${e.positions > 1 ? 'N' : 1}` : `kv ${e.operation}`;
  const a = fw.get(key) ?? { n: 0, ms: 0 }; a.n++; a.ms += e.durationMs; fw.set(key, a);
});
const origEmbed = loaded.model.embedTokens;
let embN=0, embMs=0;
Object.defineProperty(loaded.model, 'embedTokens', { value: async (t) => { const s = performance.now(); const r = await origEmbed(t); embN++; embMs += performance.now() - s; return r; } });
const configs = { greedy: { numOfThinkers: 1, numOfThoughts: 1 }, pa: { numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true } };
const inst = Object.fromEntries(Object.entries(configs).map(([k, c]) => [k, rf.withConfig(c)]));
const acc = {};
for (let rep = 0; rep < 8; rep++) for (const [k, r] of Object.entries(inst)) {
  fw.clear(); embN=0; embMs=0;
  let tokens = 0, model = 0, engine = 0, iters = 0; const t0 = performance.now();
  for (const p of prompts) { const res = await r.generateThoughts(p, { maxNewTokens: 48 }); tokens += res.tokenIds.length; model += res.stats.modelTimeMs; engine += res.stats.engineTimeMs; iters += res.stats.iterations; }
  const wall = performance.now() - t0;
  if (rep >= 2) { (acc[k] ??= []).push({ emb: `${embN} x ${(embMs/Math.max(1,embN)).toFixed(3)}`, msPerTok: wall / tokens, model: model / tokens, engine: engine / tokens, tokens, iters, fw: Object.fromEntries([...fw].map(([a, b]) => [a, `${b.n} × ${(b.ms / b.n).toFixed(3)}`])) }); }
}
for (const [k, v] of Object.entries(acc)) { const m = v.map((x) => x.msPerTok).sort((a,b)=>a-b); console.log(k, 'ms/token median', m[m.length>>1].toFixed(3), 'model', v[0].model.toFixed(3), 'engine', v[0].engine.toFixed(3), 'tokens', v[0].tokens, 'iters', v[0].iters); console.log(v[v.length-1].fw, v[v.length-1].emb); }
const g = acc.greedy.map(x=>x.msPerTok), p = acc.pa.map(x=>x.msPerTok);
console.log('ratio per rep', g.map((x,i)=>(x/p[i]).toFixed(3)).join(' '));
await rf.dispose();
