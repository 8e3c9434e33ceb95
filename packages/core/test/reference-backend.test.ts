import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ReferenceBackend,
} from '../src/index.js';
import {
  fusionWeights,
} from '../src/algorithms.js';
import { expNonPositive } from '../src/exp-table.js';

const backend = new ReferenceBackend();
const row = (values: number[]) => backend.fromHost(Float32Array.from(values), [1, values.length]);

describe('ReferenceBackend', () => {
  it('log-softmax is exact in log space, even for huge logits', () => {
    const t = row([1000, 1001, -1e30]);
    backend.logSoftmax(t);
    const lp = backend.toHost(t);
    expect(lp[0]).toBeCloseTo(-Math.log(1 + Math.E), 5);
    expect(lp[1]).toBeCloseTo(-Math.log(1 + Math.exp(-1)), 5);
    expect(lp[2]).toBeLessThan(-1e29); // tiny stays tiny: no NaN, no underflow to a wrong finite value
    backend.dispose(t);
  });

  it('top-k equals a full sort (property), ties broken by lower index', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 70 }),
        (values, k) => {
          const t = row(values);
          const { indices, values: top } = backend.topK(t, k);
          backend.dispose(t);
          const expected = values
            .map((v, i) => ({ v, i }))
            .sort((a, b) => b.v - a.v || a.i - b.i)
            .slice(0, Math.min(k, values.length));
          expect(Array.from(indices)).toEqual(expected.map((e) => e.i));
          expect(Array.from(top)).toEqual(expected.map((e) => e.v));
        },
      ),
    );
  });

  it('fused distributions sum to 1 within 1e-6 (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }).chain((rows) =>
          fc.tuple(
            fc.constant(rows),
            fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: rows * 50, maxLength: rows * 50 }),
            fc.uniqueArray(fc.integer({ min: 0, max: rows - 1 }), { minLength: 1, maxLength: rows }),
            fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: rows, maxLength: rows }),
          ),
        ),
        ([rows, logits, selected, combined]) => {
          const t = backend.fromHost(Float32Array.from(logits), [rows, 50]);
          backend.logSoftmax(t);
          const weights = fusionWeights(combined, selected);
          const out = new Float32Array(50);
          backend.mixLogProbs(t, Int32Array.from(selected), weights, out);
          backend.dispose(t);
          let sum = 0;
          for (const x of out) sum += Math.exp(x);
          expect(Math.abs(sum - 1)).toBeLessThanOrEqual(1e-6);
        },
      ),
    );
  });

  it('cosine similarity of probability rows matches the definition', () => {
    const p = [
      [0.5, 0.25, 0.25],
      [0.1, 0.1, 0.8],
    ];
    const t = backend.fromHost(Float32Array.from(p.flat().map(Math.log)), [2, 3]);
    const cos = backend.probabilityCosineSimilarity(t);
    backend.dispose(t);
    const dot = 0.5 * 0.1 + 0.25 * 0.1 + 0.25 * 0.8;
    const expected = dot / Math.sqrt((0.25 + 0.0625 * 2) * (0.01 + 0.01 + 0.64));
    expect(cos[1]).toBeCloseTo(expected, 6);
    expect(cos[2]).toBeCloseTo(expected, 6);
    expect(cos[0]).toBeCloseTo(1, 6);
  });

  it('cosine similarity over several column blocks equals the column-order Gram sums exactly', () => {
    const rows = 3;
    const cols = 5000; // not a multiple of the block width
    const logProbs = Float32Array.from({ length: rows * cols }, (_, i) => -Math.abs(Math.sin(i * 0.37)) * 12 - (i % 7));
    const t = backend.fromHost(logProbs.slice(), [rows, cols]);
    const cos = backend.probabilityCosineSimilarity(t);
    backend.dispose(t);
    const gram = (i: number, j: number) => {
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += expNonPositive(logProbs[i * cols + c]!) * expNonPositive(logProbs[j * cols + c]!);
      return sum;
    };
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < rows; j++) {
        expect(cos[i * rows + j]).toBe(Math.fround(gram(i, j) / Math.sqrt(gram(i, i) * gram(j, j))));
      }
    }
  });

  it('gather, setElements, shiftRows, argmax, logSumExp', () => {
    const t = backend.fromHost(Float32Array.from([1, 5, 2, 7, 0, 3]), [2, 3]);
    expect(Array.from(backend.gather(t, Int32Array.from([2, 0])))).toEqual([2, 7]);
    backend.setElements(t, Int32Array.from([1]), Int32Array.from([1]), Float32Array.from([9]));
    backend.shiftRows(t, Float32Array.from([1, 0]));
    expect(Array.from(backend.toHost(t))).toEqual([2, 6, 3, 7, 9, 3]);
    const am = backend.argmax(t);
    expect(Array.from(am.indices)).toEqual([1, 1]);
    const broadcast = backend.gatherRows(t, Int32Array.from([1, 1, 0]));
    expect(Array.from(backend.toHost(broadcast))).toEqual([7, 9, 3, 7, 9, 3, 2, 6, 3]);
    backend.dispose(broadcast);
    const greedy = backend.greedyLogProbs(t);
    expect(Array.from(greedy.indices)).toEqual([1, 1]);
    expect(greedy.values[1]).toBeCloseTo(9 - Math.log(Math.exp(7) + Math.exp(9) + Math.exp(3)), 5);
    expect(backend.logSumExp(t)[0]).toBeCloseTo(Math.log(Math.exp(2) + Math.exp(6) + Math.exp(3)), 5);
    backend.dispose(t);
  });

  it('Gumbel noise is seeded per row and leaves row 0 alone', () => {
    const make = () => backend.fromHost(new Float32Array(8), [2, 4]);
    const a = make();
    const b = make();
    backend.addGumbelNoise(a, Float32Array.from([0, 1]), Uint32Array.from([0, 42]));
    backend.addGumbelNoise(b, Float32Array.from([0, 1]), Uint32Array.from([0, 42]));
    const ha = backend.toHost(a);
    expect(Array.from(ha.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(ha)).toEqual(Array.from(backend.toHost(b)));
    expect(new Set(ha.subarray(4)).size).toBe(4);
    backend.dispose(a);
    backend.dispose(b);
  });

  it('Gumbel noise is gumbelQuantile(mixSeeds(seed, column)), the draw every backend reproduces', async () => {
    const { gumbelQuantile, mixSeeds } = await import('../src/random.js');
    // mixSeeds written out in full, so that a change to its hoisted form cannot change the noise.
    const mix32 = (x: number) => {
      x ^= x >>> 16;
      x = Math.imul(x, 0x7feb352d);
      x ^= x >>> 15;
      x = Math.imul(x, 0x846ca68b);
      x ^= x >>> 16;
      return x >>> 0;
    };
    const mixed = (a: number, b: number) =>
      mix32((mix32(((a >>> 0) ^ mix32(Math.floor(a / 2 ** 32) >>> 0)) >>> 0) ^ Math.imul(b >>> 0, 0x9e3779b9)) >>> 0);
    const seeds = [7, 2 ** 40 + 3];
    const t = backend.fromHost(new Float32Array(2 * 300), [2, 300]);
    backend.addGumbelNoise(t, Float32Array.from([0.5, 2]), Uint32Array.from(seeds.map((s) => s >>> 0)));
    const noisy = backend.toHost(t);
    backend.dispose(t);
    for (let c = 0; c < 300; c++) {
      expect(mixSeeds(seeds[1]!, c)).toBe(mixed(seeds[1]!, c));
      expect(noisy[c]).toBe(Math.fround(0.5 * gumbelQuantile(mixed(seeds[0]!, c))));
      expect(noisy[300 + c]).toBe(Math.fround(2 * gumbelQuantile(mixed(seeds[1]! >>> 0, c))));
    }
  });

  it('counts live tensors and rejects use after dispose', () => {
    const fresh = new ReferenceBackend();
    const t = fresh.fromHost(new Float32Array(4), [2, 2]);
    const c = fresh.clone(t);
    expect(fresh.liveTensors).toBe(2);
    fresh.dispose(t);
    fresh.dispose(t);
    expect(fresh.liveTensors).toBe(1);
    expect(() => fresh.argmax(t)).toThrow(/after dispose/);
    fresh.dispose(c);
    expect(fresh.liveTensors).toBe(0);
  });
});

describe('expNonPositive', () => {
  it('matches Math.exp to 1e-11 relative over the whole non-positive range', async () => {
    const { expNonPositive } = await import('../src/exp-table.js');
    let worst = 0;
    let largestBeyondRange = 0;
    for (let i = 0; i <= 200_000; i++) {
      const x = -i / 1900; // 0 … −105
      const approx = expNonPositive(x);
      if (x > -103) worst = Math.max(worst, Math.abs(approx / Math.exp(x) - 1));
      else largestBeyondRange = Math.max(largestBeyondRange, approx);
    }
    expect(worst).toBeLessThan(1e-11);
    expect(largestBeyondRange).toBeLessThan(1e-44);
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(expNonPositive(1e-7)).toBeCloseTo(Math.exp(1e-7), 15);
  });
});
