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
      // The clone has no shadow: its cosine is computed from the values.
      const copy = backend.clone(t);
      const fromValues = backend.probabilityCosineSimilarity(copy);
      backend.dispose(copy);
      return { top, cos: backend.probabilityCosineSimilarity(t), fromValues };
    });
    for (let i = 0; i < rows * rows; i++) expect(Math.abs(a.cos[i]! - b.cos[i]!)).toBeLessThanOrEqual(1e-6);
    for (let i = 0; i < rows * rows; i++) expect(Math.abs(a.fromValues[i]! - b.cos[i]!)).toBeLessThanOrEqual(1e-6);
    expect(a.cos[0]).toBeCloseTo(1, 6);
    expect(Array.from(a.top.indices)).toEqual(Array.from(b.top.indices));
    expect(Array.from(a.top.values)).toEqual(Array.from(b.top.values));
  });

  it('probability cosine after log-softmax and in-place edits in any order equals the reference (property)', () => {
    // Set values stay log-probabilities (≤ 0): above 0 the kernels clamp (see the edge-case test).
    type Edit = { op: 'shift' | 'set' | 'gumbel' | 'other-softmax'; row: number; column: number; amount: number };
    const edit = fc.record({
      op: fc.constantFrom<Edit['op']>('shift', 'set', 'set', 'gumbel', 'other-softmax'),
      row: fc.nat(),
      column: fc.nat(),
      amount: fc.double({ min: -3, max: 3, noNaN: true }),
    });
    const finiteRows = fc
      .record({ rows: fc.integer({ min: 2, max: 5 }), cols: fc.integer({ min: 1, max: 70 }) })
      .chain(({ rows, cols }) =>
        fc.tuple(fc.constant<[number, number]>([rows, cols]), fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: rows * cols, maxLength: rows * cols })),
      );
    fc.assert(
      fc.property(finiteRows, fc.array(edit, { maxLength: 5 }), ([dims, values], edits) => {
        const [a, b] = onBoth(Float32Array.from(values), dims, (backend, t) => {
          backend.logSoftmax(t);
          for (const e of edits) {
            const row = e.row % dims[0];
            if (e.op === 'shift') backend.shiftRows(t, Float32Array.from({ length: dims[0] }, (_, r) => (r === row ? e.amount : 0)));
            if (e.op === 'set') backend.setElements(t, Int32Array.of(row), Int32Array.of(e.column % dims[1]), Float32Array.of(-Math.abs(e.amount)));
            if (e.op === 'gumbel') {
              backend.addGumbelNoise(t, new Float32Array(dims[0]).fill(0.5), Uint32Array.from({ length: dims[0] }, (_, r) => r + e.column));
              // Log-probabilities again, as the engine has them.
              backend.logSoftmax(t);
            }
            if (e.op === 'other-softmax') {
              const other = backend.fromHost(Float32Array.from(values, (v) => -v), dims);
              backend.logSoftmax(other);
              backend.dispose(other);
            }
          }
          return backend.probabilityCosineSimilarity(t);
        });
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-6);
      }),
      { numRuns: 300 },
    );
  });

  it('probability cosine follows each in-place edit after log-softmax (shift then set, noise, exp, dispose)', () => {
    const values = Float32Array.from({ length: 3 * 9 }, (_, i) => Math.sin(i * 1.7) * 3);
    const edits: ((b: ReferenceBackend, t: ReturnType<ReferenceBackend['fromHost']>) => void)[] = [
      (b, t) => {
        b.shiftRows(t, Float32Array.of(2, 0, -1));
        b.setElements(t, Int32Array.of(0, 2), Int32Array.of(4, 0), Float32Array.of(-1, -0.5));
      },
      (b, t) => {
        b.addGumbelNoise(t, Float32Array.of(1, 0, 2), Uint32Array.of(7, 8, 9));
        // Back below 0: the kernels read log-probabilities (the reference does not clamp above 0).
        b.shiftRows(t, Float32Array.of(-40, -40, -40));
      },
      (b, t) => {
        b.exp(t);
        b.shiftRows(t, Float32Array.of(-3, -3, -3));
      },
    ];
    for (const edit of edits) {
      const [a, b] = onBoth(values, [3, 9], (backend, t) => {
        backend.logSoftmax(t);
        edit(backend, t);
        return backend.probabilityCosineSimilarity(t);
      });
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-6);
    }
    // A disposed tensor's shadow is not handed to the next tensor.
    const backend = new SimdBackend();
    const first = backend.fromHost(values.slice(), [3, 9]);
    backend.logSoftmax(first);
    backend.dispose(first);
    const second = backend.fromHost(values.map((v) => -v - 10), [3, 9]);
    const expected = reference.fromHost(values.map((v) => -v - 10), [3, 9]);
    expect(Math.abs(backend.probabilityCosineSimilarity(second)[1]! - reference.probabilityCosineSimilarity(expected)[1]!)).toBeLessThanOrEqual(1e-6);
  });

  it('probability cosine keeps the reference edge cases for −∞ entries and rows (no shadow)', () => {
    const values = Float32Array.from([
      ...[0, Number.NEGATIVE_INFINITY, 2, 1],
      ...[1, 0, Number.NEGATIVE_INFINITY, 3],
      ...Array(4).fill(Number.NEGATIVE_INFINITY),
      ...[1, 2, 0, 2],
    ]);
    const [a, b] = onBoth(values, [4, 4], (backend, t) => {
      backend.logSoftmax(t);
      return backend.probabilityCosineSimilarity(t);
    });
    expect(Array.from(a, (x) => Number.isNaN(x))).toEqual(Array.from(b, (x) => Number.isNaN(x)));
    for (let i = 0; i < a.length; i++) if (!Number.isNaN(b[i]!)) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-6);
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
