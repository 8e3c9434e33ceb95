import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
} from '../src/index.js';
import {
  acceptanceRate,
  adaptAcceptanceThreshold,
  fusionWeights,
  perturbedArgmaxPosition,
  perturbThinker,
  scheduleTemperatures,
  selectThinkers,
  uncertainty,
} from '../src/algorithms.js';

const base = DEFAULT_CONFIG; // temperatures [0.7, 1.3], min 0.5, max 1.5

describe('temperature schedule', () => {
  it('boosts by 1.2 during warm-up, capped at max', () => {
    const [low, high] = scheduleTemperatures(base, 0, undefined);
    expect(low).toBeCloseTo(0.84, 12);
    expect(high).toBe(1.5); // 1.56 capped
  });
  it('uses the base pair at iteration 3 with a healthy acceptance rate', () => {
    expect(scheduleTemperatures(base, 3, 0.5)).toEqual([0.7, 1.3]);
  });
  it('widens temperature i by (1 + 0.15 i) after low acceptance, clamped', () => {
    const [low, high] = scheduleTemperatures(base, 3, 0.2);
    expect(low).toBeCloseTo(0.7, 12);
    expect(high).toBeCloseTo(1.495, 12);
    const capped = scheduleTemperatures({ ...base, temperatures: [0.7, 1.4] }, 5, 0.1);
    expect(capped[1]).toBe(1.5); // 1.61 clamped
  });
  it('cools down by 0.9 after iteration 10, floored at min', () => {
    const [low, high] = scheduleTemperatures(base, 11, 0.5);
    expect(low).toBeCloseTo(0.63, 12);
    expect(high).toBeCloseTo(1.17, 12);
    expect(scheduleTemperatures({ ...base, temperatures: [0.52, 1] }, 11, 0.5)[0]).toBe(0.5);
    // iteration 10 itself is not yet cooled
    expect(scheduleTemperatures(base, 10, 0.5)).toEqual([0.7, 1.3]);
  });
  it('is the base pair when the schedule is off', () => {
    expect(scheduleTemperatures({ ...base, dynamicTemperature: false }, 0, 0)).toEqual([0.7, 1.3]);
  });
});

describe('acceptance threshold', () => {
  it('follows the original rules in order', () => {
    expect(adaptAcceptanceThreshold(base, 0, 0.9, 0.1)).toBe(0.5);
    expect(adaptAcceptanceThreshold(base, 1, undefined, undefined)).toBeCloseTo(0.4, 12);
    expect(adaptAcceptanceThreshold(base, 3, 0.8, 0.5)).toBeCloseTo(0.425, 12);
    expect(adaptAcceptanceThreshold(base, 3, 0.2, 0.5)).toBeCloseTo(0.6, 12);
    expect(adaptAcceptanceThreshold(base, 3, 0.5, 0.1)).toBeCloseTo(0.45, 12);
    expect(adaptAcceptanceThreshold(base, 3, 0.5, 0.5)).toBe(0.5);
  });
  it('clamps to [min, max]', () => {
    const c = { ...base, acceptanceThreshold: 0.35, minAcceptanceThreshold: 0.3, maxAcceptanceThreshold: 0.4 };
    expect(adaptAcceptanceThreshold(c, 1, undefined, undefined)).toBe(0.3); // 0.28 floored
    expect(adaptAcceptanceThreshold(c, 3, 0.1, 0.5)).toBe(0.4); // 0.42 capped
  });
});

describe('perturbation', () => {
  const logs = (ps: number[]) => ps.map(Math.log);
  it('swaps a and b when p[b]/p[a] exceeds the threshold', () => {
    const values = logs([0.4, 0.3, 0.1]);
    const indices = [7, 2, 5];
    const p = perturbThinker(1, values, indices, 0.5, 0.7, 1.3)!;
    expect(p.swapped).toBe(true);
    expect(p.columns).toEqual([7, 2]);
    expect(p.logValues[0]).toBeCloseTo(Math.log(0.3), 12);
    expect(p.logValues[1]).toBeCloseTo(Math.log(0.4), 12);
    expect(p.shift).toBe(0);
    expect(indices[perturbedArgmaxPosition(1, values, p)]).toBe(2);
  });
  it('scales p[a] by tLow and p[b] by tHigh and renormalises otherwise', () => {
    const values = logs([0.6, 0.25, 0.1]);
    const p = perturbThinker(2, values, [1, 2, 3], 0.5, 0.7, 1.3)!; // ratio 0.1/0.6 ≤ 0.5
    expect(p.swapped).toBe(false);
    const z = 1 - 0.6 - 0.1 + 0.6 * 0.7 + 0.1 * 1.3; // 0.85
    expect(Math.exp(p.logValues[0] + p.shift)).toBeCloseTo((0.6 * 0.7) / z, 12);
    expect(Math.exp(p.logValues[1] + p.shift)).toBeCloseTo((0.1 * 1.3) / z, 12);
    expect(Math.exp(values[1]! + p.shift)).toBeCloseTo(0.25 / z, 12);
    expect(perturbedArgmaxPosition(2, values, p)).toBe(0);
  });
  it('leaves a row without an (i+1)-th candidate alone', () => {
    expect(perturbThinker(3, logs([0.5, 0.5]), [0, 1], 0.5, 0.7, 1.3)).toBeUndefined();
  });
});

describe('uncertainty and acceptance rate', () => {
  it('clamps (p1/p2)/3 to [0, 1]', () => {
    // rows: ratio 1.5 → 0.5; ratio 6 → 1 (clamped); p2 = 0 → 1
    const u = uncertainty([Math.log(0.6), Math.log(0.6), 0], [Math.log(0.4), Math.log(0.1), Number.NEGATIVE_INFINITY]);
    expect(u).toBeCloseTo(1 - (0.5 + 1 + 1) / 3, 12);
  });
  it('counts selected rows above the threshold', () => {
    expect(acceptanceRate([0.9, 0.2, 0.6], [0, 2, 1], 0.5)).toBeCloseTo(2 / 3, 12);
  });
});

describe('selection', () => {
  it('with w = 0 ranks by min-max normalised quality alone', () => {
    const s = selectThinkers([-3, -1, -2], undefined, 0, 2);
    expect(Array.from(s.quality)).toEqual([0, 1, 0.5]);
    expect(Array.from(s.combined)).toEqual([0, 1, 0.5]);
    expect(Array.from(s.selected)).toEqual([1, 2]);
  });
  it('with w > 0 mixes in 1 − mean cosine similarity', () => {
    const cosine = [1, 0.9, 0.1, 0.9, 1, 0.3, 0.1, 0.3, 1];
    const s = selectThinkers([-1, -1.2, -3], cosine, 0.3, 2);
    const q = [1, 0.9, 0];
    const d = [1 - (0.9 + 0.1) / 2, 1 - (0.9 + 0.3) / 2, 1 - (0.1 + 0.3) / 2];
    for (let i = 0; i < 3; i++) expect(s.combined[i]).toBeCloseTo(0.7 * q[i]! + 0.3 * d[i]!, 12);
    expect(Array.from(s.selected)).toEqual([0, 1]);
  });
  it('uses quality alone below w = 0.001 and gives equal scores 0 quality', () => {
    const s = selectThinkers([-2, -2], [1, 0, 0, 1], 0.0005, 1);
    expect(Array.from(s.combined)).toEqual([0, 0]);
    expect(Array.from(s.selected)).toEqual([0]);
  });
});

describe('fusion weights', () => {
  it('are the softmax of the selected combined scores', () => {
    const w = fusionWeights([0.2, 0.9, 0.5], [1, 2]);
    const e1 = Math.exp(0.9);
    const e2 = Math.exp(0.5);
    expect(w[0]).toBeCloseTo(e1 / (e1 + e2), 6);
    expect(w[1]).toBeCloseTo(e2 / (e1 + e2), 6);
  });
});
