import type { DeviceLogits } from './model.js';

/**
 * The operations ReasonFlow needs on logits-sized data, over an opaque tensor type so that a GPU
 * backend can keep the data on its device. Every op works on 2-D `[rows, vocab]` tensors; results that
 * are small (per row, or rows × k) come back as host typed arrays, everything vocabulary-sized stays
 * in tensors or in caller-provided buffers, so the engine allocates nothing vocabulary-sized per step.
 *
 * The engine validates shapes and indices before calling, so backends may trust their inputs.
 */
export interface Tensor {
  /** `[rows, vocab]`. */
  readonly dims: readonly [number, number];
}

/** Per-row results of a reduction. */
export interface RowValues {
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

export interface TensorBackend {
  /** Short name shown in stats, e.g. `reference`. */
  readonly name: string;
  /** Tensors created and not yet disposed (for leak checks). */
  readonly liveTensors: number;

  /** Wraps host data as a tensor. Takes ownership of `data`: the caller must not reuse it. */
  fromHost(data: Float32Array, dims: readonly [number, number]): Tensor;
  /**
   * Adopts logits that live on a device when this backend works on their location (taking ownership);
   * returns undefined otherwise, and the engine downloads them.
   */
  fromDevice?(logits: DeviceLogits): Tensor | undefined;
  /** Copies a tensor's contents into host memory. */
  toHost(tensor: Tensor): Float32Array;
  dispose(tensor: Tensor): void;
  /** A new tensor with the same contents. */
  clone(tensor: Tensor): Tensor;
  /** A new tensor whose row r is `tensor[rows[r], :]` (e.g. one row broadcast to all). */
  gatherRows(tensor: Tensor, rows: Int32Array): Tensor;

  /** In place: each row becomes its log-softmax. */
  logSoftmax(tensor: Tensor): void;
  /** In place: x ← exp(x). */
  exp(tensor: Tensor): void;
  /** Per row: the maximum and its index. */
  argmax(tensor: Tensor): RowValues;
  /**
   * Per row of logits: the argmax and its log-probability (max − log Σ exp), in one pass over the
   * data — what a greedy lookahead step needs.
   */
  greedyLogProbs(tensor: Tensor): RowValues;
  /** Per row: log Σ exp(x). */
  logSumExp(tensor: Tensor): Float32Array;
  /** Per row, the k largest values and their indices, descending; `rows × k` row-major. */
  topK(tensor: Tensor, k: number): RowValues;
  /** `out[r] = tensor[r, columns[r]]`. */
  gather(tensor: Tensor, columns: Int32Array): Float32Array;
  /** In place: `tensor[rows[i], columns[i]] = values[i]`. */
  setElements(tensor: Tensor, rows: Int32Array, columns: Int32Array, values: Float32Array): void;
  /** In place: `tensor[r, :] += shifts[r]`. */
  shiftRows(tensor: Tensor, shifts: Float32Array): void;
  /**
   * In place: adds `scales[r] · g` to row r, g standard Gumbel noise `gumbelQuantile(mixSeeds(seeds[r],
   * column))` (see random.ts): counter-based, so every backend draws the same noise in parallel.
   */
  addGumbelNoise(tensor: Tensor, scales: Float32Array, seeds: Uint32Array): void;
  /**
   * Cosine similarity between the probability rows exp(tensor[r, :]) of a log-probability tensor;
   * `rows × rows` row-major.
   */
  probabilityCosineSimilarity(logProbs: Tensor): Float32Array;
  /**
   * Writes log(Σ_i weights[i] · exp(logProbs[rows[i], :])) into `out` (length vocab): the log of a
   * weighted mixture of distributions, computed stably.
   */
  mixLogProbs(logProbs: Tensor, rows: Int32Array, weights: Float32Array, out: Float32Array): void;
}
