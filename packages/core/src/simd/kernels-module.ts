import { SIMD_KERNELS_BASE64 } from './kernels-wasm.js';

/** Exports of the kernels module (tools/simd-kernels.mjs); offsets are bytes into `memory`. */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  argmax(at: number, length: number): number;
  /** `expAt` 0: no exponentials written (offset 0 is the Gumbel table, never a destination). */
  sumExp(at: number, length: number, max: number, expAt: number): number;
  subtract(at: number, length: number, value: number): void;
  expInPlace(at: number, length: number): void;
  dot(a: number, b: number, length: number): number;
  firstAbove(at: number, from: number, length: number, threshold: number): number;
  addGumbel(at: number, length: number, key: number, scale: number, table: number): void;
  float16ToFloat32(src: number, dst: number, length: number): void;
  addWeightedExp(at: number, acc: number, length: number, weight: number, first: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** The kernels module, compiled once per process; null where WebAssembly SIMD is unavailable. */
export function kernelsModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  if (typeof WebAssembly === 'object') {
    const bytes = Uint8Array.from(atob(SIMD_KERNELS_BASE64), (c) => c.charCodeAt(0));
    // validate() is false on engines without SIMD; a 4 KB module compiles synchronously even on a
    // browser's main thread. A page whose CSP forbids WebAssembly throws here: use the reference then.
    try {
      if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}
