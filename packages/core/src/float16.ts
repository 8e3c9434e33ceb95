import { type KernelExports, kernelsModule } from './simd/kernels-module.js';

/**
 * float16 → float32 for backends whose models return half-precision logits: `float16BitsInto(bits,
 * out, offset)` writes the float32 value of each float16 bit pattern (raw IEEE 754 half bits, as
 * onnxruntime hands float16 data to JavaScript) into `out` from `offset`. Exact for every pattern.
 *
 * Where WebAssembly SIMD exists the conversion runs as a kernel (8 values per instruction; the copies
 * in and out are memcpy), about 4× faster than a table lookup per value in JavaScript at vocabulary sizes; the
 * table (256 KiB, built on first use) serves short inputs and engines without SIMD (it may quiet
 * signaling NaNs, as JavaScript engines may when a float passes through a number).
 */
export function float16BitsInto(bits: Uint16Array, out: Float32Array, outOffset = 0): void {
  if (outOffset < 0 || outOffset + bits.length > out.length) {
    throw new RangeError(`float16BitsInto: ${bits.length} values do not fit at offset ${outOffset} of ${out.length}`);
  }
  const converter = bits.length >= KERNEL_MIN_LENGTH ? simdConverter() : null;
  if (converter !== null) converter(bits, out, outOffset);
  else float16BitsIntoByTable(bits, out, outOffset);
}

/** Below this many values the copies and the call into WebAssembly cost more than the table loop. */
const KERNEL_MIN_LENGTH = 256;
/** Values converted per kernel call (a multiple of 8). */
const KERNEL_CHUNK = 1 << 20;
const PAGE_BYTES = 65536;

type Converter = (bits: Uint16Array, out: Float32Array, outOffset: number) => void;
let converter: Converter | null | undefined;

/** One kernels instance per process for conversions; its memory grows to the largest input seen. */
function simdConverter(): Converter | null {
  if (converter !== undefined) return converter;
  const module = kernelsModule();
  if (module === null) return (converter = null);
  const kernels = new WebAssembly.Instance(module).exports as unknown as KernelExports;
  converter = (bits, out, outOffset) => {
    // Chunks bound the module's memory (6 bytes a value: ≤ 6 MiB) whatever the input's size.
    for (let from = 0; from < bits.length; from += KERNEL_CHUNK) {
      const n = Math.min(KERNEL_CHUNK, bits.length - from);
      // The kernel converts 8 at a time: the input is padded (whatever the memory holds past n), the
      // padding's results are not copied out. float32 results first (at 0), then the float16 input.
      const padded = (n + 7) & ~7;
      const needed = padded * 6;
      const { memory } = kernels;
      if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
      new Uint16Array(memory.buffer, padded * 4, n).set(bits.subarray(from, from + n));
      kernels.float16ToFloat32(padded * 4, 0, padded);
      out.set(new Float32Array(memory.buffer, 0, n), outOffset + from);
    }
  };
  return converter;
}

let halfToFloatTable: Float32Array | undefined;

/** Every float16 bit pattern's float32 value, built on first use (256 KiB) so conversion is one lookup. */
function halfToFloat(): Float32Array {
  if (halfToFloatTable) return halfToFloatTable;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 31) bits[h] = sign | 0x7f800000 | (frac << 13);
    else if (exp !== 0) bits[h] = sign | ((exp + 112) << 23) | (frac << 13);
    else table[h] = (sign ? -frac : frac) * 2 ** -24; // subnormal or ±0
  }
  halfToFloatTable = table;
  return table;
}

/** The conversion as one table lookup per value (exported for the tests that compare both paths). */
export function float16BitsIntoByTable(bits: Uint16Array, out: Float32Array, outOffset: number): void {
  const table = halfToFloat();
  for (let i = 0; i < bits.length; i++) out[outOffset + i] = table[bits[i]!]!;
}
