import { describe, expect, it } from 'vitest';
import {
  accuracy,
  argmaxAt,
  argmaxIndex,
  logProbOf,
  majorityVote,
  mean,
  median,
  medianOverhead,
  medianRatio,
  passAtN,
  ratio,
  signTestP,
} from '../src/stats.js';
import { shuffledOrder } from '../src/speed.js';

describe('median and ratios', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });
  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });
  it('computes ratios, NaN for a zero or non-finite baseline', () => {
    expect(ratio(6, 3)).toBe(2);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(1, Number.NaN)).toBeNaN();
  });
  it('pairs repetitions before taking the median', () => {
    // Per-rep ratios 2, 3, 1.5 → median 2 (not median(values)/median(baselines) = 6/3).
    expect(medianRatio([4, 9, 6], [2, 3, 4])).toBe(2);
    expect(medianOverhead([11, 12, 13], [10, 10, 10])).toBeCloseTo(0.2);
    expect(() => medianRatio([1], [1, 2])).toThrow(RangeError);
  });
  it('means', () => {
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(mean([])).toBeNaN();
  });
});

describe('accuracy, voting, pass@N', () => {
  it('accuracy is the fraction correct', () => {
    expect(accuracy([true, false, true, true])).toBe(0.75);
    expect(accuracy([])).toBeNaN();
  });
  it('majority vote skips nulls and breaks ties by first occurrence', () => {
    expect(majorityVote(['5', '7', '5'])).toBe('5');
    expect(majorityVote([null, '7', '5', '5', '7'])).toBe('7');
    expect(majorityVote(['a', 'b'])).toBe('a');
    expect(majorityVote([null, null])).toBeNull();
    expect(majorityVote([])).toBeNull();
  });
  it('pass@n looks at the first n samples only', () => {
    expect(passAtN([false, false, true], 2)).toBe(false);
    expect(passAtN([false, false, true], 3)).toBe(true);
    expect(passAtN([true], 4)).toBe(true);
    expect(() => passAtN([true], 0)).toThrow(RangeError);
  });
  it('argmaxIndex picks the first best and ignores NaN', () => {
    expect(argmaxIndex([-3, -1, -1, -2])).toBe(1);
    expect(argmaxIndex([Number.NaN, -5])).toBe(1);
    expect(argmaxIndex([])).toBe(-1);
  });
});

describe('log-probabilities', () => {
  it('logProbOf is log-softmax at the token', () => {
    const logits = Float32Array.from([0, 1, 2, 9, 1, 0]);
    const expected = 1 - Math.log(Math.exp(0) + Math.exp(1) + Math.exp(2));
    expect(logProbOf(logits, 0, 3, 1)).toBeCloseTo(expected, 6);
    const probs = [0, 1, 2].map((t) => Math.exp(logProbOf(logits, 3, 3, t)));
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
  it('argmaxAt reads a row at an offset', () => {
    expect(argmaxAt(Float32Array.from([5, 0, 1, 3, 1]), 1, 4)).toBe(2);
  });
});

describe('sign test', () => {
  it('matches exact binomial tails', () => {
    // 9 vs 4: 2 · (C(13,9)+…+C(13,13)) / 2^13 = 2 · 1093 / 8192.
    expect(signTestP(9, 4)).toBeCloseTo((2 * 1093) / 8192, 12);
    expect(signTestP(4, 9)).toBe(signTestP(9, 4));
    expect(signTestP(5, 5)).toBe(1);
    expect(signTestP(0, 0)).toBe(1);
    expect(signTestP(6, 0)).toBeCloseTo(2 / 64, 12);
    // Large n stays finite: 600 vs 400 is far from a coin.
    expect(signTestP(600, 400)).toBeLessThan(1e-9);
    expect(signTestP(600, 400)).toBeGreaterThan(0);
  });
});

describe('shuffledOrder (the speed section\'s per-repetition order)', () => {
  it('is a permutation, the same for the same seed, and varies who runs first and who precedes whom', () => {
    const orders = Array.from({ length: 9 }, (_, rep) => shuffledOrder(7, rep));
    for (const order of orders) expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(shuffledOrder(7, 3)).toEqual(orders[3]);
    expect(new Set(orders.map((o) => o[0])).size).toBeGreaterThan(2);
    // The configuration that runs before greedy (0) differs across repetitions.
    const beforeGreedy = orders.map((o) => o[o.indexOf(0) - 1] ?? -1);
    expect(new Set(beforeGreedy).size).toBeGreaterThan(2);
  });
});
