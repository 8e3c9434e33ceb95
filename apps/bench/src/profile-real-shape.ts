#!/usr/bin/env node
/**
 * One ReasonFlow configuration on one model folder, repeated under V8's CPU profiler (started after
 * loading and warm-up, so the profile holds generation only); writes `<out>.cpuprofile` and prints
 * the top self-time functions (`cpuprofile-summary.ts`).
 *
 *   node dist/profile-real-shape.js <folder> [N] [T] [tokens] [runs] [out] [dtype]
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadModel } from '@reasonflow/backend-cuda';
import { MODEL_DTYPES, type ModelDtype } from '@reasonflow/model-adapter';
import { ReasonFlow } from 'reasonflow';
import { summarize } from './cpuprofile-summary.js';
import { REAL_SHAPES_PROMPT } from './real-shapes-cli.js';

const [folder, n = '1', t = '1', tokens = '32', runs = '3', out = `profile-n${n}-t${t}`, dtype] = process.argv.slice(2);
if (!folder) {
  console.error('usage: profile-real-shape.js <folder> [N] [T] [tokens] [runs] [out] [dtype: fp32 | fp16 | q8 | q4 | q4f16]');
  process.exit(2);
}
if (dtype !== undefined && !(MODEL_DTYPES as readonly string[]).includes(dtype)) {
  console.error(`dtype must be one of ${MODEL_DTYPES.join(', ')}`);
  process.exit(2);
}
const loaded = await loadModel(folder, {
  device: 'cpu',
  intraOpNumThreads: 1,
  onWarning: () => {},
  ...(dtype !== undefined ? { dtype: dtype as ModelDtype } : {}),
});
const rf = new ReasonFlow({ numOfThinkers: Number(n), numOfThoughts: Number(t) }, loaded.model, loaded.tokenizer, {
  executionProvider: loaded.executionProvider,
  owned: loaded,
});
await rf.generateThoughts(REAL_SHAPES_PROMPT, { maxNewTokens: 4, eosTokenIds: [] });
const inspector = new Session();
inspector.connect();
await inspector.post('Profiler.enable');
await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
await inspector.post('Profiler.start');
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
const { profile } = await inspector.post('Profiler.stop');
await writeFile(`${out}.cpuprofile`, JSON.stringify(profile));
for (const r of summarize(profile as never, 30)) console.log(`${(100 * r.share).toFixed(1).padStart(5)}%  ${r.name}  ${r.where}`);
console.log(
  `N=${n} T=${t}: ${((produced * 1000) / wall).toFixed(2)} tokens/s, model ${model.toFixed(0)} ms, engine ${engine.toFixed(0)} ms (${((100 * engine) / model).toFixed(1)}% of model)`,
);
await rf.dispose();
