/**
 * Seeded randomness. Two kinds: a stream generator for sampling on the host, and a counter-based
 * generator (a pure function of seed and index) for noise that any backend — including a GPU kernel —
 * can draw identically in parallel.
 */

/** 32-bit integer mix (a "lowbias32" finaliser): good avalanche, exact in JavaScript via Math.imul. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The bits of a safe-integer seed above its low 32, hashed; 0 for seeds in [0, 2^32) (mix32(0) = 0),
 * so those keep the streams they always had while seeds that differ by a multiple of 2^32 diverge.
 */
function highSeedBits(seed: number): number {
  return mix32(Math.floor(seed / 4294967296) >>> 0);
}

/** A 32-bit seed derived from two integers (e.g. a thinker's seed and a position); `a` may be any safe integer. */
export function mixSeeds(a: number, b: number): number {
  return mixSeedKey(seedKey(a), b);
}

/** The part of `mixSeeds(a, b)` that depends on `a` only: hoisted out of loops over `b`. */
export function seedKey(a: number): number {
  return mix32(((a >>> 0) ^ highSeedBits(a)) >>> 0);
}

/** `mixSeeds(a, b)` given `seedKey(a)`. */
export function mixSeedKey(key: number, b: number): number {
  return mix32((key ^ Math.imul(b >>> 0, 0x9e3779b9)) >>> 0);
}

/** Uniform in (0, 1), a pure function of (seed, index). Never returns exactly 0 or 1. */
export function hashUniform(seed: number, index: number): number {
  return (mixSeeds(seed, index) + 0.5) / 4294967296;
}

/**
 * A seeded stream of uniforms (sfc32 seeded through mix32). Distinct safe-integer seeds give distinct
 * states: the low 32 bits set `a`, the high bits enter `b`.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = mix32(seed >>> 0);
    this.b = mix32(this.a ^ 0x9e3779b9 ^ highSeedBits(seed));
    this.c = mix32(this.b ^ 0x85ebca6b);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
}

/** Standard Gumbel quantiles at (i + 0.5) / 65536: noise from 16 random bits with one lookup. */
const GUMBEL_BITS = 16;
export const GUMBEL_TABLE: Float32Array = (() => {
  const n = 1 << GUMBEL_BITS;
  const table = new Float32Array(n);
  for (let i = 0; i < n; i++) table[i] = -Math.log(-Math.log((i + 0.5) / n));
  return table;
})();

/**
 * Standard Gumbel noise from the top 16 bits of a 32-bit hash, quantised to 65,536 levels (the
 * tails are cut at ±11): enough resolution for noise, and a GPU kernel reproduces it exactly with
 * -log(-log((bits + 0.5) / 65536)).
 */
export function gumbelQuantile(hash: number): number {
  return GUMBEL_TABLE[hash >>> (32 - GUMBEL_BITS)]!;
}
