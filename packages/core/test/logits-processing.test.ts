import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LogitsProcessorChain,
} from '../src/index.js';
import {
  applyMinP,
  applyRepetitionPenalty,
  applyTopK,
  applyTopP,
  argmaxOf,
  kthLargest,
  sampleFromScores,
  SeededRandom,
  StopChecker,
} from '../src/algorithms.js';

const lp = (ps: number[]) => Float32Array.from(ps.map(Math.log));

describe('logits processors', () => {
  it('top-k keeps the k best', () => {
    const s = Float32Array.from([0.1, 3, 2, -1, 5]);
    applyTopK(s, 2, new Float32Array(5));
    expect(Array.from(s).map((x) => x > Number.NEGATIVE_INFINITY)).toEqual([false, true, false, false, true]);
  });
  it('top-p keeps the smallest nucleus with mass ≥ p', () => {
    const s = lp([0.05, 0.5, 0.3, 0.15]);
    applyTopP(s, 0.75, new Float32Array(4), new Int32Array(4));
    expect(Array.from(s).map((x) => x > Number.NEGATIVE_INFINITY)).toEqual([false, true, true, false]);
  });
  it('top-p matches a full sort on large vocabularies (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 100, maxLength: 400 }), fc.double({ min: 0.05, max: 0.99, noNaN: true }), (values, p) => {
        const s = Float32Array.from(values);
        applyTopP(s, p, new Float32Array(s.length), new Int32Array(s.length));
        const f32 = Float32Array.from(values);
        const max = Math.max(...f32);
        const total = f32.reduce((a, x) => a + Math.exp(x - max), 0);
        const sorted = [...f32].sort((a, b) => b - a);
        let cum = 0;
        let cutoff = sorted[0]!;
        for (const x of sorted) {
          cum += Math.exp(x - max);
          cutoff = x;
          if (cum >= p * total) break;
        }
        f32.forEach((x, i) => {
          expect(s[i]! > Number.NEGATIVE_INFINITY).toBe(x >= cutoff);
        });
      }),
      { numRuns: 100 },
    );
  });
  it('min-p drops tokens below minP × max probability', () => {
    const s = lp([0.6, 0.1, 0.3]);
    applyMinP(s, 0.2);
    expect(Array.from(s).map((x) => x > Number.NEGATIVE_INFINITY)).toEqual([true, false, true]);
  });
  it("repetition penalty follows Hugging Face's sign rule, once per token", () => {
    const s = Float32Array.from([2, -2, 1]);
    applyRepetitionPenalty(s, [0, 1, 1], 2);
    expect(Array.from(s)).toEqual([1, -4, 1]);
  });
  it('kthLargest is a quick-select', () => {
    const v = Float32Array.from([5, 1, 4, 2, 3]);
    expect(kthLargest(v, 1, new Float32Array(5))).toBe(5);
    expect(kthLargest(v, 3, new Float32Array(5))).toBe(3);
    expect(kthLargest(v, 5, new Float32Array(5))).toBe(1);
  });
  it('the chain is identity by default', () => {
    expect(new LogitsProcessorChain(4, {}).isIdentity).toBe(true);
    expect(new LogitsProcessorChain(4, { topP: 0.9 }).isIdentity).toBe(false);
  });
});

describe('sampling', () => {
  it('argmax keeps the lowest index among ties', () => {
    expect(argmaxOf([1, 3, 3])).toBe(1);
  });
  it('seeded sampling follows the distribution and never draws masked tokens', () => {
    const scores = lp([0.2, 0.5, 0.3, 0]);
    const rng = new SeededRandom(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[sampleFromScores(scores, rng.next())]!++;
    expect(counts[3]).toBe(0);
    expect(counts[0]! / 20000).toBeCloseTo(0.2, 1);
    expect(counts[1]! / 20000).toBeCloseTo(0.5, 1);
    const again = new SeededRandom(1);
    expect(sampleFromScores(scores, again.next())).toBe(sampleFromScores(scores, new SeededRandom(1).next()));
  });
});

describe('stop conditions', () => {
  it('stops on EOS, budget and stop strings', () => {
    const decode = (ids: readonly number[]) => ids.map((i) => String.fromCharCode(97 + i)).join('');
    const s = new StopChecker({ eosTokenIds: [9], maxNewTokens: 5, stopStrings: ['cd'], decode });
    expect(s.check([0, 1])).toBeUndefined();
    expect(s.check([0, 9])).toBe('eos');
    expect(s.check([0, 2, 3])).toBe('stop-string');
    expect(s.check([0, 0, 0, 0, 0])).toBe('max-new-tokens');
  });
});
