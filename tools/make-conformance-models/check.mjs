// Checks every fixture folder with onnxruntime-node: one-pass logits against torch's reference,
// cached (token-by-token with past_key_values) logits against one pass, greedy tokens.
//   node tools/make-conformance-models/check.mjs [fixtures dir]
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');
const require = createRequire(join(repo, 'packages', 'model-adapter', 'package.json'));
const ort = require('onnxruntime-node');
const root = process.argv[2] ?? join(repo, 'packages', 'model-adapter', 'test', 'fixtures', 'models');
const TOL = { fp32: 1e-4, q4: 1e-4, fp16: 1e-2 };
// fp16 vs torch (float32 compute on fp16-rounded weights): relative to the logits' range
const TORCH_TOL_REL = { fp32: 1e-4, q4: 1e-3, fp16: 2e-2 };

function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
const floats = (t) => (t.type === 'float16' ? Array.from(t.data, halfToFloat) : Array.from(t.data));
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const argmax = (a) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

function names(folder, config) {
  const genaiPath = join(folder, 'genai_config.json');
  if (!existsSync(genaiPath)) {
    return { pastKey: 'past_key_values.%d.key', pastValue: 'past_key_values.%d.value', presentKey: 'present.%d.key', presentValue: 'present.%d.value', logits: 'logits', layers: config.num_hidden_layers ?? config.n_layer };
  }
  const d = JSON.parse(readFileSync(genaiPath, 'utf8')).model.decoder;
  return { pastKey: d.inputs.past_key_names, pastValue: d.inputs.past_value_names, presentKey: d.outputs.present_key_names, presentValue: d.outputs.present_value_names, logits: d.outputs.logits, layers: d.num_hidden_layers };
}

async function run(session, n, ids, past, pastLen, kvDtype, kvShape) {
  const S = ids.length;
  const T = pastLen + S;
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, S]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
  };
  if (session.inputNames.includes('position_ids')) {
    feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, i) => BigInt(pastLen + i)), [1, S]);
  }
  if (session.inputNames.includes('use_cache_branch')) feeds.use_cache_branch = new ort.Tensor('bool', [pastLen > 0], [1]);
  for (let i = 0; i < n.layers; i++) {
    for (const name of [n.pastKey, n.pastValue]) {
      const empty = new ort.Tensor(kvDtype, kvDtype === 'float16' ? new Uint16Array(0) : new Float32Array(0), [1, kvShape[0], 0, kvShape[1]]);
      feeds[name.replace('%d', i)] = past ? past[name.replace('%d', i)] : empty;
    }
  }
  const out = await session.run(feeds);
  const logits = out[n.logits];
  const V = logits.dims[2];
  const all = floats(logits);
  const rows = Array.from({ length: S }, (_, s) => all.slice(s * V, (s + 1) * V));
  const next = {};
  for (let i = 0; i < n.layers; i++) {
    next[n.pastKey.replace('%d', i)] = out[n.presentKey.replace('%d', i)];
    next[n.pastValue.replace('%d', i)] = out[n.presentValue.replace('%d', i)];
  }
  return { rows, past: next, logitsType: logits.type };
}

let failures = 0;
for (const dir of readdirSync(root).sort()) {
  const folder = join(root, dir);
  const ref = JSON.parse(readFileSync(join(folder, 'reference.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
  const n = names(folder, config);
  const kvHeads = config.num_key_value_heads ?? config.n_head;
  const headDim = config.head_dim ?? config.n_embd / config.n_head;
  for (const [dtype, r] of Object.entries(ref.variants)) {
    const label = `${dir} ${dtype} (${r.file})`;
    try {
      const session = await ort.InferenceSession.create(join(folder, r.file), { intraOpNumThreads: 1 });
      const kvDtype = r.io_dtype;
      const ids = ref.input_ids;
      const one = await run(session, n, ids, null, 0, kvDtype, [kvHeads, headDim]);
      const last = one.rows.at(-1);
      const range = Math.max(...r.last_logits) - Math.min(...r.last_logits);
      const torchDiff = maxDiff(last, r.last_logits);
      const argmaxes = one.rows.map(argmax);
      const argmaxOk = argmaxes.every((a, i) => a === r.argmax_per_position[i]);
      // cached: prompt token by token, each step's logits against the one-pass row
      let past = null;
      let cachedDiff = 0;
      for (let i = 0; i < ids.length; i++) {
        const step = await run(session, n, [ids[i]], past, i, kvDtype, [kvHeads, headDim]);
        cachedDiff = Math.max(cachedDiff, maxDiff(step.rows[0], one.rows[i]));
        past = step.past;
      }
      // greedy with the cache from a one-pass prefill
      let state = one;
      let len = ids.length;
      const greedy = [];
      for (let s = 0; s < r.greedy_tokens.length; s++) {
        const tok = argmax(state.rows.at(-1));
        greedy.push(tok);
        state = await run(session, n, [tok], state.past, len, kvDtype, [kvHeads, headDim]);
        len++;
      }
      const greedyOk = greedy.join() === r.greedy_tokens.join();
      const ok = torchDiff <= TORCH_TOL_REL[dtype] * range && cachedDiff <= TOL[dtype] && greedyOk;
      if (!ok) failures++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}: logits ${one.logitsType}, |ort-torch| ${torchDiff.toExponential(2)} (range ${range.toFixed(1)}), |cached-onepass| ${cachedDiff.toExponential(2)}, argmax/pos ${argmaxOk ? 'same' : 'DIFFERENT'}, greedy ${greedyOk ? 'same' : `DIFFERENT ${greedy} vs ${r.greedy_tokens}`}`);
    } catch (e) {
      failures++;
      console.log(`FAIL ${label}: ${e.message.split('\n')[0]}`);
    }
  }
}
process.exitCode = failures ? 1 : 0;
