import { describe, expect, it } from 'vitest';
import { HostKvCacheOps } from '../src/index.js';
import { ort } from './fixtures.js';

const B = 3, H = 2, S = 5, D = 4;
const kv = (): ort.Tensor => new ort.Tensor('float32', Float32Array.from({ length: B * H * S * D }, (_, i) => i * 0.5 - 7), [B, H, S, D]);
const at = (t: ort.Tensor, b: number, h: number, s: number, d: number): number => {
  const [, hh, ss, dd] = t.dims as number[];
  return (t.data as Float32Array)[((b * hh! + h) * ss! + s) * dd! + d]!;
};

function naiveGatherSlice(t: ort.Tensor, rows: number[], length: number): Float32Array {
  const out: number[] = [];
  for (const r of rows) for (let h = 0; h < H; h++) for (let s = 0; s < length; s++) for (let d = 0; d < D; d++) out.push(at(t, r, h, s, d));
  return Float32Array.from(out);
}

describe('HostKvCacheOps', () => {
  it('gathers rows and slices positions like a naive loop', async () => {
    const ops = new HostKvCacheOps(ort);
    const t = kv();
    for (const [rows, length] of [[[2, 0, 2], 3], [[1], 5], [[0, 1, 2], 0], [[2, 1], 5]] as const) {
      const out = (await ops.gatherSlice([t], Int32Array.from(rows), length))[0]!;
      expect(out.dims).toEqual([rows.length, H, length, D]);
      expect(out.data).toEqual(naiveGatherSlice(t, [...rows], length));
    }
  });

  it('identity and contiguous row ranges are zero-copy', async () => {
    const ops = new HostKvCacheOps(ort);
    const t = kv();
    expect((await ops.gatherSlice([t], null, S))[0]!).toBe(t);
    expect((await ops.gatherSlice([t], Int32Array.of(0, 1, 2), S))[0]!).toBe(t);
    const view = (await ops.gatherSlice([t], Int32Array.of(1, 2), S))[0]!;
    expect((view.data as Float32Array).buffer).toBe((t.data as Float32Array).buffer);
    expect(view.data).toEqual(naiveGatherSlice(t, [1, 2], S));
    expect(ops.copiedElements).toBe(0);
    await ops.gatherSlice([t], null, 2);
    expect(ops.copiedElements).toBe(B * H * 2 * D);
  });

  it('weightedMean broadcasts the weighted sum of rows', async () => {
    const ops = new HostKvCacheOps(ort);
    const t = kv();
    const out = (await ops.weightedMean([t], Int32Array.of(0, 2), Float32Array.of(0.25, 0.75), 4, 3))[0]!;
    expect(out.dims).toEqual([4, H, 3, D]);
    const a = naiveGatherSlice(t, [0], 3);
    const c = naiveGatherSlice(t, [2], 3);
    const data = out.data as Float32Array;
    for (let r = 0; r < 4; r++) for (let i = 0; i < a.length; i++) expect(data[r * a.length + i]).toBeCloseTo(0.25 * a[i]! + 0.75 * c[i]!, 5);
  });
});
