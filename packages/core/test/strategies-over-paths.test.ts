import { describe, expect, it } from 'vitest';
import {
  type ConfigError,
  DecoderPathSource,
  generateOverPaths,
  generateWith,
  type PathRowRequest,
  type PathSource,
  type SearchIteration,
  searchOverPaths,
  type StrategyInput,
  UnsupportedFeatureError,
} from '../src/index.js';
import { weightedVote } from '../src/algorithms.js';
import { ToyModel } from '../src/testing/index.js';

const prompt = [3, 17, 5];
/** Each id is one letter (a..z, then A..V), so text positions are token positions. */
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV';
const decode = (ids: readonly number[]) => ids.map((id) => LETTERS[id]).join('');
/** A toy "answer": the last letter's class (0–3) of the text. */
const extractAnswer = (text: string) => (text.length === 0 ? null : String(LETTERS.indexOf(text[text.length - 1]!) % 4));

/** The model's log-probability of every generated token, recomputed from the full sequence (no cache). */
function recomputedLogProbs(model: ToyModel, tokens: readonly number[]): number[] {
  const states = Array.from(model.embed(Int32Array.from([...prompt, ...tokens])));
  return tokens.map((token, i) => {
    const logits = model.logitsAt(states, prompt.length + i - 1);
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0));
    return logits[token]! - lse;
  });
}

/** A DecoderPathSource that records every extend call (rows and their requests). */
function recording(model: ToyModel, maxTopLogProbs?: number): { source: PathSource; calls: PathRowRequest[][] } {
  const inner = new DecoderPathSource(model, undefined, maxTopLogProbs ? { maxTopLogProbs } : {});
  const calls: PathRowRequest[][] = [];
  const source: PathSource = {
    name: 'recorded',
    vocabSize: inner.vocabSize,
    maxSequenceLength: inner.maxSequenceLength,
    eosTokenIds: inner.eosTokenIds,
    maxTopLogProbs: inner.maxTopLogProbs,
    extend: (prefix, rows, options) => {
      calls.push(rows.map((r) => ({ ...r, forced: [...r.forced] })));
      return inner.extend(prefix, rows, options);
    },
  };
  return { source, calls };
}

/** A temperature so low that sampling is the argmax: local and remote sampling are then the same algorithm. */
const COLD = 1e-4;

describe('searchOverPaths: greedy gives exactly the local tokens', () => {
  for (const chunkTokens of [1, 5, 32]) {
    it(`chunkTokens ${chunkTokens}: local greedy's tokens, stopped at EOS, ⌈tokens / chunk⌉ round trips`, async () => {
      const model = new ToyModel({ sharpness: 3, eosTokenIds: [] });
      const free = model.greedy(prompt, 20);
      // An EOS the greedy path reaches at its 8th token (its first occurrence).
      const eos = free[7]!;
      const first = free.indexOf(eos);
      const eosModel = new ToyModel({ sharpness: 3, eosTokenIds: [eos] });
      const local = await generateWith(eosModel, prompt, { kind: 'greedy' }, { maxNewTokens: 20 });
      const streamed: number[] = [];
      const { source, calls } = recording(eosModel);
      const result = await searchOverPaths(source, prompt, { kind: 'greedy' }, { maxNewTokens: 20, onToken: (t) => streamed.push(t.tokenId) }, { chunkTokens });
      expect(result.tokenIds).toEqual(local.tokenIds);
      expect(result.tokenIds).toEqual(free.slice(0, first + 1));
      expect(result.stopReason).toBe('eos');
      expect(streamed).toEqual(result.tokenIds);
      expect(result.stats.roundTrips).toBe(Math.ceil(result.tokenIds.length / chunkTokens));
      expect(result.stats.activeRowPositions).toBe(result.tokenIds.length);
      expect(result.stats.tokensGenerated).toBe(calls.flat().reduce((s, r) => s + r.steps, 0));
      // Each round trip continues the trace so far, greedy, a chunk (or what maxNewTokens leaves) at a time.
      calls.forEach((rows, i) => {
        expect(rows).toEqual([{ forced: result.tokenIds.slice(0, i * chunkTokens), steps: Math.min(chunkTokens, 20 - i * chunkTokens), temperature: 0 }]);
      });
      expect(result.candidates[0]!.meanLogProb).toBeCloseTo(local.candidates[0]!.meanLogProb, 5);
    });
  }

  it('stops at maxNewTokens and at the context length', async () => {
    const model = new ToyModel({ sharpness: 3, maxSequenceLength: prompt.length + 7 });
    const short = await searchOverPaths(new DecoderPathSource(model), prompt, { kind: 'greedy' }, { maxNewTokens: 4 }, { chunkTokens: 3 });
    expect(short.tokenIds).toEqual(model.greedy(prompt, 4));
    expect(short.stopReason).toBe('max-new-tokens');
    const long = await searchOverPaths(new DecoderPathSource(model), prompt, { kind: 'greedy' }, { maxNewTokens: 50 });
    const local = await generateWith(model, prompt, { kind: 'greedy' }, { maxNewTokens: 50 });
    expect(long.tokenIds).toEqual(local.tokenIds);
    expect(long.tokenIds).toHaveLength(7);
    expect(long.stopReason).toBe('max-length');
  });

  it('ReasonFlow through the same entry point commits generateOverPaths\' tokens', async () => {
    const model = new ToyModel({ acceptsEmbeddings: false, sharpness: 1.5, seed: 23 });
    const config = { numOfThinkers: 4, numOfThoughts: 4 };
    const direct = await generateOverPaths(new DecoderPathSource(model), prompt, { maxNewTokens: 12 }, { config, topLogProbs: 48 });
    const viaStrategy = await searchOverPaths(new DecoderPathSource(model), prompt, { kind: 'reasonflow', config }, { maxNewTokens: 12 }, { topLogProbs: 48 });
    expect(direct.tokenIds).not.toEqual(model.greedy(prompt, 12));
    expect(viaStrategy.tokenIds).toEqual(direct.tokenIds);
    expect(viaStrategy.stats.roundTrips).toBe(direct.stats.roundTrips);
    expect(viaStrategy.stats.uncertifiedDecisions).toBe(0);
    expect(viaStrategy.stats.strategy).toBe('reasonflow');
  });
});

describe('searchOverPaths: sampled strategies at a temperature where sampling is the argmax equal the local ones', () => {
  const cases: [string, StrategyInput][] = [
    ['best-of-N', { kind: 'best-of-n', n: 3, temperature: COLD }],
    ['self-consistency', { kind: 'self-consistency', n: 3, temperature: COLD }],
    ['guided search (verifier-free)', { kind: 'guided', particles: 3, temperature: COLD, stepDelimiter: /[a-h]$/, scoreStep: 'verifier-free' }],
    // Identical traces agree at once: the consensus ends both runs after the warm-up wave.
    ['DeepConf', { kind: 'deepconf', rows: 3, temperature: COLD, window_tokens: 3 }],
  ];
  for (const [name, strategy] of cases) {
    it(name, async () => {
      const model = new ToyModel({ sharpness: 2 });
      const options = { maxNewTokens: 10, decode, extractAnswer };
      const local = await generateWith(model, prompt, strategy, options);
      const paths = await searchOverPaths(new DecoderPathSource(model), prompt, strategy, options, { chunkTokens: 4 });
      expect(paths.tokenIds).toEqual(local.tokenIds);
      expect(paths.tokenIds).toEqual(model.greedy(prompt, 10));
      expect(paths.answer).toBe(local.answer);
      expect(paths.stopReason).toBe(local.stopReason);
      if (strategy.kind !== 'guided') {
        // Guided search differs in how many finished particles it keeps (a completed particle waits
        // for the others instead of sampling on); the other strategies keep the same candidates.
        expect(paths.candidates.map((c) => c.tokenIds)).toEqual(local.candidates.map((c) => c.tokenIds));
        expect(paths.candidates.map((c) => c.finish)).toEqual(local.candidates.map((c) => c.finish));
        for (const [i, c] of paths.candidates.entries()) expect(c.weight).toBeCloseTo(local.candidates[i]!.weight, 4);
      }
      if (strategy.kind === 'deepconf') {
        expect(paths.stats.threshold).toBeCloseTo(local.stats.threshold!, 4);
        expect(paths.stats.rounds).toBe(local.stats.rounds);
        expect(paths.stopReason).toBe('consensus');
      }
    });
  }
});

describe('searchOverPaths: sampled strategies (server-side sampling)', () => {
  it('best-of-N: N candidates sampled in one round trip per chunk, the best by mean log-probability', async () => {
    const model = new ToyModel({ sharpness: 2, eosTokenIds: [7] });
    const { source, calls } = recording(model);
    const result = await searchOverPaths(source, prompt, { kind: 'best-of-n', n: 5, temperature: 1.2 }, { maxNewTokens: 12, seed: 11 }, { chunkTokens: 4 });
    expect(result.candidates).toHaveLength(5);
    const lengths = result.candidates.map((c) => c.tokenIds.length);
    expect(result.stats.roundTrips).toBe(Math.ceil(Math.max(...lengths) / 4));
    expect(calls).toHaveLength(result.stats.roundTrips);
    // Every live row goes out in each round trip, each with its own seed and the server's temperature.
    expect(calls[0]!.map((r) => r.temperature)).toEqual([1.2, 1.2, 1.2, 1.2, 1.2]);
    expect(new Set(calls[0]!.map((r) => r.seed)).size).toBe(5);
    for (const [i, rows] of calls.entries()) expect(rows).toHaveLength(lengths.filter((l) => l > 4 * i).length);
    expect(result.stats.rowsRequested).toBe(calls.flat().length);
    expect(result.stats.activeRowPositions).toBe(lengths.reduce((a, b) => a + b, 0));
    for (const c of result.candidates) {
      // EOS only as the last token; otherwise the trace ran to maxNewTokens.
      expect(c.tokenIds.slice(0, -1)).not.toContain(7);
      expect(c.finish).toBe(c.tokenIds.at(-1) === 7 ? 'eos' : 'max-new-tokens');
      const lp = recomputedLogProbs(model, c.tokenIds);
      expect(c.meanLogProb).toBeCloseTo(lp.reduce((a, b) => a + b, 0) / lp.length, 4);
      expect(c.weight).toBe(c.meanLogProb);
    }
    expect(result.tokenIds).toEqual(result.candidates.reduce((a, b) => (b.weight > a.weight ? b : a)).tokenIds);
    // Sampling at 1.2 makes the rows differ, and the same seed gives the same run.
    expect(new Set(result.candidates.map((c) => c.tokenIds.join())).size).toBeGreaterThan(1);
    const again = await searchOverPaths(new DecoderPathSource(model), prompt, { kind: 'best-of-n', n: 5, temperature: 1.2 }, { maxNewTokens: 12, seed: 11 }, { chunkTokens: 4 });
    expect(again.candidates.map((c) => c.tokenIds)).toEqual(result.candidates.map((c) => c.tokenIds));
  });

  it("best-of-N with the caller's scorer: the highest score wins", async () => {
    const model = new ToyModel({ sharpness: 2 });
    const scorer = (c: { tokenIds: readonly number[] }) => c.tokenIds.filter((id) => id % 2 === 0).length;
    const result = await searchOverPaths(new DecoderPathSource(model), prompt, { kind: 'best-of-n', n: 4, temperature: 1.2, scorer }, { maxNewTokens: 8 });
    expect(result.stats.scorerCalls).toBe(4);
    const best = Math.max(...result.candidates.map((c) => scorer(c)));
    expect(result.candidates.map((c) => c.weight)).toEqual(result.candidates.map((c) => scorer(c)));
    expect(scorer({ tokenIds: result.tokenIds })).toBe(best);
  });

  it('self-consistency: one vote per trace, the majority answer with its most likely trace', async () => {
    const model = new ToyModel({ sharpness: 2 });
    const result = await searchOverPaths(new DecoderPathSource(model), prompt, { kind: 'self-consistency', n: 7, temperature: 1.3 }, { maxNewTokens: 9, decode, extractAnswer, seed: 5 });
    expect(result.candidates).toHaveLength(7);
    const counts = new Map<string, number>();
    for (const c of result.candidates) {
      expect(c.answer).toBe(extractAnswer(decode(c.tokenIds)));
      expect(c.weight).toBe(1);
      counts.set(c.answer!, (counts.get(c.answer!) ?? 0) + 1);
    }
    expect(counts.get(result.answer!)).toBe(Math.max(...counts.values()));
    expect(result.answer).toBe(weightedVote(result.candidates).answer);
    const pool = result.candidates.filter((c) => c.answer === result.answer);
    expect(result.candidates.find((c) => c.tokenIds.join() === result.tokenIds.join())!.meanLogProb).toBe(Math.max(...pool.map((c) => c.meanLogProb)));
    expect(result.text).toBe(decode(result.tokenIds));
  });

  it('guided search: particles cut at the step delimiter, scored, resampled; rejected rounds retried', async () => {
    const model = new ToyModel({ sharpness: 2 });
    const events: SearchIteration[] = [];
    const steps: { stepText: string; final: boolean }[] = [];
    let calls = 0;
    const scoreStep = (s: { stepText: string; final: boolean; stepIds: readonly number[] }) => {
      steps.push({ stepText: s.stepText, final: s.final });
      // The first round is rejected whole; then a step's score is its share of early letters.
      if (++calls <= 3) return Number.NEGATIVE_INFINITY;
      return s.stepIds.filter((id) => id < 13).length / s.stepIds.length;
    };
    const { source, calls: requests } = recording(model);
    const result = await searchOverPaths(
      source,
      prompt,
      { kind: 'guided', particles: 3, temperature: 1.3, stepDelimiter: /[a-e]$/, scoreStep, weight_temperature: 0.5 },
      { maxNewTokens: 12, decode, extractAnswer, seed: 4, onIteration: (e) => events.push(e) },
      { chunkTokens: 5 },
    );
    expect(result.stats.retries).toBe(1);
    for (const s of steps) if (!s.final) expect(s.stepText).toMatch(/[a-e]$/);
    // Only the delimiter's first occurrence ends a step: no step holds an earlier delimiter.
    for (const s of steps) expect(s.stepText.slice(0, -1)).not.toMatch(/[a-e]/);
    const resamples = events.filter((e): e is Extract<SearchIteration, { kind: 'resample' }> => e.kind === 'resample');
    expect(resamples.length).toBe(result.stats.rounds);
    expect(resamples.length).toBeGreaterThan(0);
    for (const e of resamples) {
      expect(e.ancestors).toHaveLength(3);
      expect(e.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      for (const a of e.ancestors) expect(e.weights[a]).toBeGreaterThan(0);
    }
    // Each round trip carries only the particles still inside their step, each with its own prefix.
    for (const rows of requests) {
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThanOrEqual(3);
    }
    expect(result.stats.roundTrips).toBe(requests.length);
    expect(result.candidates.length).toBeGreaterThan(0);
    expect(result.candidates.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 6);
    for (const c of result.candidates) {
      expect(['eos', 'max-new-tokens']).toContain(c.finish);
      const lp = recomputedLogProbs(model, c.tokenIds);
      expect(c.meanLogProb).toBeCloseTo(lp.reduce((a, b) => a + b, 0) / lp.length, 4);
    }
    expect(result.answer).toBe(weightedVote(result.candidates).answer);
  });

  it('guided search: a scorer that rejects everything returns nothing, with stopReason rejected', async () => {
    const result = await searchOverPaths(
      new DecoderPathSource(new ToyModel({ sharpness: 2 })),
      prompt,
      { kind: 'guided', particles: 3, stepDelimiter: 'e', scoreStep: () => Number.NEGATIVE_INFINITY },
      { maxNewTokens: 10, decode },
    );
    expect(result.candidates).toEqual([]);
    expect(result.stopReason).toBe('rejected');
    expect(result.stats.retries).toBe(4);
  });

  it('DeepConf: the warm-up sets the threshold, later traces stop below it, the budget holds', async () => {
    const model = new ToyModel({ sharpness: 2 });
    const events: SearchIteration[] = [];
    const budget = 4 * (prompt.length + 12) * 4;
    const { source, calls } = recording(model);
    const result = await searchOverPaths(
      source,
      prompt,
      { kind: 'deepconf', rows: 4, keep_percent: 50, window_tokens: 3, budget, consensus: 1, temperature: 1.3 },
      { maxNewTokens: 12, decode, extractAnswer, onIteration: (e) => events.push(e) },
      { chunkTokens: 4 },
    );
    const threshold = result.stats.threshold!;
    const waves = events.filter((e): e is Extract<SearchIteration, { kind: 'wave' }> => e.kind === 'wave');
    expect(waves.length).toBe(result.stats.rounds);
    expect(waves.length).toBeGreaterThan(2);
    const warm = waves[0]!.traces.map((t) => t.lowestConfidence).sort((a, b) => a - b);
    expect(threshold).toBeCloseTo((warm[1]! + warm[2]!) / 2, 6);
    expect(result.stats.tracesStopped).toBeGreaterThan(0);
    for (const c of result.candidates) {
      if (c.finish === 'low-confidence') {
        expect(c.lowestScore!).toBeLessThan(threshold);
        expect(c.weight).toBe(0);
      } else if (c.weight > 0) {
        expect(c.lowestScore!).toBeGreaterThanOrEqual(threshold);
        expect(c.weight).toBe(c.lowestScore);
      }
    }
    // The prompt once plus every generated token stays within the budget.
    expect(4 * prompt.length + result.stats.tokensGenerated).toBeLessThanOrEqual(budget);
    expect(result.stats.tokensGenerated).toBe(calls.flat().reduce((s, r) => s + r.steps, 0));
    expect(result.stats.activeRowPositions).toBeLessThanOrEqual(result.stats.tokensGenerated);
    expect(result.stopReason).toBe('budget');
  });
});

describe('searchOverPaths: abort and refusals', () => {
  it('an aborted signal stops between round trips; the result keeps what was generated', async () => {
    const model = new ToyModel({ sharpness: 2 });
    const pre = new AbortController();
    pre.abort();
    const { source, calls } = recording(model);
    const none = await searchOverPaths(source, prompt, { kind: 'greedy' }, { signal: pre.signal });
    expect(none.stopReason).toBe('aborted');
    expect(calls).toHaveLength(0);
    const controller = new AbortController();
    let seen = 0;
    const partial = await searchOverPaths(
      new DecoderPathSource(model),
      prompt,
      { kind: 'self-consistency', n: 3 },
      { maxNewTokens: 40, decode, extractAnswer, signal: controller.signal, onIteration: (e) => e.kind === 'step' && ++seen === 6 && controller.abort() },
      { chunkTokens: 3 },
    );
    expect(partial.stopReason).toBe('aborted');
    expect(partial.stats.roundTrips).toBe(2);
    for (const c of partial.candidates) {
      expect(c.finish).toBe('aborted');
      expect(c.tokenIds).toHaveLength(6);
    }
  });

  it('refuses what a path source cannot express, and bad settings, naming the field', async () => {
    const source = new DecoderPathSource(new ToyModel(), undefined, { maxTopLogProbs: 8 });
    await expect(searchOverPaths(source, prompt, { kind: 'sampling', topP: 0.9 })).rejects.toBeInstanceOf(UnsupportedFeatureError);
    await expect(searchOverPaths(source, prompt, { kind: 'best-of-n', n: 2, min_p: 0.1 })).rejects.toBeInstanceOf(UnsupportedFeatureError);
    const field = async (...args: Parameters<typeof searchOverPaths> extends [unknown, unknown, ...infer R] ? R : never) =>
      ((await searchOverPaths(source, prompt, ...args).catch((e: unknown) => e)) as ConfigError).field;
    expect(await field({ kind: 'greedy' }, {}, { chunkTokens: 0 })).toBe('chunkTokens');
    expect(await field({ kind: 'greedy' }, {}, { topLogProbs: 9 })).toBe('topLogProbs');
    expect(await field({ kind: 'deepconf', rows: 2, confidenceTopK: 12 }, { decode, extractAnswer })).toBe('confidenceTopK');
    expect(await field({ kind: 'self-consistency', n: 2 }, { decode })).toBe('extractAnswer');
    expect(await field({ kind: 'best-of-n', n: 0 })).toBe('n');
    expect(await field({ kind: 'greedy' }, { max_new_tokens: -1 })).toBe('maxNewTokens');
    // DeepConf's default confidence k is clamped to the source's limit.
    const dc = await searchOverPaths(source, prompt, { kind: 'deepconf', rows: 2 }, { decode, extractAnswer, maxNewTokens: 4 });
    expect(dc.candidates.length).toBeGreaterThan(0);
  });
});
