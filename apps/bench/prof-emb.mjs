import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadModel } from '@reasonflow/backend-cuda';
import { modelPath } from '@reasonflow/model-tiny';
import { ReasonFlow } from 'reasonflow';
import { summarize } from './dist/cpuprofile-summary.js';
const [n = '4', t = '4', pa = '1', runs = '200', tokens = '48'] = process.argv.slice(2);
const loaded = await loadModel(modelPath, { device: 'cpu', intraOpNumThreads: 1, onWarning: () => {} });
const rf = new ReasonFlow({ numOfThinkers: Number(n), numOfThoughts: Number(t), pathAcceptance: pa === '1' }, loaded.model, loaded.tokenizer, { executionProvider: loaded.executionProvider, owned: loaded });
const prompts = ['C:3,5,7>22=', '12+34='];
for (const p of prompts) await rf.generateThoughts(p, { maxNewTokens: 8, eosTokenIds: [] });
const inspector = new Session(); inspector.connect();
await inspector.post('Profiler.enable'); await inspector.post('Profiler.setSamplingInterval', { interval: 100 }); await inspector.post('Profiler.start');
let wall = 0, model = 0, engine = 0, produced = 0;
for (let i = 0; i < Number(runs); i++) {
  const s = performance.now();
  const r = await rf.generateThoughts(prompts[i % 2], { maxNewTokens: Number(tokens), eosTokenIds: [] });
  wall += performance.now() - s; model += r.stats.modelTimeMs; engine += r.stats.engineTimeMs; produced += r.tokenIds.length;
}
const { profile } = await inspector.post('Profiler.stop');
await writeFile(`/tmp/emb-n${n}t${t}pa${pa}.cpuprofile`, JSON.stringify(profile));
for (const r of summarize(profile, 30)) console.log(`${(100 * r.share).toFixed(1).padStart(5)}%  ${r.name}  ${r.where}`);
console.log(`N=${n} T=${t} PA=${pa}: ${((produced * 1000) / wall).toFixed(0)} tok/s, wall ${wall.toFixed(0)} model ${model.toFixed(0)} engine ${engine.toFixed(0)}`);
await rf.dispose();
