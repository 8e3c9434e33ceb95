import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DecoderPathSource,
  generateOverPaths,
  type IterationReport,
  isCertified,
  type PathSource,
  ReasonFlowEngine,
  type ReasonFlowConfigInput,
  topKColumns,
  UnsupportedFeatureError,
} from '../src/index.js';
import { ToyModel } from '../src/testing/index.js';

const prompt = [3, 1, 4, 1, 5];

/** Token ids only: the local engine then uses the Gumbel substitute for embedding noise, like a path source. */
function toy(vocabSize = 16): ToyModel {
  return new ToyModel({ vocabSize, acceptsEmbeddings: false, sharpness: 1.5, seed: 23 });
}

const settings: [string, ReasonFlowConfigInput][] = [
  ['greedy (N=1)', { numOfThinkers: 1 }],
  ['ReasonFlow N=4 T=4 K=1', { numOfThinkers: 4, numOfThoughts: 4 }],
  ['ReasonFlow N=4 T=4 K=2', { numOfThinkers: 4, numOfThoughts: 4, topkThinkers: 2 }],
  ['ReasonFlow N=3 T=3 with path acceptance', { numOfThinkers: 3, numOfThoughts: 3, pathAcceptance: true, pathAcceptanceLogProb: -0.7 }],
  ['ReasonFlow N=4 T=1', { numOfThinkers: 4, numOfThoughts: 1 }],
];

describe('generateOverPaths over a local DecoderPathSource', () => {
  for (const [name, config] of settings) {
    it(`commits the local engine's tokens: ${name}`, async () => {
      const model = toy();
      const local = await new ReasonFlowEngine(model, { config }).generate(prompt, { maxNewTokens: 24 });
      const overPaths = await generateOverPaths(new DecoderPathSource(model), prompt, { maxNewTokens: 24 }, { config, topLogProbs: 16 });
      expect(overPaths.tokenIds).toEqual(local.tokenIds);
      // The search must matter on this model, or equal tokens would prove little.
      if (name.includes('T=4')) expect(local.tokenIds).not.toEqual(model.greedy(prompt, 24));
      expect(overPaths.bestThinkersSummary).toEqual(local.bestThinkersSummary);
      expect(overPaths.stats.uncertifiedDecisions).toBe(0);
      expect(overPaths.stats.decisions).toBe(overPaths.stats.iterations);
      // One round trip per iteration, plus one whenever the fused token left every thinker's path.
      expect(overPaths.stats.roundTrips).toBeGreaterThanOrEqual(overPaths.stats.iterations);
      expect(overPaths.stats.roundTrips).toBeLessThanOrEqual(2 * overPaths.stats.iterations);
      expect(model.liveSequences).toBe(0);
    });
  }

  it('greedy costs exactly one round trip per token', async () => {
    const model = toy();
    const result = await generateOverPaths(new DecoderPathSource(model), prompt, { maxNewTokens: 10 }, { topLogProbs: 4 });
    expect(result.tokenIds).toEqual(model.greedy(prompt, 10));
    expect(result.stats.roundTrips).toBe(10);
  });

  it('counts decisions a small top-k cannot certify, and certifies the rest', async () => {
    const model = new ToyModel({ vocabSize: 64, acceptsEmbeddings: false, sharpness: 1 });
    const config = { numOfThinkers: 4, numOfThoughts: 3, topkThinkers: 2 };
    const wide = await generateOverPaths(new DecoderPathSource(model), prompt, { maxNewTokens: 12 }, { config, topLogProbs: 64 });
    const narrow = await generateOverPaths(new DecoderPathSource(model), prompt, { maxNewTokens: 12 }, { config, topLogProbs: 4 });
    expect(wide.stats.uncertifiedDecisions).toBe(0);
    // A flat model (sharpness 1) over 64 tokens leaves most of the mass outside a top-4.
    expect(narrow.stats.uncertifiedDecisions).toBeGreaterThan(0);
    expect(narrow.stats.uncertifiedDecisions).toBeLessThanOrEqual(narrow.stats.decisions);
  });

  it('narrowWhenConfident: the local engine\'s tokens and widths, one row per request while narrowed', async () => {
    // A confident ids-only model, so thinkers agree and narrowing happens.
    const model = new ToyModel({ acceptsEmbeddings: false, sharpness: 12 });
    const config = { numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true, narrowWhenConfident: true };
    const localReports: IterationReport[] = [];
    const local = await new ReasonFlowEngine(model, { config }).generate(prompt, { maxNewTokens: 60, onIteration: (r) => localReports.push(r) });
    const requests: number[] = [];
    const inner = new DecoderPathSource(model);
    const source: PathSource = {
      name: inner.name,
      vocabSize: inner.vocabSize,
      maxSequenceLength: inner.maxSequenceLength,
      maxTopLogProbs: inner.maxTopLogProbs,
      eosTokenIds: inner.eosTokenIds,
      extend: (history, rows, options) => {
        requests.push(rows.length);
        return inner.extend(history, rows, options);
      },
    };
    const reports: IterationReport[] = [];
    // The rows of each extend call, grouped by the iteration that made them.
    const perIteration: number[][] = [];
    const onIteration = (r: IterationReport) => {
      reports.push(r);
      perIteration.push(requests.splice(0));
    };
    const overPaths = await generateOverPaths(source, prompt, { maxNewTokens: 60, onIteration }, { config, topLogProbs: 48 });
    expect(overPaths.tokenIds).toEqual(local.tokenIds);
    expect(overPaths.bestThinkersSummary).toEqual(local.bestThinkersSummary);
    const widths = reports.map((r) => r.thinkers.length);
    expect(widths).toEqual(localReports.map((r) => r.thinkers.length));
    // Narrowed, and widened again at an unsure token.
    expect(widths.join('')).toMatch(/41+4/);
    widths.forEach((width, i) => {
      // A narrowed iteration is one request for one row; a widened one asks for the N thinkers only
      // (the unsure token's distribution came back with the lone row's path).
      if (width === 1) expect(perIteration[i]).toEqual([1]);
      else if (i > 0 && widths[i - 1] === 1) expect(perIteration[i]).toEqual([4]);
    });
    // A narrowed iteration commits only confident tokens (its step-0 token included).
    for (const r of reports.filter((x) => x.thinkers.length === 1)) {
      for (const logProb of r.thinkers[0]!.pathLogProbs.slice(0, r.committed.length)) expect(logProb).toBeGreaterThanOrEqual(Math.log(0.9));
    }
    const plain = await generateOverPaths(new DecoderPathSource(model), prompt, { maxNewTokens: 60 }, {
      config: { ...config, narrowWhenConfident: false },
      topLogProbs: 48,
    });
    expect(plain.tokenIds.length).toBe(60);
    expect(overPaths.stats.rowsRequested).toBeLessThan(plain.stats.rowsRequested);
    expect(model.liveSequences).toBe(0);
  });

  it('refuses what a path source cannot express, with typed errors', async () => {
    const source = new DecoderPathSource(toy());
    await expect(generateOverPaths(source, prompt, {}, { config: { useTokens: false } })).rejects.toBeInstanceOf(UnsupportedFeatureError);
    await expect(
      generateOverPaths(source, prompt, {}, { config: { numOfThinkers: 2, topkThinkers: 2, kvMerge: 'mean' } }),
    ).rejects.toBeInstanceOf(UnsupportedFeatureError);
    await expect(generateOverPaths(source, prompt, {}, { config: { branching: 'ranked', numOfThinkers: 2 } })).rejects.toBeInstanceOf(
      UnsupportedFeatureError,
    );
    await expect(generateOverPaths(source, prompt, {}, { config: { numOfThinkers: 4 }, topLogProbs: 3 })).rejects.toBeInstanceOf(ConfigError);
    await expect(generateOverPaths(source, [99], {})).rejects.toBeInstanceOf(ConfigError);
  });

  it('stops with what was committed when aborted', async () => {
    const controller = new AbortController();
    const result = await generateOverPaths(new DecoderPathSource(toy()), prompt, {
      maxNewTokens: 50,
      onToken: ({ index }) => index === 2 && controller.abort(),
      signal: controller.signal,
    });
    expect(result.stopReason).toBe('aborted');
    expect(result.tokenIds).toHaveLength(3);
  });
});

describe('top-k columns and certification', () => {
  it('lays out seen ids ascending with a tail column for the unseen mass', () => {
    const columns = topKColumns({ ids: [7, 2], logProbs: [Math.log(0.5), Math.log(0.3)] }, 10);
    expect(Array.from(columns.ids)).toEqual([2, 7]);
    expect(columns.hasTail).toBe(true);
    expect(Math.exp(columns.tailLogProb)).toBeCloseTo(0.2, 6);
    const full = topKColumns({ ids: [1, 0], logProbs: [Math.log(0.6), Math.log(0.4)] }, 2);
    expect(full.hasTail).toBe(false);
    expect(full.width).toBe(2);
  });

  it('certifies only when the whole tail on one token would still lose', () => {
    expect(isCertified(Math.log(0.5), Math.log(0.2))).toBe(true);
    expect(isCertified(Math.log(0.3), Math.log(0.35))).toBe(false);
    expect(isCertified(Math.log(0.01), Number.NEGATIVE_INFINITY)).toBe(true);
    // With temperature 0.5 both scores double; the bound follows.
    expect(isCertified((2 * Math.log(0.5)), Math.log(0.2), 0.5)).toBe(true);
  });
});
