import { describe, expect, it } from 'vitest';
import { float16BitsInto, float16BitsToFloat32, float32ToFloat16Bits, toFloat32 } from '../src/float16.js';

describe('float16 conversions', () => {
  it('round-trips values exactly representable in half precision', () => {
    const values = Float32Array.of(0, -0, 1, -2.5, 65504, 2 ** -14, 2 ** -24, 0.333251953125, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    expect(Array.from(float16BitsToFloat32(float32ToFloat16Bits(values)))).toEqual(Array.from(values));
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Float32Array.of(Number.NaN)))[0])).toBe(true);
  });

  it('rounds to nearest even and overflows to infinity', () => {
    const bits = float32ToFloat16Bits(Float32Array.of(1 + 2 ** -11, 1 + 3 * 2 ** -11, 1e6, 2 ** -26));
    expect(Array.from(bits)).toEqual([0x3c00, 0x3c02, 0x7c00, 0]);
    expect(float16BitsToFloat32(Uint16Array.of(0x3555))[0]).toBeCloseTo(1 / 3, 3);
  });

  it('toFloat32 passes float32 through and converts the rest', () => {
    const f = Float32Array.of(1, 2);
    expect(toFloat32(f)).toBe(f);
    expect(Array.from(toFloat32(Uint16Array.of(0x3c00, 0xc000)))).toEqual([1, -2]);
    expect(Array.from(toFloat32(Float64Array.of(0.5)))).toEqual([0.5]);
  });
});

/** IEEE 754 binary16 decoded from its definition, independent of the table's bit manipulation. */
function referenceHalfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

describe('float16BitsInto', () => {
  it('converts a slice into place and leaves the rest of the output alone (last-position logits)', () => {
    const bits = float32ToFloat16Bits(Float32Array.of(1, -2, 0.5, 65504, -0.25, 3));
    const out = new Float32Array(8).fill(7);
    float16BitsInto(bits.subarray(3, 6), out, 2);
    expect([...out]).toEqual([7, 7, 65504, -0.25, 3, 7, 7, 7]);
  });
});

describe('float16BitsToFloat32 table', () => {
  it('decodes every one of the 65,536 bit patterns like the reference formula', () => {
    const all = new Uint16Array(65536);
    for (let h = 0; h < 65536; h++) all[h] = h;
    const got = float16BitsToFloat32(all);
    const mismatches: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const want = referenceHalfToFloat(h);
      const ok = Number.isNaN(want) ? Number.isNaN(got[h]!) : Object.is(got[h], want);
      if (!ok) mismatches.push(h);
    }
    expect(mismatches).toEqual([]);
  });
});
