import { ConfigError, ReasonFlowEngine, type ReasonFlowConfigInput, UnsupportedFeatureError } from '@reasonflow/core';
import { ToyModel } from '@reasonflow/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { generateOverPaths, RemoteEngineError, RemotePathSource, RemoteTimeoutError, TopLogProbsLimitError } from '../src/index.js';
import { type FakeEngine, type FakeEngineKind, type FakeEngineOptions, startFakeEngine } from './fake-engines.js';

const prompt = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3];
const VOCAB = 16;

/** Token ids only, so the local engine uses the same noise substitute (Gumbel on step-0 log-probs). */
function toy(): ToyModel {
  return new ToyModel({ vocabSize: VOCAB, acceptsEmbeddings: false, sharpness: 1.5, seed: 23 });
}

const engines: FakeEngineKind[] = ['sglang', 'vllm', 'llama.cpp'];
let running: FakeEngine[] = [];

async function fake(kind: FakeEngineKind, options: Partial<FakeEngineOptions> = {}): Promise<FakeEngine> {
  const engine = await startFakeEngine(kind, { model: toy(), ...options });
  running.push(engine);
  return engine;
}

function sourceFor(kind: FakeEngineKind, engine: FakeEngine, extra: { timeoutMs?: number; maxTopLogProbs?: number } = {}): RemotePathSource {
  return new RemotePathSource({ engine: kind, baseUrl: engine.url, model: 'toy', vocabSize: VOCAB, maxSequenceLength: 256, ...extra });
}

afterEach(async () => {
  await Promise.all(running.map((e) => e.close()));
  running = [];
});

const parityCases: [string, ReasonFlowConfigInput][] = [
  ['greedy', { numOfThinkers: 1 }],
  ['ReasonFlow N=4 T=4', { numOfThinkers: 4, numOfThoughts: 4 }],
  ['ReasonFlow N=4 T=4 K=2', { numOfThinkers: 4, numOfThoughts: 4, topkThinkers: 2 }],
];

describe.each(engines)('%s', (kind) => {
  for (const [name, config] of parityCases) {
    it(`parity: ${name} commits exactly the local engine's tokens (top-k covers the vocabulary)`, async () => {
      const model = toy();
      const local = await new ReasonFlowEngine(model, { config }).generate(prompt, { maxNewTokens: 20 });
      const engine = await fake(kind);
      const source = sourceFor(kind, engine);
      const remote = await generateOverPaths(source, prompt, { maxNewTokens: 20 }, { config, topLogProbs: VOCAB });
      expect(remote.tokenIds).toEqual(local.tokenIds);
      expect(remote.bestThinkersSummary).toEqual(local.bestThinkersSummary);
      expect(remote.stats.uncertifiedDecisions).toBe(0);
      if (name.includes('N=4')) expect(local.tokenIds).not.toEqual(model.greedy(prompt, 20));
    });
  }

  it('one round trip per iteration for all thinkers, and the prefix cache prefills only the new suffix', async () => {
    const engine = await fake(kind);
    const source = sourceFor(kind, engine);
    const config = { numOfThinkers: 4, numOfThoughts: 4 };
    const result = await generateOverPaths(source, prompt, { maxNewTokens: 16 }, { config, topLogProbs: VOCAB });
    const { iterations, roundTrips } = result.stats;
    expect(roundTrips).toBeLessThanOrEqual(2 * iterations);
    // HTTP requests per round trip: SGLang 1 (batched), vLLM 1 (all thinkers share greedy settings), llama.cpp ≤ N.
    const perRoundTrip = kind === 'llama.cpp' ? 4 : 1;
    expect(engine.httpRequests).toBeLessThanOrEqual(roundTrips * perRoundTrip);
    expect(engine.httpRequests).toBeGreaterThanOrEqual(roundTrips);
    const [first, ...rest] = engine.served;
    expect(first!.prefill).toBe(prompt.length);
    // Each later prompt extends a cached prefix by the committed token and the thinker's step-0 token.
    const bound = kind === 'vllm' ? 2 + (VLLM_BLOCK - 1) : 2;
    if (kind === 'llama.cpp') {
      // llama.cpp caches per slot: a slot's first request prefills the whole prompt, and a slot that
      // sat out an iteration (requests arrive in any order) also prefills what was committed meanwhile.
      const firstUse = new Set<number>();
      for (const r of engine.served) {
        if (!firstUse.has(r.slot!)) {
          firstUse.add(r.slot!);
          expect(r.cached).toBe(0);
        } else {
          expect(r.cached).toBeGreaterThanOrEqual(prompt.length);
        }
      }
      expect(firstUse.size).toBeLessThanOrEqual(4);
    } else {
      for (const r of rest) expect(r.prefill).toBeLessThanOrEqual(bound);
    }
    if (kind === 'vllm') {
      for (const r of engine.served) expect(r.cached % VLLM_BLOCK).toBe(0);
      expect(rest.some((r) => r.cached > 0)).toBe(true);
    }
    const totalPrompt = engine.served.reduce((s, r) => s + r.promptLength, 0);
    const totalPrefill = engine.served.reduce((s, r) => s + r.prefill, 0);
    expect(totalPrefill).toBeLessThan(totalPrompt / (kind === 'vllm' ? 1.5 : 5));
    // The client's own count agrees with the server's.
    expect(source.usage.promptTokens).toBe(totalPrompt);
    expect(source.usage.promptTokens - source.usage.cachedPromptTokens).toBe(totalPrefill);
  });

  it('aborting cancels the HTTP requests: the server sees the connection closed', async () => {
    const engine = await fake(kind, { delayMs: 400 });
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 100);
    const result = await generateOverPaths(sourceFor(kind, engine), prompt, { maxNewTokens: 8, signal: controller.signal }, { config: { numOfThinkers: 2, numOfThoughts: 2 }, topLogProbs: VOCAB });
    expect(result.stopReason).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(350);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(engine.closedEarly).toBeGreaterThanOrEqual(1);
  });

  it('a slow server is a typed timeout, and the request is cancelled', async () => {
    const engine = await fake(kind, { delayMs: 500 });
    const source = sourceFor(kind, engine, { timeoutMs: 80 });
    const error = await generateOverPaths(source, prompt, { maxNewTokens: 4 }, { topLogProbs: 4 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteTimeoutError);
    expect(error).toBeInstanceOf(RemoteEngineError);
    expect((error as RemoteTimeoutError).timeoutMs).toBe(80);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(engine.closedEarly).toBe(1);
  });

  it('an error status is a RemoteEngineError with the status and body', async () => {
    const engine = await fake(kind, { failRequest: { index: 0, status: 503 } });
    const error = (await generateOverPaths(sourceFor(kind, engine), prompt, { maxNewTokens: 4 }, { topLogProbs: 4 }).catch((e: unknown) => e)) as RemoteEngineError;
    expect(error).toBeInstanceOf(RemoteEngineError);
    expect(error.status).toBe(503);
    expect(error.body).toContain('simulated failure');
  });
});

const VLLM_BLOCK = 16;

describe('vllm specifics', () => {
  it("the server's 400 for too many logprobs is a TopLogProbsLimitError naming the limit", async () => {
    const engine = await fake('vllm', { maxLogprobs: 20 });
    const source = new RemotePathSource({ engine: 'vllm', baseUrl: engine.url, model: 'toy', vocabSize: 64, maxSequenceLength: 256, maxTopLogProbs: 32 });
    const error = (await generateOverPaths(source, prompt, { maxNewTokens: 2 }, { topLogProbs: 32 }).catch((e: unknown) => e)) as TopLogProbsLimitError;
    expect(error).toBeInstanceOf(TopLogProbsLimitError);
    expect(error.status).toBe(400);
    expect(error.limit).toBe(20);
    expect(error.requested).toBe(32);
    expect(error.message).toContain('--max-logprobs');
  });

  it('groups rows by identical settings: one request per group, with a batch of token-id prompts', async () => {
    const engine = await fake('vllm');
    const source = sourceFor('vllm', engine);
    const rows = [
      { forced: [1], steps: 3, temperature: 0 },
      { forced: [2], steps: 3, temperature: 0 },
      { forced: [3], steps: 3, temperature: 0.8, seed: 5 },
    ];
    const results = await source.extend(prompt, rows, { topLogProbs: 8 });
    expect(engine.httpRequests).toBe(2);
    expect(results.map((r) => r.tokens.length)).toEqual([3, 3, 3]);
    for (const r of results) for (const top of r.top) expect(top.ids).toHaveLength(8);
  });
});

describe('llama.cpp specifics', () => {
  it('a partial batch failure: one of N calls fails, the error is typed and the others are cancelled', async () => {
    const engine = await fake('llama.cpp', { delayMs: 300, failRequest: { index: 1, status: 500 } });
    const source = sourceFor('llama.cpp', engine);
    const rows = [1, 2, 3, 4].map((t) => ({ forced: [t], steps: 2, temperature: 0 }));
    const started = performance.now();
    const error = (await source.extend(prompt, rows, { topLogProbs: 4 }).catch((e: unknown) => e)) as RemoteEngineError;
    expect(error).toBeInstanceOf(RemoteEngineError);
    expect(error.status).toBe(500);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The failing answer came after the delay; the three others were still waiting and got closed.
    expect(engine.closedEarly).toBe(3);
    expect(performance.now() - started).toBeLessThan(600);
  });
});

describe('RemotePathSource options', () => {
  it('rejects bad settings with ConfigError, and features the API cannot express with UnsupportedFeatureError', async () => {
    expect(() => new RemotePathSource({ engine: 'vllm', baseUrl: 'http://x', vocabSize: 10, maxSequenceLength: 10 })).toThrow(ConfigError);
    expect(() => new RemotePathSource({ engine: 'sglang', baseUrl: 'not a url', vocabSize: 10, maxSequenceLength: 10 })).toThrow(ConfigError);
    expect(() => new RemotePathSource({ engine: 'tgi' as 'vllm', baseUrl: 'http://x', vocabSize: 10, maxSequenceLength: 10 })).toThrow(ConfigError);
    const source = new RemotePathSource({ engine: 'sglang', baseUrl: 'http://127.0.0.1:9', vocabSize: 10, maxSequenceLength: 10 });
    await expect(generateOverPaths(source, [1], {}, { config: { useTokens: false } })).rejects.toBeInstanceOf(UnsupportedFeatureError);
    await expect(source.extend([1], [{ forced: [], steps: 1, temperature: 0 }], { topLogProbs: 65 })).rejects.toBeInstanceOf(ConfigError);
  });

  it('an unreachable server is a RemoteEngineError without a status', async () => {
    const source = new RemotePathSource({ engine: 'llama.cpp', baseUrl: 'http://127.0.0.1:9', vocabSize: 10, maxSequenceLength: 10 });
    const error = (await generateOverPaths(source, [1], { maxNewTokens: 1 }, { topLogProbs: 2 }).catch((e: unknown) => e)) as RemoteEngineError;
    expect(error).toBeInstanceOf(RemoteEngineError);
    expect(error.status).toBeUndefined();
  });
});
