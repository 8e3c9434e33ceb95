import { generateWith, type PathSource, type StrategyInput } from '@reasonflow/core';
import { weightedVote } from '@reasonflow/core/algorithms';
import { ToyModel } from '@reasonflow/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RemotePathSource, searchOverPaths } from '../src/index.js';
import { type FakeEngine, type FakeEngineKind, type FakeEngineOptions, type ServedRequest, startFakeEngine } from './fake-engines.js';

const prompt = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3];
const VOCAB = 16;
const VLLM_BLOCK = 16;
const LETTERS = 'abcdefghijklmnop';
const decode = (ids: readonly number[]) => ids.map((id) => LETTERS[id]).join('');
/** A toy "answer": the last letter's class (0–3). */
const extractAnswer = (text: string) => (text.length === 0 ? null : String(LETTERS.indexOf(text[text.length - 1]!) % 4));

function toy(): ToyModel {
  return new ToyModel({ vocabSize: VOCAB, sharpness: 2, seed: 23 });
}

const engines: FakeEngineKind[] = ['sglang', 'vllm', 'llama.cpp'];
let running: FakeEngine[] = [];

async function fake(kind: FakeEngineKind, options: Partial<FakeEngineOptions> = {}): Promise<FakeEngine> {
  const engine = await startFakeEngine(kind, { model: toy(), ...options });
  running.push(engine);
  return engine;
}

afterEach(async () => {
  await Promise.all(running.map((e) => e.close()));
  running = [];
});

/** What one `extend` call (one round trip) cost on the server: its HTTP requests and the generations it served. */
interface Round {
  readonly rows: number;
  readonly httpRequests: number;
  readonly served: readonly ServedRequest[];
  /** Tokens the server generated for it. */
  readonly generated: number;
}

/** A RemotePathSource whose every extend call is recorded against the fake's own counters. */
function recordedSource(kind: FakeEngineKind, engine: FakeEngine): { source: PathSource; remote: RemotePathSource; rounds: Round[] } {
  const remote = new RemotePathSource({ engine: kind, baseUrl: engine.url, model: 'toy', vocabSize: VOCAB, maxSequenceLength: 256 });
  const rounds: Round[] = [];
  const source: PathSource = {
    name: remote.name,
    vocabSize: remote.vocabSize,
    maxSequenceLength: remote.maxSequenceLength,
    eosTokenIds: remote.eosTokenIds,
    maxTopLogProbs: remote.maxTopLogProbs,
    extend: async (prefix, rows, options) => {
      const http = engine.httpRequests;
      const served = engine.served.length;
      const results = await remote.extend(prefix, rows, options);
      rounds.push({
        rows: rows.length,
        httpRequests: engine.httpRequests - http,
        served: engine.served.slice(served),
        generated: results.reduce((s, r) => s + r.tokens.length, 0),
      });
      return results;
    },
  };
  return { source, remote, rounds };
}

/**
 * The batching and prefix-cache rules every strategy must keep: each round trip carries all its rows
 * at once (SGLang one request, vLLM one per group of identical settings, llama.cpp one per row), and
 * after the first round a row's prompt extends what an earlier round left in the cache, so only the
 * newest token is prefilled (vLLM: up to one 16-token block; llama.cpp: per slot).
 */
function expectBatchedAndCached(kind: FakeEngineKind, rounds: readonly Round[], remote: RemotePathSource, engine: FakeEngine): void {
  expect(rounds.length).toBeGreaterThan(1);
  for (const round of rounds) {
    expect(round.served).toHaveLength(round.rows);
    if (kind === 'sglang') expect(round.httpRequests).toBe(1);
    else expect(round.httpRequests).toBeGreaterThanOrEqual(1);
    expect(round.httpRequests).toBeLessThanOrEqual(round.rows);
  }
  const [first, ...later] = rounds;
  // The first round sends the prompt alone and prefills it once (SGLang, vLLM) or once per slot (llama.cpp).
  expect(first!.served[0]!.promptLength).toBe(prompt.length);
  expect(first!.served[0]!.prefill).toBe(prompt.length);
  if (kind === 'sglang') for (const r of first!.served.slice(1)) expect(r.prefill).toBe(1);
  for (const round of later) {
    for (const r of round.served) {
      if (kind === 'sglang') expect(r.prefill).toBe(1);
      else if (kind === 'vllm') {
        expect(r.prefill).toBeLessThanOrEqual(VLLM_BLOCK);
        expect(r.cached % VLLM_BLOCK).toBe(0);
      } else if (r.cached > 0) expect(r.cached).toBeGreaterThanOrEqual(Math.min(prompt.length, r.promptLength - 1)); // a slot seen before holds the prompt
    }
  }
  const totalPrompt = engine.served.reduce((s, r) => s + r.promptLength, 0);
  const totalPrefill = engine.served.reduce((s, r) => s + r.prefill, 0);
  expect(totalPrefill).toBeLessThan(totalPrompt / 2);
  // The client's count agrees with the server's.
  expect(remote.usage.promptTokens).toBe(totalPrompt);
  expect(remote.usage.promptTokens - remote.usage.cachedPromptTokens).toBe(totalPrefill);
}

describe.each(engines)('%s', (kind) => {
  it("greedy: exactly the local strategy's tokens, one request per chunk, only the newest token prefilled", async () => {
    const model = toy();
    const local = await generateWith(model, prompt, { kind: 'greedy' }, { maxNewTokens: 20 });
    const engine = await fake(kind);
    const { source, remote, rounds } = recordedSource(kind, engine);
    const result = await searchOverPaths(source, prompt, { kind: 'greedy' }, { maxNewTokens: 20 }, { chunkTokens: 6 });
    expect(result.tokenIds).toEqual(local.tokenIds);
    expect(result.stats.roundTrips).toBe(4);
    expect(result.stats.source).toBe(kind);
    expect(rounds.map((r) => r.httpRequests)).toEqual([1, 1, 1, 1]);
    expectBatchedAndCached(kind, rounds, remote, engine);
  });

  const sampled: [string, StrategyInput][] = [
    ['best-of-N', { kind: 'best-of-n', n: 4, temperature: 1.2 }],
    ['self-consistency', { kind: 'self-consistency', n: 4, temperature: 1.2 }],
    ['guided search', { kind: 'guided', particles: 3, temperature: 1.2, stepDelimiter: /[a-d]$/, scoreStep: 'verifier-free' }],
    ['DeepConf', { kind: 'deepconf', rows: 3, temperature: 1.2, window_tokens: 3, keep_percent: 50, consensus: 1, budget: 3 * (prompt.length + 30) }],
  ];
  for (const [name, strategy] of sampled) {
    it(`${name}: all rows in one round trip per round, prefix-cached, with the local result shape`, async () => {
      const engine = await fake(kind);
      const { source, remote, rounds } = recordedSource(kind, engine);
      const result = await searchOverPaths(source, prompt, strategy, { maxNewTokens: 12, decode, extractAnswer, seed: 9 }, { chunkTokens: 4 });
      expect(result.stats.roundTrips).toBe(rounds.length);
      expect(result.stats.rowsRequested).toBe(rounds.reduce((s, r) => s + r.rows, 0));
      expect(result.stats.tokensGenerated).toBe(rounds.reduce((s, r) => s + r.generated, 0));
      expect(result.stats.activeRowPositions).toBeLessThanOrEqual(result.stats.tokensGenerated);
      expectBatchedAndCached(kind, rounds, remote, engine);
      expect(result.candidates.length).toBeGreaterThan(0);
      for (const c of result.candidates) expect(c.tokenIds.length).toBeLessThanOrEqual(12);
      // Best-of-N returns its best trace's answer; the voting strategies the weighted majority.
      expect(result.answer).toBe(strategy.kind === 'best-of-n' ? extractAnswer(decode(result.tokenIds)) : weightedVote(result.candidates).answer);
      expect(result.answer).not.toBeNull();
      if (strategy.kind === 'best-of-n' || strategy.kind === 'self-consistency') {
        expect(result.candidates).toHaveLength(4);
        // Every live row goes out each round: the first rounds carry all four.
        expect(rounds[0]!.rows).toBe(4);
        expect(rounds.length).toBe(3);
      }
      if (strategy.kind === 'guided') expect(result.stats.rounds).toBeGreaterThan(0);
      if (strategy.kind === 'deepconf') {
        expect(result.stats.threshold).toBeDefined();
        expect(3 * prompt.length + result.stats.tokensGenerated).toBeLessThanOrEqual(3 * (prompt.length + 30));
      }
      // The same seed gives the same run on a fresh server.
      const again = await searchOverPaths(recordedSource(kind, await fake(kind)).source, prompt, strategy, { maxNewTokens: 12, decode, extractAnswer, seed: 9 }, { chunkTokens: 4 });
      expect(again.candidates.map((c) => c.tokenIds)).toEqual(result.candidates.map((c) => c.tokenIds));
    });
  }

  it('aborting a sampled strategy cancels the HTTP requests: the server sees the connection closed', async () => {
    const engine = await fake(kind, { delayMs: 400 });
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 100);
    const result = await searchOverPaths(
      recordedSource(kind, engine).source,
      prompt,
      { kind: 'self-consistency', n: 3 },
      { maxNewTokens: 8, decode, extractAnswer, signal: controller.signal },
    );
    expect(result.stopReason).toBe('aborted');
    for (const c of result.candidates) expect(c.finish).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(350);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(engine.closedEarly).toBeGreaterThanOrEqual(1);
  });
});
