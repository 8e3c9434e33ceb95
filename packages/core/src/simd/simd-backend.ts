import { BackendUnavailableError } from '../errors.js';
import { GUMBEL_TABLE, seedKey } from '../random.js';
import { cosineFromGram, insertDescending, ReferenceBackend } from '../reference-backend.js';
import type { RowValues, Tensor, TensorBackend } from '../tensor-backend.js';
import { type KernelExports, kernelsModule } from './kernels-module.js';

/** Columns per block of the Gram matrix (8 rows × 4096 float32 stay in L2 cache). */
const GRAM_BLOCK = 4096;
const PAGE_BYTES = 65536;
/** Memory layout: the Gumbel quantile table, then the scratch rows (`heap`) the ops copy data into. */
const TABLE_AT = 0;
const HEAP_AT = TABLE_AT + GUMBEL_TABLE.byteLength;

/**
 * A TensorBackend whose vocabulary-sized passes run as WebAssembly SIMD kernels: argmax, log-sum-exp
 * (log-softmax, greedy log-probabilities), top-k, Gumbel noise, row shifts, the probability cosine and
 * the mixture of distributions (fusion).
 * Tensors are the ReferenceBackend's host arrays, so every other op is the reference's. Rows are copied
 * into the module's memory for each op (a copy costs a fraction of one pass of JavaScript).
 *
 * Precision: argmax, top-k, Gumbel noise, row shifts and gathers are exact (the reference's values);
 * exponentials are float32 (within ~1 float32 ulp) and sums float64, so log-probabilities agree with
 * the ReferenceBackend's to a few float32 ulps.
 * `SimdBackend.isSupported()` is false where WebAssembly SIMD is missing; the engine then uses the
 * ReferenceBackend (`defaultTensorBackend`).
 */
export class SimdBackend extends ReferenceBackend {
  override readonly name: string = 'wasm-simd';
  private readonly kernels: KernelExports;
  private heap: Float32Array;

  static isSupported(): boolean {
    return kernelsModule() !== null;
  }

  constructor() {
    super();
    const module = kernelsModule();
    if (module === null) {
      throw new BackendUnavailableError(
        'wasm-simd',
        'this JavaScript engine has no WebAssembly SIMD',
        'Use ReferenceBackend, or defaultTensorBackend() to pick whichever this platform runs.',
      );
    }
    this.kernels = new WebAssembly.Instance(module).exports as unknown as KernelExports;
    this.heap = new Float32Array(0);
    this.reserve(0);
    new Float32Array(this.kernels.memory.buffer, TABLE_AT, GUMBEL_TABLE.length).set(GUMBEL_TABLE);
  }

  override greedyLogProbs(tensor: Tensor): RowValues {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    const indices = new Int32Array(rows);
    const values = new Float32Array(rows);
    const heap = this.reserve(cols);
    for (let r = 0; r < rows; r++) {
      heap.set(data.subarray(r * cols, (r + 1) * cols));
      const best = this.kernels.argmax(HEAP_AT, cols);
      const max = heap[best]!;
      indices[r] = best;
      // An infinite maximum has no finite log-probability (the reference's value is +Infinity too).
      values[r] = Number.isFinite(max) ? -Math.log(this.kernels.sumExp(HEAP_AT, cols, max)) : Number.POSITIVE_INFINITY;
    }
    return { indices, values };
  }

  override logSumExp(tensor: Tensor): Float32Array {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    const out = new Float32Array(rows);
    this.reserve(cols);
    for (let r = 0; r < rows; r++) out[r] = this.rowLogSumExp(data, r * cols, cols);
    return out;
  }

  override logSoftmax(tensor: Tensor): void {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    const heap = this.reserve(cols);
    for (let r = 0; r < rows; r++) {
      const lse = this.rowLogSumExp(data, r * cols, cols);
      this.kernels.subtract(HEAP_AT, cols, lse);
      data.set(heap.subarray(0, cols), r * cols);
    }
  }

  override shiftRows(tensor: Tensor, shifts: Float32Array): void {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    // float32(x − (−s)) is float32(x + s), the reference's rounding.
    this.editRows(data, rows, cols, shifts, (r) => this.kernels.subtract(HEAP_AT, cols, -shifts[r]!));
  }

  override topK(tensor: Tensor, k: number): RowValues {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    const kk = Math.min(k, cols);
    const indices = new Int32Array(rows * kk);
    const values = new Float32Array(rows * kk);
    const heap = this.reserve(cols);
    for (let r = 0; r < rows; r++) {
      heap.set(data.subarray(r * cols, (r + 1) * cols));
      const base = r * kk;
      let filled = 0;
      let kth = Number.NEGATIVE_INFINITY;
      let c = 0;
      while (c < cols) {
        // Once the list is full, the kernel skips every element that cannot enter it.
        if (filled === kk) {
          c = this.kernels.firstAbove(HEAP_AT, c, cols, kth);
          if (c >= cols) break;
        }
        filled = insertDescending(values, indices, base, kk, filled, heap[c]!, c);
        if (filled === kk) kth = values[base + kk - 1]!;
        c++;
      }
    }
    return { indices, values };
  }

  override addGumbelNoise(tensor: Tensor, scales: Float32Array, seeds: Uint32Array): void {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    this.editRows(data, rows, cols, scales, (r) => this.kernels.addGumbel(HEAP_AT, cols, seedKey(seeds[r]!), scales[r]!, TABLE_AT));
  }

  override probabilityCosineSimilarity(logProbs: Tensor): Float32Array {
    const { data, dims } = this.unwrap(logProbs);
    const [rows, cols] = dims;
    const heap = this.reserve(rows * cols);
    heap.set(data.subarray(0, rows * cols));
    this.kernels.expInPlace(HEAP_AT, rows * cols);
    const gram = new Float64Array(rows * rows);
    for (let from = 0; from < cols; from += GRAM_BLOCK) {
      const width = Math.min(GRAM_BLOCK, cols - from);
      for (let i = 0; i < rows; i++) {
        for (let j = i; j < rows; j++) {
          gram[i * rows + j]! += this.kernels.dot(HEAP_AT + 4 * (i * cols + from), HEAP_AT + 4 * (j * cols + from), width);
        }
      }
    }
    return cosineFromGram(gram, rows);
  }

  override mixLogProbs(logProbs: Tensor, rows: Int32Array, weights: Float32Array, out: Float32Array): void {
    const { data, dims } = this.unwrap(logProbs);
    const cols = dims[1];
    if (rows.length === 0) {
      out.fill(Number.NEGATIVE_INFINITY, 0, cols);
      return;
    }
    if (rows.length === 1 && weights[0] === 1) {
      out.set(data.subarray(rows[0]! * cols, rows[0]! * cols + cols));
      return;
    }
    // The row being added, then the float64 mixture after it. The kernel works 4 columns at a time:
    // both are padded to a multiple of 4, and the padding's sums are never read.
    const padded = (cols + 3) & ~3;
    const heap = this.reserve(3 * padded);
    const accAt = HEAP_AT + 4 * padded;
    for (let i = 0; i < rows.length; i++) {
      heap.set(data.subarray(rows[i]! * cols, rows[i]! * cols + cols));
      this.kernels.addWeightedExp(HEAP_AT, accAt, padded, weights[i]!, i === 0 ? 1 : 0);
    }
    const mixture = new Float64Array(this.kernels.memory.buffer, accAt, cols);
    for (let c = 0; c < cols; c++) out[c] = Math.log(mixture[c]!);
  }

  /** Runs `kernel(r)` on a copy of each row r whose `amounts[r]` is not 0, and copies the row back. */
  private editRows(data: Float32Array, rows: number, cols: number, amounts: Float32Array, kernel: (row: number) => void): void {
    const heap = this.reserve(cols);
    for (let r = 0; r < rows; r++) {
      if (amounts[r] === 0) continue;
      const row = data.subarray(r * cols, (r + 1) * cols);
      heap.set(row);
      kernel(r);
      row.set(heap.subarray(0, cols));
    }
  }

  /** log Σ exp of one row, copied to the start of the kernels' memory (left there for the caller). */
  private rowLogSumExp(data: Float32Array, start: number, cols: number): number {
    this.heap.set(data.subarray(start, start + cols));
    const max = this.heap[this.kernels.argmax(HEAP_AT, cols)]!;
    // The reference's edge cases: an all −∞ row has log Σ exp = −∞; a +∞ entry makes it +∞.
    if (!Number.isFinite(max)) return max;
    return max + Math.log(this.kernels.sumExp(HEAP_AT, cols, max));
  }

  /** The scratch rows as float32, grown to hold at least `floats` values. */
  private reserve(floats: number): Float32Array {
    const { memory } = this.kernels;
    const needed = HEAP_AT + floats * 4;
    if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
    if (this.heap.buffer !== memory.buffer) this.heap = new Float32Array(memory.buffer, HEAP_AT);
    return this.heap;
  }
}

/** The fastest TensorBackend this platform runs: SimdBackend where WebAssembly SIMD exists, else ReferenceBackend. */
export function defaultTensorBackend(): TensorBackend {
  return SimdBackend.isSupported() ? new SimdBackend() : new ReferenceBackend();
}
