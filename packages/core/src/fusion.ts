/**
 * Fusion weights: softmax of the selected thinkers' combined scores (in selection order). The fused
 * distribution is Σ weights[i] · p_selected[i], computed by `TensorBackend.mixLogProbs`.
 */
export function fusionWeights(combined: ArrayLike<number>, selected: ArrayLike<number>): Float32Array {
  const weights = new Float32Array(selected.length);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < selected.length; i++) max = Math.max(max, combined[selected[i]!]!);
  let sum = 0;
  for (let i = 0; i < selected.length; i++) {
    const w = Math.exp(combined[selected[i]!]! - max);
    weights[i] = w;
    sum += w;
  }
  for (let i = 0; i < selected.length; i++) weights[i] = weights[i]! / sum;
  return weights;
}
