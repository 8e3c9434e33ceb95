import { hashUniform, mixSeeds } from './random.js';

/** Seed of thinker i's noise: the original's per-row seed (seed + 1000·i), mixed with the position. */
export function thinkerNoiseSeed(baseSeed: number, thinker: number, position: number): number {
  return mixSeeds(baseSeed + 1000 * thinker, position);
}

/**
 * Exact embedding noise, in place: rows 1..N-1 of `embeddings` (`rows × positions × width`) are
 * multiplied elementwise by (1 + noiseScale · U(0,1)); row 0 stays clean. U is drawn from a
 * counter-based generator keyed by (thinker, absolute position), so the noise a position gets does
 * not depend on how the sequence was chunked into forward calls.
 */
export function applyEmbeddingNoise(
  embeddings: Float32Array,
  rows: number,
  positions: number,
  firstPosition: number,
  noiseScale: number,
  baseSeed: number,
): void {
  if (noiseScale === 0) return;
  const width = embeddings.length / (rows * positions);
  for (let r = 1; r < rows; r++) {
    for (let p = 0; p < positions; p++) {
      const seed = thinkerNoiseSeed(baseSeed, r, firstPosition + p);
      const offset = (r * positions + p) * width;
      for (let j = 0; j < width; j++) {
        embeddings[offset + j] = embeddings[offset + j]! * (1 + noiseScale * hashUniform(seed, j));
      }
    }
  }
}

/**
 * The documented substitute for models without `inputs_embeds`: per-row scales and seeds for seeded
 * Gumbel noise on the step-0 logits of rows 1..N-1 (scale = noiseScale; row 0 clean).
 */
export function gumbelSubstitute(
  rows: number,
  position: number,
  noiseScale: number,
  baseSeed: number,
): { scales: Float32Array; seeds: Uint32Array } {
  const scales = new Float32Array(rows);
  const seeds = new Uint32Array(rows);
  for (let r = 1; r < rows; r++) {
    scales[r] = noiseScale;
    seeds[r] = thinkerNoiseSeed(baseSeed, r, position);
  }
  return { scales, seeds };
}
