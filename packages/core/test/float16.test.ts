import { describe, expect, it } from 'vitest';
import { float16BitsInto, float16BitsIntoByTable } from '../src/float16.js';
import { SimdBackend } from '../src/simd/simd-backend.js';

const everyPattern = Uint16Array.from({ length: 65536 }, (_, h) => h);

function bitsOf(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

/** IEEE 754 widening of one float16 pattern to float32 bits, in integer arithmetic (no float rounding). */
function widenedBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 31) return (sign | 0x7f800000 | (frac << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (frac << 13)) >>> 0;
  if (frac === 0) return sign >>> 0;
  // Subnormal: normalize the fraction (exact; no float arithmetic involved).
  let e = 113;
  let f = frac;
  while ((f & 0x400) === 0) {
    f <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((f & 0x3ff) << 13)) >>> 0;
}

describe('float16BitsInto', () => {
  it.runIf(SimdBackend.isSupported())('the SIMD kernel widens all 65,536 patterns bit-exactly (NaN payloads too)', () => {
    const simd = new Float32Array(65536).fill(9);
    float16BitsInto(everyPattern, simd);
    expect(bitsOf(simd)).toEqual(Array.from(everyPattern, widenedBits));
    // Spot values from the IEEE 754 definition, so the integer reference is checked too.
    const at = (h: number) => simd[h]!;
    expect([at(0x3c00), at(0xc000), at(0x7bff), at(0x0001), at(0x03ff), at(0x0400)]).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      1023 * 2 ** -24,
      2 ** -14,
    ]);
    expect(Object.is(at(0x8000), -0)).toBe(true);
    expect([at(0x7c00), at(0xfc00)]).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it('the table gives the same values for every pattern (a JavaScript engine may quiet signaling NaNs)', () => {
    const table = new Float32Array(65536);
    float16BitsIntoByTable(everyPattern, table, 0);
    const want = new Float32Array(new Uint32Array(Array.from(everyPattern, widenedBits)).buffer);
    const mismatches: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const ok = Number.isNaN(want[h]!) ? Number.isNaN(table[h]!) : Object.is(table[h], want[h]);
      if (!ok) mismatches.push(h);
    }
    expect(mismatches).toEqual([]);
  });

  it('handles lengths that are not a multiple of 8, unaligned inputs and an output offset', () => {
    for (const [from, length, offset] of [
      [1, 257, 3],
      [7, 1000, 0],
      [0, 263, 5],
      [3, 5, 2],
    ] as const) {
      const bits = everyPattern.subarray(0x3000 + from, 0x3000 + from + length);
      const want = new Float32Array(length + offset + 4).fill(7);
      float16BitsIntoByTable(bits, want, offset);
      const got = new Float32Array(length + offset + 4).fill(7);
      float16BitsInto(bits, got, offset);
      expect(bitsOf(got)).toEqual(bitsOf(want));
      expect(got[offset - 1] ?? 7).toBe(7);
      expect(got[offset + length]).toBe(7);
    }
  });

  it('converts an input larger than one kernel chunk (2^20 values) in pieces, each in its place', () => {
    const n = (1 << 20) * 2 + 13;
    const bits = Uint16Array.from({ length: n }, (_, i) => (i * 7919) & 0x7bff);
    const got = new Float32Array(n + 2).fill(7);
    float16BitsInto(bits, got, 1);
    const want = new Float32Array(n + 2).fill(7);
    float16BitsIntoByTable(bits, want, 1);
    const a = new Uint32Array(got.buffer);
    const b = new Uint32Array(want.buffer);
    let mismatches = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) mismatches++;
    expect(mismatches).toBe(0);
    expect([got[0], got[n + 1], got[1 + (1 << 20)]]).toEqual([7, 7, want[1 + (1 << 20)]]);
  });

  it('reuses its memory when a larger conversion came first', () => {
    const big = new Float32Array(40000);
    float16BitsInto(everyPattern.subarray(0, 40000), big);
    const small = new Float32Array(300);
    float16BitsInto(everyPattern.subarray(0x3c00, 0x3c00 + 300), small);
    expect(small[0]).toBe(1);
    expect(small[299]).toBe(1 + 299 / 1024);
  });

  it('refuses an output that is too short with a RangeError naming the sizes', () => {
    expect(() => float16BitsInto(everyPattern.subarray(0, 10), new Float32Array(12), 3)).toThrow(
      /10 values do not fit at offset 3 of 12/,
    );
    expect(() => float16BitsInto(everyPattern.subarray(0, 10), new Float32Array(12), -1)).toThrow(RangeError);
  });
});
