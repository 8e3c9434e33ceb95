// Temporary (not committed): interleaved N=1 greedy tokens/s on the embedded model, old vs new core engine.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { modelPath } from '@reasonflow/model-tiny';
import { loadModelFolder } from './dist/index.js';
const fsSource = (folder) => ({ description: folder, exists: async (p) => existsSync(join(folder, p)), readText: (p) => readFile(join(folder, p), 'utf8'), readBinary: async (p) => new Uint8Array(await readFile(join(folder, p))) });
const loaded = await loadModelFolder(fsSource(modelPath), { runtime: ort, sessionOptions: { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 } });
const old = await import('/tmp/hp-before/packages/core/dist/index.js');
const neu = await import('/work/wt/hotpath/packages/core/dist/index.js');
const engines = { old: new old.ReasonFlowEngine(loaded.model, { config: { numOfThinkers: 1 } }), new: new neu.ReasonFlowEngine(loaded.model, { config: { numOfThinkers: 1 } }) };
const prompt = [1, 5, 9, 13, 20, 7];
const tps = { old: [], new: [] }; const eng = { old: [], new: [] }; let same = true; let ref;
for (let rep = 0; rep < 12; rep++) for (const name of rep % 2 ? ['new', 'old'] : ['old', 'new']) {
  const r = await engines[name].generate(prompt, { maxNewTokens: 200, eosTokenIds: [] });
  if (rep < 2) continue;
  tps[name].push(r.stats.tokensCommitted / (r.stats.totalTimeMs / 1000)); eng[name].push(r.stats.engineTimeMs * 1000 / r.stats.tokensCommitted);
  ref ??= r.tokenIds.join(','); if (r.tokenIds.join(',') !== ref) same = false;
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`vocab ${loaded.model.info.vocabSize}: greedy tokens/s median old ${med(tps.old).toFixed(0)} new ${med(tps.new).toFixed(0)} (×${(med(tps.new) / med(tps.old)).toFixed(3)}); engine µs/token old ${med(eng.old).toFixed(1)} new ${med(eng.new).toFixed(1)}; same tokens: ${same}`);
await loaded.dispose();
