import { describe, expect, it } from 'vitest';
import { float16BitsToFloat32, float32ToFloat16Bits, toFloat32 } from '../src/float16.js';

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
