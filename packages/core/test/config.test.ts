import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, type ReasonFlowConfig, resolveConfig, SNAKE_CASE_FIELDS } from '../src/index.js';

describe('resolveConfig', () => {
  it('returns the original defaults', () => {
    const c = resolveConfig();
    expect(c).toMatchObject({
      numOfThinkers: 1,
      numOfThoughts: 3,
      topkThinkers: 1,
      acceptanceThreshold: 0.5,
      temperatures: [0.7, 1.3],
      diversityWeight: 0.3,
      minTemperature: 0.5,
      maxTemperature: 1.5,
      dynamicTemperature: true,
      uncertaintyThreshold: 0.7,
      minAcceptanceThreshold: 0.3,
      maxAcceptanceThreshold: 0.8,
      useTokens: true,
      noiseScale: 1,
      seed: 3407,
      pathScoring: 'log-likelihood',
      kvMerge: 'best-row',
      pathAcceptance: false,
    });
  });

  it("accepts the original's snake_case JSON", () => {
    const python = { num_of_thinkers: 2, num_of_thoughts: 4, topk_thinkers: 1, dynamic_temperature: true, diversity_weight: 0.3, uncertainty_threshold: 0.7 };
    const c = resolveConfig(python);
    expect(c.numOfThinkers).toBe(2);
    expect(c.numOfThoughts).toBe(4);
    expect(Object.keys(SNAKE_CASE_FIELDS).length).toBe(Object.keys(DEFAULT_CONFIG).length);
  });

  it('rejects unknown fields and double spellings', () => {
    expect(() => resolveConfig({ num_thinkers: 2 } as never)).toThrow(/"num_thinkers"/);
    expect(() => resolveConfig({ numOfThinkers: 2, num_of_thinkers: 3 })).toThrow(ConfigError);
  });

  it('names the field, value and range', () => {
    try {
      resolveConfig({ numOfThinkers: 2, topkThinkers: 3 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const err = e as ConfigError;
      expect(err.field).toBe('topkThinkers');
      expect(err.value).toBe(3);
      expect(err.message).toContain('[1, numOfThinkers=2]');
    }
    expect(() => resolveConfig({ acceptanceThreshold: 0.9 })).toThrow(/"acceptanceThreshold".*≤ 0.8/);
    expect(() => resolveConfig({ minTemperature: 2 })).toThrow(/minTemperature/);
    expect(() => resolveConfig({ temperatures: [1.3, 0.7] })).toThrow(/temperatures/);
  });

  // Every field with values outside its allowed range: each must be rejected, naming the field.
  const invalid: { [K in keyof ReasonFlowConfig]: fc.Arbitrary<unknown> } = {
    numOfThinkers: fc.oneof(fc.integer({ max: 0 }), fc.double({ min: 1.01, max: 9.99, noInteger: true })),
    numOfThoughts: fc.oneof(fc.integer({ max: 0 }), fc.constant(Number.NaN), fc.constant('3')),
    topkThinkers: fc.oneof(fc.integer({ min: 2, max: 100 }), fc.integer({ max: 0 })), // > numOfThinkers=1
    acceptanceThreshold: fc.oneof(fc.double({ min: 0.8001, max: 10, noNaN: true }), fc.double({ max: 0.2999, noNaN: true })),
    temperatures: fc.oneof(fc.constant([0.7]), fc.constant([0, 1]), fc.constant([1.3, 0.7]), fc.constant([Number.POSITIVE_INFINITY, 1])),
    diversityWeight: fc.oneof(fc.double({ min: 1.0001, max: 1e6, noNaN: true }), fc.double({ max: -1e-9, noNaN: true }), fc.constant(Number.NaN)),
    minTemperature: fc.oneof(fc.double({ max: 0, noNaN: true }), fc.double({ min: 1.5001, max: 100, noNaN: true })),
    maxTemperature: fc.oneof(fc.double({ max: 0, noNaN: true }), fc.double({ min: 0.001, max: 0.4999, noNaN: true })),
    dynamicTemperature: fc.oneof(fc.constant(1), fc.constant('true')),
    uncertaintyThreshold: fc.oneof(fc.double({ min: 1.0001, max: 10, noNaN: true }), fc.double({ max: -0.0001, noNaN: true })),
    minAcceptanceThreshold: fc.oneof(fc.double({ min: 0.5001, max: 0.8, noNaN: true }), fc.double({ max: -0.0001, noNaN: true })),
    maxAcceptanceThreshold: fc.oneof(fc.double({ min: 0, max: 0.4999, noNaN: true }), fc.double({ min: 1.0001, max: 5, noNaN: true })),
    useTokens: fc.constant('yes'),
    noiseScale: fc.oneof(fc.double({ max: -1e-9, noNaN: true }), fc.constant(Number.POSITIVE_INFINITY)),
    seed: fc.oneof(fc.double({ min: 0.1, max: 0.9 }), fc.constant(2 ** 60)),
    pathScoring: fc.string().filter((s) => s !== 'log-likelihood' && s !== 'original'),
    kvMerge: fc.string().filter((s) => s !== 'best-row' && s !== 'mean'),
    pathAcceptance: fc.constant(0),
    pathAcceptanceLogProb: fc.oneof(fc.double({ min: 1e-6, max: 5, noNaN: true }), fc.constant(Number.NEGATIVE_INFINITY)),
    narrowWhenConfident: fc.oneof(fc.constant('yes'), fc.constant(true)), // true: pathAcceptance is off by default
    softThoughtTopK: fc.oneof(fc.integer({ max: 0 }), fc.constant(2.5)),
    branching: fc.string().filter((s) => s !== 'none' && s !== 'ranked' && s !== 'sampled'),
  };

  it('rejects every out-of-range field with an error naming it (property)', () => {
    const fields = Object.keys(invalid) as (keyof ReasonFlowConfig)[];
    fc.assert(
      fc.property(fc.constantFrom(...fields).chain((field) => fc.tuple(fc.constant(field), invalid[field])), ([field, value]) => {
        let error: unknown;
        try {
          resolveConfig({ [field]: value });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).field).toBe(field);
        expect((error as ConfigError).message).toContain(`"${field}"`);
      }),
      { numRuns: 400 },
    );
  });
});
