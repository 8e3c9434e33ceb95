import { describe, expect, it } from 'vitest';
import { float16BitsInto, float16BitsIntoByTable } from '../src/float16.js';
import { SimdBackend } from '../src/simd/simd-backend.js';

const everyPattern = Uint16Array.from({ length: 65536 }, (_, h) => h);

function bitsOf(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

describe('float16BitsInto', () => {
  it.runIf(SimdBackend.isSupported())('the SIMD kernel gives the table’s float32 bits for all 65,536 patterns (NaN payloads too)', () => {
    const table = new Float32Array(65536);
    float16BitsIntoByTable(everyPattern, table, 0);
    const simd = new Float32Array(65536).fill(9);
    float16BitsInto(everyPattern, simd);
    expect(bitsOf(simd)).toEqual(bitsOf(table));
    // Spot values from the IEEE 754 definition, so the table itself is checked too.
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
    expect(new Uint32Array(simd.buffer)[0x7e01]).toBe(0x7fc02000);
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
