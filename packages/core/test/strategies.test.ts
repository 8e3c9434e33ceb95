import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ConfigError,
  type ForwardEvent,
  generateWith,
  parseStepDelimiter,
  ReasonFlowEngine,
  ReferenceBackend,
  resolveStrategy,
  type SearchIteration,
  type SearchResult,
  type StrategyInput,
  streamWith,
} from '../src/index.js';
import {
  systematicResample,
  weightedVote,
} from '../src/algorithms.js';
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

/** Runs a strategy with an observer that sums rows × positions over forward calls. */
async function observed(model: ToyModel, strategy: StrategyInput, options: Parameters<typeof generateWith>[3] = {}) {
  const forwards: ForwardEvent[] = [];
  const result = await generateWith(model, prompt, strategy, { decode, extractAnswer, ...options }, { observer: { onForward: (e) => forwards.push(e) } });
  const rowPositions = forwards.reduce((s, e) => s + e.rows * e.positions, 0);
  return { result, forwards, rowPositions };
}

describe('parseStepDelimiter (the CLI and demo text form)', () => {
  it('/…/flags is a RegExp, other text a literal with \\n and \\t escapes', () => {
    expect(parseStepDelimiter('/[.!?]$/i')).toEqual(/[.!?]$/i);
    expect(parseStepDelimiter('\\n')).toBe('\n');
    expect(parseStepDelimiter('a\\tb')).toBe('a\tb');
    expect(parseStepDelimiter('|')).toBe('|');
    expect(parseStepDelimiter('//')).toBe('//');
  });

  it('an empty text or a RegExp that does not compile is a ConfigError on stepDelimiter', () => {
    for (const [text, allowed] of [['', /a non-empty delimiter/], ['/(/', /a valid \/regex\/ \(Invalid regular expression/]] as const) {
      const error = (() => {
        try {
          parseStepDelimiter(text);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe('stepDelimiter');
      expect((error as ConfigError).allowed).toMatch(allowed);
    }
  });
});

describe('systematic resampling', () => {
  it('places evenly spaced pointers from one uniform', () => {
    expect(Array.from(systematicResample([0.1, 0.2, 0.3, 0.4], 4, 0.5))).toEqual([1, 2, 3, 3]);
    expect(Array.from(systematicResample([0.1, 0.2, 0.3, 0.4], 4, 0))).toEqual([0, 1, 2, 3]);
    expect(Array.from(systematicResample([1, 1, 1, 1], 4, 0.99))).toEqual([0, 1, 2, 3]);
    // Unnormalised weights; a zero-weight particle is never drawn, even at the end.
    expect(Array.from(systematicResample([0, 3, 0], 3, 0.999))).toEqual([1, 1, 1]);
    expect(Array.from(systematicResample([2, 0, 6], 4, 0.2))).toEqual([0, 2, 2, 2]);
    expect(() => systematicResample([0, 0], 2, 0.5)).toThrow(RangeError);
  });

  it('copies each particle ⌊n·w⌋ or ⌈n·w⌉ times for any uniform (property)', () => {
    const weights = [0.05, 0.45, 0.2, 0.3];
    for (let i = 0; i < 50; i++) {
      const parents = systematicResample(weights, 8, i / 50);
      weights.forEach((w, j) => {
        const copies = parents.filter((p) => p === j).length;
        expect(copies === Math.floor(8 * w) || copies === Math.ceil(8 * w)).toBe(true);
      });
    }
  });
});

describe('weighted vote', () => {
  it('sums weights per answer, ignores null answers, breaks ties by first seen', () => {
    const v = weightedVote([
      { answer: 'a', weight: 1 },
      { answer: 'b', weight: 0.7 },
      { answer: null, weight: 5 },
      { answer: 'b', weight: 0.7 },
    ]);
    expect(v.answer).toBe('b');
    expect(v.share).toBeCloseTo(1.4 / 2.4, 10);
    expect(weightedVote([{ answer: 'x', weight: 1 }, { answer: 'y', weight: 1 }]).answer).toBe('x');
  });
});

describe('strategies on the toy model', () => {
  it('greedy equals the engine with N = 1 (token for token), streamed live', async () => {
    const model = new ToyModel();
    const engine = await new ReasonFlowEngine(model, { config: { numOfThinkers: 1, numOfThoughts: 1 } }).generate(prompt, { maxNewTokens: 30 });
    const streamed: number[] = [];
    const { result, rowPositions } = await observed(model, { kind: 'greedy' }, { maxNewTokens: 30, onToken: (t) => streamed.push(t.tokenId) });
    expect(result.tokenIds).toEqual(engine.tokenIds);
    expect(result.tokenIds).toEqual(model.greedy(prompt, 30));
    expect(streamed).toEqual(result.tokenIds);
    expect(result.stopReason).toBe('max-new-tokens');
    expect(result.text).toBe(decode(result.tokenIds));
    expect(result.stats.rowsComputed).toBe(rowPositions);
    expect(result.stats.rowsComputed).toBe(engine.stats.rowsComputed);
    expect(result.candidates[0]!.meanLogProb).toBeCloseTo(
      recomputedLogProbs(model, result.tokenIds).reduce((a, b) => a + b, 0) / 30,
      4,
    );
  });

  it('sampling is seeded: the same seed repeats, another differs, stream yields the tokens', async () => {
    const model = new ToyModel({ sharpness: 2 });
    const a = await generateWith(model, prompt, { kind: 'sampling', temperature: 1.2 }, { maxNewTokens: 20, seed: 1 });
    const b = await generateWith(model, prompt, { kind: 'sampling', temperature: 1.2 }, { maxNewTokens: 20, seed: 1 });
    const c = await generateWith(model, prompt, { kind: 'sampling', temperature: 1.2 }, { maxNewTokens: 20, seed: 2 });
    expect(a.tokenIds).toEqual(b.tokenIds);
    expect(a.tokenIds).not.toEqual(c.tokenIds);
    const stream = streamWith(model, prompt, { kind: 'sampling', temperature: 1.2 }, { maxNewTokens: 20, seed: 1 });
    const tokens: number[] = [];
    let next = await stream.next();
    while (!next.done) {
      tokens.push(next.value.tokenId);
      next = await stream.next();
    }
    expect(tokens).toEqual(a.tokenIds);
    expect(next.value.tokenIds).toEqual(a.tokenIds);
  });

  it('best-of-N picks the candidate with the highest (recomputed) mean log-probability', async () => {
    const model = new ToyModel({ sharpness: 2 });
    const { result, rowPositions } = await observed(model, { kind: 'best-of-n', n: 6, temperature: 1.3 }, { maxNewTokens: 12 });
    expect(result.candidates).toHaveLength(6);
    const means = result.candidates.map((c) => {
      const lp = recomputedLogProbs(model, c.tokenIds);
      expect(c.meanLogProb).toBeCloseTo(lp.reduce((a, b) => a + b, 0) / lp.length, 4);
      return c.meanLogProb;
    });
    expect(new Set(result.candidates.map((c) => c.tokenIds.join())).size).toBeGreaterThan(1);
    const best = means.indexOf(Math.max(...means));
    expect(result.tokenIds).toEqual(result.candidates[best]!.tokenIds);
    expect(result.stats.rowsComputed).toBe(rowPositions);
    expect(result.stats.rowsComputed).toBe(6 * (prompt.length + 11));
    expect(result.stats.activeRowPositions).toBe(prompt.length + 6 * 11);
  });

  it('best-of-N with a scorer picks its maximum (async scorer)', async () => {
    const model = new ToyModel({ sharpness: 2 });
    const vowels = (text: string) => [...text].filter((ch) => 'aeiou'.includes(ch)).length;
    const result = await generateWith(
      model,
      prompt,
      { kind: 'best-of-n', n: 6, temperature: 1.3, scorer: async (c) => vowels(c.text) },
      { maxNewTokens: 12, decode },
    );
    const scores = result.candidates.map((c) => vowels(c.text!));
    expect(result.candidates.map((c) => c.weight)).toEqual(scores);
    expect(vowels(result.text!)).toBe(Math.max(...scores));
    expect(result.stats.scorerCalls).toBe(6);
  });

  it('self-consistency returns the majority answer, with a trace that gives it', async () => {
    const model = new ToyModel({ sharpness: 2 });
    const { result, rowPositions } = await observed(model, { kind: 'self-consistency', n: 9, temperature: 1.5 }, { maxNewTokens: 8, seed: 11 });
    const counts = new Map<string, number>();
    for (const c of result.candidates) {
      expect(c.answer).toBe(extractAnswer(decode(c.tokenIds)));
      counts.set(c.answer!, (counts.get(c.answer!) ?? 0) + 1);
    }
    expect(counts.size).toBeGreaterThan(1);
    const top = Math.max(...counts.values());
    expect(counts.get(result.answer!)).toBe(top);
    expect(extractAnswer(result.text!)).toBe(result.answer);
    expect(result.stats.rowsComputed).toBe(rowPositions);
  });

  it('ReasonFlow with ranked branching never spends a thinker on a duplicate path', async () => {
    const model = new ToyModel({ sharpness: 12 });
    const shares = async (branching: 'none' | 'ranked' | 'sampled') => {
      const iterations: number[] = [];
      const { result, rowPositions } = await observed(
        model,
        { kind: 'reasonflow', config: { num_of_thinkers: 4, num_of_thoughts: 3, branching } },
        { maxNewTokens: 15, onIteration: (e) => e.kind === 'reasonflow' && iterations.push(e.report.duplicatePathShare) },
      );
      expect(result.stats.rowsComputed).toBe(rowPositions);
      expect(result.stats.duplicatePathShare).toBeCloseTo(iterations.reduce((a, b) => a + b, 0) / iterations.length, 10);
      return { iterations, result };
    };
    const none = await shares('none');
    expect(Math.max(...none.iterations)).toBeGreaterThan(0);
    expect(none.result.tokenIds).toEqual(
      (await new ReasonFlowEngine(model, { config: { numOfThinkers: 4, numOfThoughts: 3 } }).generate(prompt, { maxNewTokens: 15 })).tokenIds,
    );
    for (const branching of ['ranked', 'sampled'] as const) {
      const { iterations } = await shares(branching);
      expect(iterations.every((s) => s === 0)).toBe(true);
    }
  });

  it('guided search never returns a path its scorer rejected; resampled rows continue exactly as their parents', async () => {
    const model = new ToyModel({ sharpness: 2 });
    const rejectedToken = 9;
    let rejections = 0;
    const events: SearchIteration[] = [];
    const { result, rowPositions } = await observed(
      model,
      {
        kind: 'guided',
        particles: 6,
        temperature: 1.3,
        step_delimiter: /[a-j]$/,
        score_step: ({ stepIds, stepLogProbs }) => {
          if (stepIds.includes(rejectedToken)) {
            rejections++;
            return Number.NEGATIVE_INFINITY;
          }
          return stepLogProbs.reduce((a, b) => a + b, 0);
        },
      },
      { maxNewTokens: 16, seed: 5, onIteration: (e) => events.push(e) },
    );
    expect(rejections).toBeGreaterThan(0);
    expect(result.candidates.length).toBeGreaterThan(0);
    for (const c of result.candidates) {
      expect(c.tokenIds).not.toContain(rejectedToken);
      // Every token's log-probability, recorded from the batched cache, equals a recomputation: the KV rows
      // (and the pending logits) followed every resampling.
      const lp = recomputedLogProbs(model, c.tokenIds);
      expect(c.meanLogProb).toBeCloseTo(lp.reduce((a, b) => a + b, 0) / lp.length, 4);
    }
    const resamples = events.filter((e) => e.kind === 'resample');
    expect(resamples.length).toBe(result.stats.rounds);
    expect(resamples.some((e) => e.ancestors.some((a, r) => a !== r))).toBe(true);
    expect(result.candidates.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 6);
    expect(result.stats.rowsComputed).toBe(rowPositions);
    expect(result.stats.rowsComputed).toBeLessThanOrEqual(6 * (prompt.length + 15));
  });

  it('guided search: a scorer that rejects everything returns nothing, with stopReason rejected', async () => {
    const model = new ToyModel({ sharpness: 2 });
    const result = await generateWith(
      model,
      prompt,
      { kind: 'guided', particles: 3, stepDelimiter: 'e', scoreStep: () => Number.NEGATIVE_INFINITY },
      { maxNewTokens: 10, decode },
    );
    expect(result.candidates).toEqual([]);
    expect(result.tokenIds).toEqual([]);
    expect(result.stopReason).toBe('rejected');
    expect(result.stats.retries).toBe(4); // the default maxRetries
  });

  it('guided search rolls a round whose particles were all rejected back, and samples it again', async () => {
    const model = new ToyModel({ sharpness: 2 });
    let calls = 0;
    const { result, rowPositions } = await observed(
      model,
      { kind: 'guided', particles: 3, temperature: 1.3, stepDelimiter: /[a-j]$/, scoreStep: () => (++calls <= 3 ? Number.NEGATIVE_INFINITY : 0), max_retries: 2 },
      { maxNewTokens: 12, seed: 8 },
    );
    expect(result.stats.retries).toBe(1);
    expect(result.candidates.length).toBeGreaterThan(0);
    for (const c of result.candidates) {
      const lp = recomputedLogProbs(model, c.tokenIds);
      expect(c.meanLogProb).toBeCloseTo(lp.reduce((a, b) => a + b, 0) / lp.length, 4);
    }
    expect(result.stats.rowsComputed).toBe(rowPositions);
    expect(result.stats.rowsComputed).toBeGreaterThan(3 * (prompt.length + 11)); // the rolled-back positions count
  });

  it('guided search with the verifier-free scorer returns finished particles with weights', async () => {
    const model = new ToyModel({ sharpness: 3 });
    const result = await generateWith(
      model,
      prompt,
      { kind: 'guided', particles: 4, stepDelimiter: 4, scoreStep: 'verifier-free' },
      { maxNewTokens: 10, decode, extractAnswer },
    );
    expect(result.candidates.length).toBeGreaterThanOrEqual(4);
    for (const c of result.candidates) expect(c.lowestScore).toBeLessThanOrEqual(0);
    expect(result.answer).toBe(weightedVote(result.candidates).answer);
  });

  it('DeepConf stops traces below the warm-up threshold and restarts their rows within the budget', async () => {
    const model = new ToyModel({ sharpness: 2 });
    const events: SearchIteration[] = [];
    const budget = 4 * (prompt.length + 12) * 4;
    const { result, rowPositions } = await observed(
      model,
      { kind: 'deepconf', rows: 4, keep_percent: 50, window_tokens: 3, budget, consensus: 1, temperature: 1.3 },
      { maxNewTokens: 12, onIteration: (e) => events.push(e) },
    );
    const threshold = result.stats.threshold!;
    expect(threshold).toBeGreaterThan(0);
    expect(result.stats.tracesStopped).toBeGreaterThan(0);
    const waves = events.filter((e): e is Extract<SearchIteration, { kind: 'wave' }> => e.kind === 'wave');
    expect(waves.length).toBe(result.stats.rounds);
    expect(waves.length).toBeGreaterThan(2); // warm-up, then fresh traces in the rows of stopped ones
    // The threshold is the median (keep 50%) of the warm-up traces' lowest windows.
    const warm = waves[0]!.traces.map((t) => t.lowestConfidence).sort((a, b) => a - b);
    expect(threshold).toBeCloseTo((warm[1]! + warm[2]!) / 2, 6);
    for (const c of result.candidates) {
      if (c.finish === 'low-confidence') {
        expect(c.lowestScore!).toBeLessThan(threshold);
        expect(c.weight).toBe(0);
      } else if (c.weight > 0) {
        expect(c.lowestScore!).toBeGreaterThanOrEqual(threshold);
        expect(c.weight).toBe(c.lowestScore);
      }
    }
    expect(result.stats.rowsComputed).toBe(rowPositions);
    expect(result.stats.rowsComputed).toBeLessThanOrEqual(budget);
    expect(result.stats.activeRowPositions).toBeLessThan(result.stats.rowsComputed);
    expect(result.answer).toBe(weightedVote(result.candidates).answer);
  });

  it('abort returns what was committed, with stopReason aborted', async () => {
    const model = new ToyModel();
    const controller = new AbortController();
    const result = await generateWith(model, prompt, { kind: 'greedy' }, {
      maxNewTokens: 30,
      signal: controller.signal,
      onToken: (t) => t.index === 6 && controller.abort(),
    });
    expect(result.stopReason).toBe('aborted');
    expect(result.tokenIds).toEqual(model.greedy(prompt, 7));
    const pre = new AbortController();
    pre.abort();
    for (const strategy of [{ kind: 'self-consistency', n: 3 }, { kind: 'guided', particles: 3, stepDelimiter: 4, scoreStep: 'verifier-free' }, { kind: 'deepconf', rows: 2 }] as const) {
      const r = await generateWith(model, prompt, strategy, { signal: pre.signal, decode, extractAnswer });
      expect(r.stopReason).toBe('aborted');
      expect(r.stats.rowsComputed).toBe(0);
    }
    const mid = new AbortController();
    let steps = 0;
    const sc = await generateWith(model, prompt, { kind: 'self-consistency', n: 3 }, {
      signal: mid.signal,
      decode,
      extractAnswer,
      maxNewTokens: 30,
      onIteration: () => ++steps === 5 && mid.abort(),
    });
    expect(sc.stopReason).toBe('aborted');
    expect(sc.candidates.every((c) => c.tokenIds.length === 5 && c.finish === 'aborted')).toBe(true);
    // Mid-run aborts of guided search and DeepConf release every tensor and sequence.
    const backend = new ReferenceBackend();
    for (const strategy of [
      { kind: 'guided', particles: 3, stepDelimiter: 4, scoreStep: 'verifier-free' },
      { kind: 'deepconf', rows: 3 },
    ] as const) {
      const controller = new AbortController();
      let seen = 0;
      const r = await generateWith(
        model,
        prompt,
        strategy,
        { signal: controller.signal, decode, extractAnswer, maxNewTokens: 30, onIteration: () => ++seen === 7 && controller.abort() },
        { backend },
      );
      expect(r.stopReason).toBe('aborted');
      expect(r.stats.forwardSteps).toBe(7);
      expect(backend.liveTensors).toBe(0);
    }
    expect(model.liveSequences).toBe(0);
  });

  it('refuses bad strategies and options with ConfigErrors naming the field', async () => {
    const model = new ToyModel();
    const fieldOf = async (strategy: unknown, options: Record<string, unknown> = {}) => {
      try {
        await generateWith(model, prompt, strategy as StrategyInput, options);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).field;
      }
      throw new Error('accepted');
    };
    expect(await fieldOf({ kind: 'beam' })).toBe('kind');
    expect(await fieldOf({ kind: 'best-of-n', n: 0 })).toBe('n');
    expect(await fieldOf({ kind: 'best-of-n', n: 2, temprature: 0.5 })).toBe('temprature');
    await expect(fieldOf({ kind: 'best-of-n', n: 2, temprature: 0.5 })).resolves.toBe('temprature');
    expect(() => resolveStrategy({ kind: 'sampling', temprature: 1 })).toThrow(/did you mean "temperature"/);
    expect(await fieldOf({ kind: 'sampling', top_p: 1.5 })).toBe('topP');
    expect(await fieldOf({ kind: 'guided', particles: 4, scoreStep: 'verifier-free' })).toBe('stepDelimiter');
    expect(await fieldOf({ kind: 'guided', particles: 4, stepDelimiter: 3, scoreStep: 'prm' })).toBe('scoreStep');
    expect(await fieldOf({ kind: 'guided', particles: 4, stepDelimiter: ';', scoreStep: 'verifier-free' })).toBe('decode');
    expect(await fieldOf({ kind: 'deepconf', rows: 4, keepPercent: 0 })).toBe('keepPercent');
    expect(await fieldOf({ kind: 'deepconf', rows: 4, consensus: 0.3 })).toBe('consensus');
    expect(await fieldOf({ kind: 'self-consistency', n: 4 }, { decode })).toBe('extractAnswer');
    expect(await fieldOf({ kind: 'reasonflow', config: { branching: 'tree' } })).toBe('branching');
    expect(await fieldOf({ kind: 'greedy' }, { max_new_tokens: 0 })).toBe('maxNewTokens');
    expect(await fieldOf({ kind: 'greedy' }, { maxNewToken: 3 })).toBe('maxNewToken');
    // snake_case is accepted and mapped.
    expect(resolveStrategy({ kind: 'deepconf', rows: 2, warmup_traces: 4, confidence_top_k: 5 })).toEqual({
      kind: 'deepconf',
      rows: 2,
      warmupTraces: 4,
      confidenceTopK: 5,
    });
  });

  it('types the strategy inputs', () => {
    expectTypeOf<{ kind: 'best-of-n'; n: 4; top_k: 5 }>().toMatchTypeOf<StrategyInput>();
    expectTypeOf<{ kind: 'guided'; particles: 8; stepDelimiter: RegExp; scoreStep: 'verifier-free' }>().toMatchTypeOf<StrategyInput>();
    expectTypeOf<{ kind: 'deepconf'; rows: 8; keep_percent: 90 }>().toMatchTypeOf<StrategyInput>();
    expectTypeOf<{ kind: 'reasonflow'; config: { branching: 'ranked'; num_of_thinkers: 4 } }>().toMatchTypeOf<StrategyInput>();
    expectTypeOf<{ kind: 'best-of-n' }>().not.toMatchTypeOf<StrategyInput>(); // n is required
    expectTypeOf<{ kind: 'guided'; particles: 8; stepDelimiter: boolean; scoreStep: 'verifier-free' }>().not.toMatchTypeOf<StrategyInput>();
    expectTypeOf<{ kind: 'reasonflow'; config: { branching: 'tree' } }>().not.toMatchTypeOf<StrategyInput>();
    expectTypeOf<SearchResult['answer']>().toEqualTypeOf<string | null>();
    expectTypeOf(generateWith).returns.resolves.toEqualTypeOf<SearchResult>();
  });
});
