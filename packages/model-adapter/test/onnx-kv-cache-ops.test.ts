import { describe, expect, it } from 'vitest';
import { HostKvCacheOps, loadModelFolder, OnnxKvCacheOps } from '../src/index.js';
import { cpuSessionOptions, ort, toyFolder } from './fixtures.js';
import { cacheEquivalenceScenario } from './helpers.js';

function randomKv(b: number, h: number, s: number, d: number, seed: number): ort.Tensor {
  let x = seed;
  const data = Float32Array.from({ length: b * h * s * d }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 31 - 1;
  });
  return new ort.Tensor('float32', data, [b, h, s, d]);
}

describe('OnnxKvCacheOps (Gather/Slice/ReduceSum graphs on the model runtime)', () => {
  it('matches the host implementation', async () => {
    const device = new OnnxKvCacheOps(ort, cpuSessionOptions);
    const host = new HostKvCacheOps(ort);
    const kv = randomKv(4, 2, 7, 3, 11);
    const cases: [Int32Array | null, number][] = [
      [Int32Array.of(3, 3, 0), 5],
      [null, 2],
      [Int32Array.of(1, 2), 7],
      [Int32Array.of(0, 1, 2, 3, 2, 1), 0],
    ];
    for (const [rows, length] of cases) {
      const a = (await device.gatherSlice([kv], rows, length))[0]!;
      const b = (await host.gatherSlice([kv], rows, length))[0]!;
      expect(a.dims).toEqual(b.dims);
      expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array));
    }
    expect((await device.gatherSlice([kv], null, 7))[0]!).toBe(kv);
    const m1 = (await device.weightedMean([kv], Int32Array.of(2, 0, 3), Float32Array.of(0.5, 0.25, 0.25), 5, 6))[0]!;
    const m2 = (await host.weightedMean([kv], Int32Array.of(2, 0, 3), Float32Array.of(0.5, 0.25, 0.25), 5, 6))[0]!;
    expect(m1.dims).toEqual([5, 2, 6, 3]);
    const d1 = m1.data as Float32Array;
    const d2 = m2.data as Float32Array;
    for (let i = 0; i < d1.length; i++) expect(Math.abs(d1[i]! - d2[i]!)).toBeLessThan(1e-6);
    expect(device.liveSessions).toBe(2);
    await device.dispose();
    expect(device.liveSessions).toBe(0);
    await expect(device.gatherSlice([kv], Int32Array.of(0), 1)).rejects.toThrow(/disposed/);
  });

  it('does a whole cache (tensors of different heads and widths) in one run of one graph', async () => {
    const device = new OnnxKvCacheOps(ort, cpuSessionOptions);
    const host = new HostKvCacheOps(ort);
    const cache = [randomKv(3, 2, 6, 4, 1), randomKv(3, 2, 6, 4, 2), randomKv(3, 1, 6, 5, 3)];
    const rows = Int32Array.of(2, 0, 2, 1);
    const a = await device.gatherSlice(cache, rows, 4);
    const b = await host.gatherSlice(cache, rows, 4);
    expect(a.map((t) => t.dims)).toEqual([[4, 2, 4, 4], [4, 2, 4, 4], [4, 1, 4, 5]]);
    expect(a.map((t) => Array.from(t.data as Float32Array))).toEqual(b.map((t) => Array.from(t.data as Float32Array)));
    const m1 = await device.weightedMean(cache, Int32Array.of(0, 2), Float32Array.of(0.75, 0.25), 2, 5);
    const m2 = await host.weightedMean(cache, Int32Array.of(0, 2), Float32Array.of(0.75, 0.25), 2, 5);
    m1.forEach((t, i) => {
      expect(t.dims).toEqual(m2[i]!.dims);
      const x = t.data as Float32Array;
      const y = m2[i]!.data as Float32Array;
      for (let j = 0; j < x.length; j++) expect(Math.abs(x[j]! - y[j]!)).toBeLessThan(1e-6);
    });
    expect(device.liveSessions).toBe(2); // one gather graph and one mean graph for 3 tensors
    await expect(device.gatherSlice([cache[0]!, randomKv(2, 2, 6, 4, 4)], null, 3)).rejects.toThrow(/must share type, rows and length/);
    expect(await device.gatherSlice([], null, 0)).toEqual([]);
    await device.dispose();
  });

  it('float16 KV tensors', async () => {
    const device = new OnnxKvCacheOps(ort, cpuSessionOptions);
    const bits = Uint16Array.from({ length: 2 * 1 * 3 * 2 }, (_, i) => 0x3c00 + i); // 1.0 and up
    const kv = new ort.Tensor('float16', bits, [2, 1, 3, 2]);
    const out = (await device.gatherSlice([kv], Int32Array.of(1), 2))[0]!;
    expect(out.type).toBe('float16');
    expect(Array.from(out.data as Uint16Array)).toEqual([0x3c00 + 6, 0x3c00 + 7, 0x3c00 + 8, 0x3c00 + 9]);
    await device.dispose();
  });

  it('drives a model: cached steps equal recomputation', async () => {
    const loaded = await loadModelFolder(toyFolder({ pair: false }), {
      runtime: ort,
      sessionOptions: cpuSessionOptions,
      kvCacheOps: (runtime) => new OnnxKvCacheOps(runtime, cpuSessionOptions),
    });
    expect(loaded.model.kvCacheOps.name).toBe('onnx');
    expect(await cacheEquivalenceScenario(loaded.model, [[5, 6, 7], [8, 9, 10], [11, 12, 13]], [5, 35])).toBeLessThanOrEqual(1e-4);
    const seq = await loaded.model.startSequence({ rows: 2 });
    await seq.forward({ kind: 'tokens', tokens: Int32Array.of(5, 6, 7, 8), tokensPerRow: 2 });
    await seq.mergeRows!(Int32Array.of(0, 1), Float32Array.of(1, 1));
    await seq.forward({ kind: 'tokens', tokens: Int32Array.of(9, 9), tokensPerRow: 1 });
    await loaded.dispose();
    expect(loaded.model.liveTensors).toBe(0);
    expect((loaded.model.kvCacheOps as OnnxKvCacheOps).liveSessions).toBe(0);
  });
});
