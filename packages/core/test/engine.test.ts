import { ToyModel } from '../src/testing/index.js';
import { describe, expect, it } from 'vitest';
import {
  type IterationReport,
  ReasonFlowEngine,
  ReferenceBackend,
  UnsupportedFeatureError,
  ContextLengthError,
  ConfigError,
  type ReasonFlowConfigInput,
} from '../src/index.js';

const prompt = [3, 17, 5];

function engine(config: ReasonFlowConfigInput, model = new ToyModel()) {
  const backend = new ReferenceBackend();
  return { engine: new ReasonFlowEngine(model, { config, backend }), backend, model };
}

describe('ReasonFlowEngine on the toy model', () => {
  it('N = 1, T = 1 equals plain greedy decoding token for token', async () => {
    const { engine: e, model } = engine({ numOfThinkers: 1, numOfThoughts: 1 });
    const result = await e.generate(prompt, { maxNewTokens: 40 });
    expect(result.tokenIds).toEqual(model.greedy(prompt, 40));
    expect(result.stopReason).toBe('max-new-tokens');
    expect(result.stats.forwardSteps).toBe(40); // prompt + 39 feeds: one forward per token
    expect(result.bestThinkersSummary).toEqual(Array.from({ length: 40 }, () => [0]));
  });

  it('the same seed gives the same output; another seed may differ', async () => {
    const config = { numOfThinkers: 4, numOfThoughts: 3, topkThinkers: 2 };
    const a = await engine(config).engine.generate(prompt, { maxNewTokens: 30 });
    const b = await engine(config).engine.generate(prompt, { maxNewTokens: 30 });
    expect(b.tokenIds).toEqual(a.tokenIds);
    expect(b.bestThinkersSummary).toEqual(a.bestThinkersSummary);
    const sampled = (seed: number) =>
      engine(config).engine.generate(prompt, { maxNewTokens: 30, doSample: true, samplingSeed: seed });
    expect((await sampled(1)).tokenIds).toEqual((await sampled(1)).tokenIds);
    expect((await sampled(1)).tokenIds).not.toEqual((await sampled(2)).tokenIds);
  });

  for (const variant of [
    { name: 'exact embedding noise', model: () => new ToyModel(), config: {} },
    { name: 'Gumbel substitute (ids only)', model: () => new ToyModel({ acceptsEmbeddings: false }), config: {} },
    { name: 'path acceptance', model: () => new ToyModel({ sharpness: 12 }), config: { pathAcceptance: true } },
    {
      name: 'path acceptance, narrowing when confident',
      model: () => new ToyModel({ sharpness: 12 }),
      config: { pathAcceptance: true, narrowWhenConfident: true },
    },
    { name: "the original's scoring and mean KV merge", model: () => new ToyModel(), config: { pathScoring: 'original' as const, kvMerge: 'mean' as const, topkThinkers: 3 } },
    { name: 'soft thoughts', model: () => new ToyModel(), config: { useTokens: false } },
  ]) {
    it(`keeps exactly the committed prefix in the cache after every iteration (${variant.name})`, async () => {
      const model = variant.model();
      const { engine: e } = engine({ numOfThinkers: 4, numOfThoughts: 4, ...variant.config }, model);
      const reports: IterationReport[] = [];
      const result = await e.generate(prompt, { maxNewTokens: 25, onIteration: (r) => reports.push(r) });
      let committed = 0;
      for (const [i, report] of reports.entries()) {
        committed += report.committed.length;
        const last = i === reports.length - 1;
        // Continuing iterations have fed their last token: cache = prompt + committed.
        if (!last) expect(report.cacheLength).toBe(prompt.length + committed);
        expect(report.selected.length).toBe(e.config.topkThinkers);
        expect(new Set(report.selected).size).toBe(report.selected.length);
        for (const s of report.selected) expect(s >= 0 && s < 4).toBe(true);
      }
      expect(committed).toBe(result.tokenIds.length);
      expect(result.bestThinkersSummary.length).toBe(reports.length);
      // The cache never grows past the committed prefix plus one iteration's lookahead (T − 1 = 3).
      for (const entry of model.forwardLog) {
        expect(entry.lengthBefore + entry.positions).toBeLessThanOrEqual(prompt.length + result.tokenIds.length + 3);
      }
      expect(model.liveSequences).toBe(0);
    });
  }

  it('step-0 distributions come from the committed prefix alone: no lookahead leaks into the cache', async () => {
    // noiseScale 0 keeps every row's cache equal to the clean committed prefix, so row 0's step-0
    // distribution must equal the model's logits computed from scratch on prompt + committed tokens.
    // The toy's logits depend on the last two positions, so a leaked lookahead position would show.
    const model = new ToyModel();
    const { engine: e } = engine({ numOfThinkers: 4, numOfThoughts: 4, noiseScale: 0, topkThinkers: 2 }, model);
    const reports: IterationReport[] = [];
    const result = await e.generate(prompt, { maxNewTokens: 20, onIteration: (r) => reports.push(r) });
    const prefix = [...prompt];
    for (const report of reports) {
      const states = model.embed(Int32Array.from(prefix));
      const logits = model.logitsAt(states, prefix.length - 1);
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((a, x) => a + Math.exp(x - max), 0));
      const greedy = logits.indexOf(max);
      expect(report.thinkers[0]!.pathTokens[0]).toBe(greedy);
      expect(report.thinkers[0]!.pathLogProbs[0]).toBeCloseTo(max - lse, 5);
      prefix.push(...report.committed);
    }
    expect(prefix.slice(prompt.length)).toEqual(result.tokenIds);
  });

  it('rolls lookahead back: the committed output is what the model computes on the committed prefix alone', async () => {
    // With N = 1 and path acceptance off, T is forced to 1; with T = 4 and one thinker plus
    // acceptance, every accepted token must still be the greedy continuation of the committed prefix.
    const model = new ToyModel({ sharpness: 12 });
    const { engine: e } = engine({ numOfThinkers: 1, numOfThoughts: 4, pathAcceptance: true }, model);
    const result = await e.generate(prompt, { maxNewTokens: 40 });
    expect(result.tokenIds).toEqual(model.greedy(prompt, 40));
  });

  it('path acceptance with N = 1 equals greedy with fewer iterations', async () => {
    const model = new ToyModel({ sharpness: 12 });
    const plain = await engine({ numOfThinkers: 1 }, model).engine.generate(prompt, { maxNewTokens: 40 });
    const accepted = await engine({ numOfThinkers: 1, numOfThoughts: 4, pathAcceptance: true }, model).engine.generate(prompt, {
      maxNewTokens: 40,
    });
    expect(accepted.tokenIds).toEqual(plain.tokenIds);
    expect(accepted.stats.iterations).toBeLessThan(plain.stats.iterations);
    expect(plain.stats.iterations).toBe(40);
    // Reusing the winner's lookahead keeps the model work at greedy's one forward per token.
    expect(accepted.stats.forwardSteps).toBeLessThanOrEqual(plain.stats.forwardSteps);
  });

  describe('narrowWhenConfident', () => {
    // Ids-only: the thinkers' noise lands on logits, so every row's cache is the clean committed prefix
    // and the lone row's tokens can be checked against plain greedy decoding of that prefix.
    const confident = Math.log(0.9);
    const run = async (narrowWhenConfident: boolean) => {
      const model = new ToyModel({ sharpness: 12, acceptsEmbeddings: false });
      const { engine: e } = engine({ numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true, narrowWhenConfident }, model);
      const reports: IterationReport[] = [];
      const result = await e.generate(prompt, { maxNewTokens: 60, onIteration: (r) => reports.push(r) });
      return { model, result, reports };
    };

    it('one row decodes while every token is confident; all thinkers return at the first unsure token', async () => {
      const { model, result, reports } = await run(true);
      const narrowed = reports.filter((r) => r.thinkers.length === 1);
      const wide = reports.filter((r) => r.thinkers.length === 4);
      expect(narrowed.length).toBeGreaterThan(0);
      expect(wide.length).toBeGreaterThan(1);
      expect(narrowed.length + wide.length).toBe(reports.length);
      let committed: number[] = [];
      for (const [i, report] of reports.entries()) {
        if (report.thinkers.length === 1) {
          // Narrowing follows a wide iteration whose thinkers agreed on a path it committed whole.
          const before = reports[i - 1]!;
          if (before.thinkers.length === 4) {
            const paths = new Set(before.thinkers.map((t) => t.pathTokens.join()));
            expect(paths.size).toBe(1);
            expect(before.committed.length).toBe(before.thinkers[0]!.pathTokens.length);
          }
          // The lone row commits only confident tokens, and exactly the greedy continuation of the prefix.
          for (const logProb of report.thinkers[0]!.pathLogProbs.slice(0, report.committed.length)) {
            expect(logProb).toBeGreaterThanOrEqual(confident);
          }
          expect(report.committed).toEqual(model.greedy([...prompt, ...committed], report.committed.length));
        } else if (i > 0 && reports[i - 1]!.thinkers.length === 1) {
          // Widened: the lone row's next token was unsure.
          const history = [...prompt, ...committed];
          const logits = model.logitsAt(model.embed(Int32Array.from(history)), history.length - 1);
          const max = Math.max(...logits);
          const logSumExp = max + Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0));
          expect(max - logSumExp).toBeLessThan(confident);
        }
        committed = [...committed, ...report.committed];
      }
      expect(committed).toEqual(result.tokenIds);
      expect(model.liveSequences).toBe(0);
    });

    it('computes fewer rows than path acceptance alone', async () => {
      const narrow = await run(true);
      const plain = await run(false);
      expect(narrow.result.tokenIds.length).toBe(60);
      expect(narrow.result.stats.rowsComputed).toBeLessThan(0.9 * plain.result.stats.rowsComputed);
      // Rows of every forward pass: 4 while wide, 1 while narrowed.
      expect(new Set(narrow.model.forwardLog.map((f) => f.rows))).toEqual(new Set([1, 4]));
    });

    it('needs path acceptance', () => {
      expect(() => engine({ numOfThinkers: 4, narrowWhenConfident: true })).toThrow(ConfigError);
      expect(() => engine({ numOfThinkers: 4, narrowWhenConfident: true })).toThrow(/narrowWhenConfident.*pathAcceptance/s);
    });
  });

  it('stops at EOS and includes it', async () => {
    const model = new ToyModel();
    const greedy = model.greedy(prompt, 30);
    const eos = greedy[7]!;
    const firstEos = greedy.indexOf(eos);
    const result = await engine({ numOfThinkers: 1 }, model).engine.generate(prompt, { maxNewTokens: 30, eosTokenIds: [eos] });
    expect(result.stopReason).toBe('eos');
    expect(result.tokenIds).toEqual(greedy.slice(0, firstEos + 1));
  });

  it('stops at the context limit with stopReason max-length', async () => {
    const model = new ToyModel({ maxSequenceLength: 12 });
    const result = await engine({ numOfThinkers: 3, numOfThoughts: 4 }, model).engine.generate(prompt, { maxNewTokens: 50 });
    expect(result.stopReason).toBe('max-length');
    expect(result.tokenIds.length).toBe(12 - prompt.length);
    for (const entry of model.forwardLog) expect(entry.lengthBefore + entry.positions).toBeLessThanOrEqual(12);
  });

  it('abort returns a prefix of the un-aborted output and leaves zero live tensors', async () => {
    const config = { numOfThinkers: 4, numOfThoughts: 3 };
    const full = await engine(config).engine.generate(prompt, { maxNewTokens: 30 });
    for (const abortAfter of [0, 1, 5, 13]) {
      const { engine: e, backend, model } = engine(config);
      const controller = new AbortController();
      if (abortAfter === 0) controller.abort();
      const result = await e.generate(prompt, {
        maxNewTokens: 30,
        signal: controller.signal,
        onToken: (t) => {
          if (t.index + 1 === abortAfter) controller.abort();
        },
      });
      expect(result.stopReason).toBe('aborted');
      expect(result.tokenIds).toEqual(full.tokenIds.slice(0, abortAfter));
      expect(backend.liveTensors).toBe(0);
      expect(model.liveSequences).toBe(0);
    }
  });

  it('streams committed tokens as an async iterator, and breaking out releases everything', async () => {
    const { engine: e, backend, model } = engine({ numOfThinkers: 2, numOfThoughts: 2 });
    const full = await e.generate(prompt, { maxNewTokens: 20 });
    const streamed: number[] = [];
    const iterator = e.stream(prompt, { maxNewTokens: 20 });
    let step = await iterator.next();
    while (!step.done) {
      streamed.push(step.value.tokenId);
      step = await iterator.next();
    }
    expect(streamed).toEqual(full.tokenIds);
    expect(step.value.tokenIds).toEqual(full.tokenIds);
    const partial: number[] = [];
    for await (const token of e.stream(prompt, { maxNewTokens: 20 })) {
      partial.push(token.tokenId);
      if (partial.length === 5) break;
    }
    expect(partial).toEqual(full.tokenIds.slice(0, 5));
    expect(backend.liveTensors).toBe(0);
    expect(model.liveSequences).toBe(0);
  });

  it('reports stats that add up', async () => {
    const { engine: e } = engine({ numOfThinkers: 4, numOfThoughts: 3 });
    const r = await e.generate(prompt, { maxNewTokens: 10 });
    expect(r.stats.iterations).toBe(10);
    expect(r.stats.tokensCommitted).toBe(10);
    // prompt once, then per iteration 2 lookahead steps, plus a feed for all but the last iteration
    expect(r.stats.forwardSteps).toBe(1 + 10 * 2 + 9);
    expect(r.stats.rowsComputed).toBe(4 * prompt.length + 4 * (10 * 2 + 9));
    expect(r.stats.modelTimeMs + r.stats.engineTimeMs).toBeCloseTo(r.stats.totalTimeMs, 6);
  });

  it('rejects bad input with typed errors and leaks nothing', async () => {
    const model = new ToyModel({ maxSequenceLength: 8, acceptsEmbeddings: false });
    expect(() => new ReasonFlowEngine(model, { config: { useTokens: false } })).toThrow(UnsupportedFeatureError);
    const { engine: e, backend } = engine({ numOfThinkers: 2 }, model);
    await expect(e.generate(Array.from({ length: 8 }, () => 1))).rejects.toThrow(ContextLengthError);
    await expect(e.generate([])).rejects.toThrow(ConfigError);
    await expect(e.generate([999])).rejects.toThrow(/promptIds/);
    await expect(e.generate(prompt, { maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens/);
    await expect(e.generate(prompt, { topP: 2 })).rejects.toThrow(/topP/);
    expect(backend.liveTensors).toBe(0);
    expect(model.liveSequences).toBe(0);
  });
});
