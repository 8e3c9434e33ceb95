#!/usr/bin/env node
// Parity check against a real server (run on a GPU machine next to vLLM / SGLang / llama.cpp):
//   node scripts/parity-check.mjs --engine vllm --url http://127.0.0.1:8000 --model Qwen/Qwen2.5-0.5B-Instruct \
//        --vocab 151936 --context 4096 --prompt-ids 151644,872,198,... [--k 20] [--tokens 64]
// 1. Greedy over the path source must equal the server's own greedy completion (temperature 0, same
//    prompt ids): any difference is a protocol or log-probability mismatch, not an approximation.
// 2. ReasonFlow N=4 T=4 runs and reports the measured approximation: uncertified decisions (fused
//    argmax the unseen tail mass could change), round trips per iteration, and the prompt tokens the
//    server served from its prefix cache.
// Exit code 1 when the greedy tokens differ.
import { parseArgs } from 'node:util';
import { generateOverPaths, RemotePathSource } from '@reasonflow/backend-remote';

const { values } = parseArgs({
  options: {
    engine: { type: 'string' },
    url: { type: 'string' },
    model: { type: 'string' },
    vocab: { type: 'string' },
    context: { type: 'string', default: '4096' },
    'prompt-ids': { type: 'string' },
    k: { type: 'string', default: '20' },
    tokens: { type: 'string', default: '64' },
    'eos-ids': { type: 'string', default: '' },
  },
});
for (const required of ['engine', 'url', 'vocab', 'prompt-ids']) {
  if (!values[required]) {
    console.error(`missing --${required}`);
    process.exit(2);
  }
}
const promptIds = values['prompt-ids'].split(',').map(Number);
const k = Number(values.k);
const maxNewTokens = Number(values.tokens);
const source = new RemotePathSource({
  engine: values.engine,
  baseUrl: values.url,
  model: values.model,
  vocabSize: Number(values.vocab),
  maxSequenceLength: Number(values.context),
  eosTokenIds: values['eos-ids'] ? values['eos-ids'].split(',').map(Number) : [],
  maxTopLogProbs: k,
  timeoutMs: 120_000,
});

// The server's own greedy continuation, in one request.
const [reference] = await source.extend(promptIds, [{ forced: [], steps: maxNewTokens, temperature: 0 }], { topLogProbs: 1 });
const greedy = await generateOverPaths(source, promptIds, { maxNewTokens, eosTokenIds: [] }, { topLogProbs: k });
const same = greedy.tokenIds.length === reference.tokens.length && greedy.tokenIds.every((t, i) => t === reference.tokens[i]);
const firstDifference = greedy.tokenIds.findIndex((t, i) => t !== reference.tokens[i]);
console.log(`greedy parity: ${same ? 'identical' : `differs at token ${firstDifference}`} (${greedy.tokenIds.length} tokens, ${greedy.stats.roundTrips} round trips)`);

const before = { ...source.usage };
const search = await generateOverPaths(source, promptIds, { maxNewTokens }, { config: { numOfThinkers: 4, numOfThoughts: 4 }, topLogProbs: k });
const sent = source.usage.promptTokens - before.promptTokens;
const cached = source.usage.cachedPromptTokens - before.cachedPromptTokens;
console.log(
  JSON.stringify(
    {
      reasonflow: { tokens: search.tokenIds.length, iterations: search.stats.iterations, roundTrips: search.stats.roundTrips },
      certification: { decisions: search.stats.decisions, uncertifiedDecisions: search.stats.uncertifiedDecisions },
      prefixCache: { promptTokensSent: sent, servedFromCache: cached, hitRate: sent > 0 ? cached / sent : 0 },
      timeMs: { total: Math.round(search.stats.totalTimeMs), server: Math.round(search.stats.sourceTimeMs) },
    },
    null,
    2,
  ),
);
process.exit(same ? 0 : 1);
