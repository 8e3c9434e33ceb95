import type { Tensor, TensorBackend } from './tensor-backend.js';

/**
 * Ours ('log-likelihood'): a path's quality is the sum of the model's own log-probabilities of the
 * tokens it took. The engine accumulates it step by step with this function, from values it already
 * has (each step's chosen log-probability), so it costs nothing vocabulary-sized.
 */
export function accumulatePathLogLikelihood(scores: Float64Array, stepLogProbs: ArrayLike<number>): void {
  for (let r = 0; r < scores.length; r++) scores[r] = scores[r]! + stepLogProbs[r]!;
}

/**
 * The original's formula ('original'), kept for comparison: −Σ_t CE(p_t, argmax_{t+2}) over the steps
 * that have a token two positions ahead, where CE is a cross-entropy that treats the probabilities
 * p_t as logits — reproducing both of the original's slips. Zero for paths shorter than 3 steps.
 *
 * @param stepDistributions per step, `[rows, vocab]` logits or log-probabilities (left unchanged)
 * @param pathTokens per step, the token each row took
 */
export function originalPathQuality(
  backend: TensorBackend,
  stepDistributions: readonly Tensor[],
  pathTokens: readonly Int32Array[],
  rows: number,
): Float64Array {
  const quality = new Float64Array(rows);
  for (let t = 0; t + 2 < stepDistributions.length; t++) {
    const probs = backend.clone(stepDistributions[t]!);
    try {
      backend.logSoftmax(probs);
      backend.exp(probs);
      // cross_entropy(input = probs, target) = logsumexp(probs) − probs[target]
      const lse = backend.logSumExp(probs);
      const target = backend.gather(probs, pathTokens[t + 2]!);
      for (let r = 0; r < rows; r++) quality[r] = quality[r]! - (lse[r]! - target[r]!);
    } finally {
      backend.dispose(probs);
    }
  }
  return quality;
}
