import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultTensorBackend, ReasonFlowEngine, ReferenceBackend, SimdBackend } from '../src/index.js';
import { ToyModel } from '../src/testing/index.js';

const simd = new SimdBackend();
const reference = new ReferenceBackend();
const FLOAT32_ULP = 2 ** -23;

/** Within `ulps` float32 ulps of the reference value (relative to max(1, |value|)). */
function expectNear(actual: ArrayLike<number>, expected: ArrayLike<number>, ulps: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (!Number.isFinite(e)) expect(a).toBe(e);
    else expect(Math.abs(a - e)).toBeLessThanOrEqual(ulps * FLOAT32_ULP * Math.max(1, Math.abs(e)));
  }
}

function onBoth<T>(values: Float32Array, dims: [number, number], op: (b: ReferenceBackend, t: ReturnType<ReferenceBackend['fromHost']>) => T): [T, T] {
  const run = (b: ReferenceBackend) => {
    const t = b.fromHost(values.slice(), dims);
    try {
      return op(b, t);
    } finally {
      b.dispose(t);
    }
  };
  return [run(simd), run(reference)];
}

/** Rows of logits with every remainder mod 4 (the kernels' scalar tails), ties and masked (−∞) entries. */
const logitRows = fc
  .record({ rows: fc.integer({ min: 1, max: 4 }), cols: fc.integer({ min: 1, max: 70 }) })
  .chain(({ rows, cols }) =>
    fc.tuple(
      fc.constant<[number, number]>([rows, cols]),
      fc.array(
        fc.oneof(
          { weight: 8, arbitrary: fc.double({ min: -40, max: 40, noNaN: true }) },
          { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) },
          { weight: 1, arbitrary: fc.constant(Number.NEGATIVE_INFINITY) },
        ),
        { minLength: rows * cols, maxLength: rows * cols },
      ),
    ),
  );

describe('SimdBackend', () => {
  it('is the default backend here (Node has WebAssembly SIMD)', () => {
    expect(SimdBackend.isSupported()).toBe(true);
    expect(defaultTensorBackend().name).toBe('wasm-simd');
    expect(new ReasonFlowEngine(new ToyModel()).backend.name).toBe('wasm-simd');
  });

  it('greedy log-probabilities: the same argmax as the reference, values within 4 float32 ulps (property)', () => {
    fc.assert(
      fc.property(logitRows, ([dims, values]) => {
        const [a, b] = onBoth(Float32Array.from(values), dims, (backend, t) => backend.greedyLogProbs(t));
        expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
        expectNear(a.values, b.values, 4);
      }),
    );
  });

  it('log-softmax and log-sum-exp within 4 float32 ulps of the reference (property)', () => {
    fc.assert(
      fc.property(logitRows, ([dims, values]) => {
        const [a, b] = onBoth(Float32Array.from(values), dims, (backend, t) => {
          const lse = backend.logSumExp(t);
          backend.logSoftmax(t);
          return { lse, logProbs: backend.toHost(t) };
        });
        expectNear(a.lse, b.lse, 4);
        expectNear(a.logProbs, b.logProbs, 4);
      }),
    );
  });

  it('top-k equals the reference exactly, ties and −∞ included (property)', () => {
    fc.assert(
      fc.property(logitRows, fc.integer({ min: 1, max: 80 }), ([dims, values], k) => {
        const [a, b] = onBoth(Float32Array.from(values), dims, (backend, t) => backend.topK(t, k));
        expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
        expect(Array.from(a.values)).toEqual(Array.from(b.values));
      }),
    );
  });

  it('Gumbel noise equals the reference draw exactly (property)', () => {
    fc.assert(
      fc.property(
        logitRows,
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        ([dims, values], seed, scale) => {
          const scales = Float32Array.from({ length: dims[0] }, (_, r) => (r === 0 ? 0 : scale * r));
          const seeds = Uint32Array.from({ length: dims[0] }, (_, r) => (seed + r * 7919) >>> 0);
          const [a, b] = onBoth(Float32Array.from(values), dims, (backend, t) => {
            backend.addGumbelNoise(t, scales, seeds);
            return backend.toHost(t);
          });
          expect(Array.from(a)).toEqual(Array.from(b));
        },
      ),
    );
  });

  it('row shifts round exactly as the reference does (property)', () => {
    fc.assert(
      fc.property(logitRows, fc.double({ min: -5, max: 5, noNaN: true }), ([dims, values], shift) => {
        const shifts = Float32Array.from({ length: dims[0] }, (_, r) => (r % 2 === 0 ? shift : 0));
        const [a, b] = onBoth(Float32Array.from(values), dims, (backend, t) => {
          backend.shiftRows(t, shifts);
          return backend.toHost(t);
        });
        expect(Array.from(a)).toEqual(Array.from(b));
      }),
    );
  });

  it('mixture of distributions (fusion) within 4 float32 ulps of the reference, −∞ columns included (property)', () => {
    fc.assert(
      fc.property(
        logitRows.chain(([dims, values]) =>
          fc.tuple(
            fc.constant(dims),
            fc.constant(values),
            fc.uniqueArray(fc.integer({ min: 0, max: dims[0] - 1 }), { minLength: 1, maxLength: dims[0] }),
            fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: dims[0], maxLength: dims[0] }),
          ),
        ),
        ([dims, values, selected, rawWeights]) => {
          const weights = Float32Array.from(selected, (_, i) => rawWeights[i]!);
          const [a, b] = onBoth(Float32Array.from(values), dims, (backend, t) => {
            backend.logSoftmax(t);
            const out = new Float32Array(dims[1]).fill(5);
            backend.mixLogProbs(t, Int32Array.from(selected), weights, out);
            return out;
          });
          expectNear(a, b, 4);
        },
      ),
    );
  });

  it('mixture at a real vocabulary size: within 4 ulps, the same argmax, and the accumulator restarts per call', () => {
    const rows = 8;
    const cols = 49_157;
    const logits = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37) * 6 + Math.cos(i * 0.011) * 4);
    const selected = Int32Array.of(5, 0, 3);
    const weights = Float32Array.of(0.5, 0.3, 0.2);
    const [a, b] = onBoth(logits, [rows, cols], (backend, t) => {
      backend.logSoftmax(t);
      const first = new Float32Array(cols);
      backend.mixLogProbs(t, Int32Array.of(1, 2), Float32Array.of(0.9, 0.1), first);
      const out = new Float32Array(cols);
      backend.mixLogProbs(t, selected, weights, out);
      return { first, out };
    });
    expectNear(a.first, b.first, 4);
    expectNear(a.out, b.out, 4);
    const argmax = (x: Float32Array) => x.reduce((best, v, i) => (v > x[best]! ? i : best), 0);
    expect(argmax(a.out)).toBe(argmax(b.out));
  });

  it('probability cosine within 1e-6 and top-k exact at a real vocabulary size (several column blocks)', () => {
    const rows = 8;
    const cols = 49_157; // 49,152 + 5: every block size and a scalar tail
    const logits = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37) * 6 + Math.cos(i * 0.011) * 4);
    const [a, b] = onBoth(logits, [rows, cols], (backend, t) => {
      const top = backend.topK(t, 64);
      backend.logSoftmax(t);
      return { top, cos: backend.probabilityCosineSimilarity(t) };
    });
    for (let i = 0; i < rows * rows; i++) expect(Math.abs(a.cos[i]! - b.cos[i]!)).toBeLessThanOrEqual(1e-6);
    expect(a.cos[0]).toBeCloseTo(1, 6);
    expect(Array.from(a.top.indices)).toEqual(Array.from(b.top.indices));
    expect(Array.from(a.top.values)).toEqual(Array.from(b.top.values));
  });

  it('edge rows: ties go to the lowest index, −∞ rows and +∞ entries as in the reference', () => {
    const values = Float32Array.from([
      ...[1, 7, 7, 3, 7],
      ...Array(5).fill(Number.NEGATIVE_INFINITY),
      ...[0, Number.POSITIVE_INFINITY, 2, Number.NEGATIVE_INFINITY, 1],
    ]);
    const [a, b] = onBoth(values, [3, 5], (backend, t) => ({ greedy: backend.greedyLogProbs(t), lse: backend.logSumExp(t) }));
    expect(Array.from(a.greedy.indices)).toEqual([1, 0, 1]);
    expect(Array.from(a.greedy.indices)).toEqual(Array.from(b.greedy.indices));
    expect(Array.from(a.greedy.values.subarray(1))).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expect(Array.from(a.lse.subarray(1))).toEqual([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expectNear(a.greedy.values, b.greedy.values, 4);
    expectNear(a.lse, b.lse, 4);
  });

  it('grows its memory for larger rows and keeps working afterwards', () => {
    const fresh = new SimdBackend();
    for (const cols of [8, 300_000, 16]) {
      const values = Float32Array.from({ length: 2 * cols }, (_, i) => (i * 7919) % 1000 / 100);
      const [a] = [fresh.greedyLogProbs(fresh.fromHost(values.slice(), [2, cols]))];
      const b = reference.greedyLogProbs(reference.fromHost(values.slice(), [2, cols]));
      expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
      expectNear(a.values, b.values, 4);
    }
  });

  it('ReasonFlow generates the same tokens on either backend', async () => {
    for (const config of [{ numOfThinkers: 4, numOfThoughts: 4 }, { numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true }]) {
      const model = new ToyModel({ sharpness: 6 });
      const run = (backend: ReferenceBackend) => new ReasonFlowEngine(model, { config, backend }).generate([1, 2, 3], { maxNewTokens: 24 });
      const [a, b] = [await run(new SimdBackend()), await run(new ReferenceBackend())];
      expect(a.tokenIds).toEqual(b.tokenIds);
      expect(a.tokenIds.length).toBe(24);
    }
  });

  it('its WebAssembly bytes are a fresh build of tools/simd-kernels.mjs', () => {
    const script = fileURLToPath(new URL('../tools/build-simd-kernels.mjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
