#!/usr/bin/env node
/**
 * One ReasonFlow configuration on one model folder, repeated, for `node --cpu-prof`; then
 * `node dist/cpuprofile-summary.js <file.cpuprofile>` lists the top self-time functions.
 *
 *   node --cpu-prof --cpu-prof-dir=prof dist/profile-real-shape.js <folder> <N> <T> <tokens> <runs>
 */
import { loadModel } from '@reasonflow/backend-cuda';
import { ReasonFlow } from 'reasonflow';
import { REAL_SHAPES_PROMPT } from './real-shapes-cli.js';

const [folder, n = '1', t = '1', tokens = '32', runs = '3'] = process.argv.slice(2);
if (!folder) {
  console.error('usage: profile-real-shape.js <folder> [N] [T] [tokens] [runs]');
  process.exit(2);
}
const loaded = await loadModel(folder, { device: 'cpu', intraOpNumThreads: 1, onWarning: () => {} });
const rf = new ReasonFlow({ numOfThinkers: Number(n), numOfThoughts: Number(t) }, loaded.model, loaded.tokenizer, {
  executionProvider: loaded.executionProvider,
  owned: loaded,
});
await rf.generateThoughts(REAL_SHAPES_PROMPT, { maxNewTokens: 4, eosTokenIds: [] });
let wall = 0;
let model = 0;
let engine = 0;
let produced = 0;
for (let i = 0; i < Number(runs); i++) {
  const start = performance.now();
  const r = await rf.generateThoughts(REAL_SHAPES_PROMPT, { maxNewTokens: Number(tokens), eosTokenIds: [] });
  wall += performance.now() - start;
  model += r.stats.modelTimeMs;
  engine += r.stats.engineTimeMs;
  produced += r.tokenIds.length;
}
console.log(
  `N=${n} T=${t}: ${((produced * 1000) / wall).toFixed(2)} tokens/s, model ${model.toFixed(0)} ms, engine ${engine.toFixed(0)} ms (${((100 * engine) / model).toFixed(1)}% of model)`,
);
await rf.dispose();
