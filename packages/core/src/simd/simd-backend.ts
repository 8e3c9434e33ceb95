import { BackendUnavailableError } from '../errors.js';
import { GUMBEL_TABLE, seedKey } from '../random.js';
import { cosineFromGram, insertDescending, ReferenceBackend } from '../reference-backend.js';
import type { RowValues, Tensor, TensorBackend } from '../tensor-backend.js';
import { type KernelExports, kernelsModule } from './kernels-module.js';

/** Columns per block of the Gram matrix (8 rows × 4096 float32 stay in L2 cache). */
const GRAM_BLOCK = 4096;
const PAGE_BYTES = 65536;
/**
 * Memory layout: the Gumbel quantile table, the probability shadow (grown to the largest tensor
 * log-softmaxed so far), then the scratch rows (`heap`) the ops copy data into.
 */
const TABLE_AT = 0;
const SHADOW_AT = TABLE_AT + GUMBEL_TABLE.byteLength;

/**
 * The last log-softmaxed tensor's probabilities up to a factor per row: entry [r, c] of the shadow
 * region is exp(tensor[r, c] + logScale[r]). logSoftmax writes it as a by-product of its exponentials,
 * so the probability cosine that follows in an iteration (the diversity term) needs no second
 * exponential pass; the cosine ignores a row's scale.
 */
interface ProbabilityShadow {
  readonly tensor: Tensor;
  readonly logScale: Float64Array;
}

/**
 * A TensorBackend whose vocabulary-sized passes run as WebAssembly SIMD kernels: argmax, log-sum-exp
 * (log-softmax, greedy log-probabilities), top-k, Gumbel noise, row shifts, the probability cosine and
 * the mixture of distributions (fusion).
 * Tensors are the ReferenceBackend's host arrays, so every other op is the reference's. Rows are copied
 * into the module's memory for each op (a copy costs a fraction of one pass of JavaScript).
 * The probabilities of the last log-softmaxed tensor stay in that memory (see ProbabilityShadow):
 * setElements and shiftRows keep them current, the other in-place ops and dispose drop them.
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
  /** Byte offset of the scratch rows (after the shadow region). */
  private heapAt = SHADOW_AT;
  private shadow: ProbabilityShadow | undefined;

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
      const best = this.kernels.argmax(this.heapAt, cols);
      const max = heap[best]!;
      indices[r] = best;
      // An infinite maximum has no finite log-probability (the reference's value is +Infinity too).
      values[r] = Number.isFinite(max) ? -Math.log(this.kernels.sumExp(this.heapAt, cols, max, 0)) : Number.POSITIVE_INFINITY;
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
    this.shadow = undefined;
    this.reserveShadow(rows * cols);
    const heap = this.reserve(cols);
    const logScale = new Float64Array(rows);
    let finite = true;
    for (let r = 0; r < rows; r++) {
      const max = this.loadRowMax(data, r * cols, cols);
      // exp(x − max) = exp(logProb + log Σ): the shadow's factor is the row's log Σ.
      const logSum = Number.isFinite(max) ? Math.log(this.kernels.sumExp(this.heapAt, cols, max, SHADOW_AT + 4 * r * cols)) : Number.NaN;
      const lse = Number.isFinite(max) ? max + logSum : max;
      logScale[r] = logSum;
      finite &&= Number.isFinite(lse);
      this.kernels.subtract(this.heapAt, cols, lse);
      data.set(heap.subarray(0, cols), r * cols);
    }
    // Rows with ±∞ or NaN keep the reference's edge cases: the cosine recomputes from the values.
    if (finite) this.shadow = { tensor, logScale };
  }

  override exp(tensor: Tensor): void {
    this.dropShadow(tensor);
    super.exp(tensor);
  }

  override dispose(tensor: Tensor): void {
    this.dropShadow(tensor);
    super.dispose(tensor);
  }

  override setElements(tensor: Tensor, rows: Int32Array, columns: Int32Array, values: Float32Array): void {
    super.setElements(tensor, rows, columns, values);
    const shadow = this.shadow;
    if (shadow?.tensor !== tensor) return;
    const cols = tensor.dims[1];
    const probabilities = new Float32Array(this.kernels.memory.buffer, SHADOW_AT, tensor.dims[0] * cols);
    for (let i = 0; i < rows.length; i++) {
      const value = values[i]!;
      // A log-probability above 0 (or NaN) would meet the exponential kernel's clamp: recompute then.
      if (!(value <= 0)) {
        this.shadow = undefined;
        return;
      }
      probabilities[rows[i]! * cols + columns[i]!] = Math.exp(value + shadow.logScale[rows[i]!]!);
    }
  }

  override shiftRows(tensor: Tensor, shifts: Float32Array): void {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    // float32(x − (−s)) is float32(x + s), the reference's rounding.
    this.editRows(data, rows, cols, shifts, (r) => this.kernels.subtract(this.heapAt, cols, -shifts[r]!));
    // A shift rescales the row's probabilities: the shadow's entries stay, its factor follows.
    const shadow = this.shadow;
    if (shadow?.tensor === tensor) for (let r = 0; r < rows; r++) shadow.logScale[r]! -= shifts[r]!;
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
          c = this.kernels.firstAbove(this.heapAt, c, cols, kth);
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
    this.dropShadow(tensor);
    this.editRows(data, rows, cols, scales, (r) => this.kernels.addGumbel(this.heapAt, cols, seedKey(seeds[r]!), scales[r]!, TABLE_AT));
  }

  override probabilityCosineSimilarity(logProbs: Tensor): Float32Array {
    const { data, dims } = this.unwrap(logProbs);
    const [rows, cols] = dims;
    if (this.shadow?.tensor === logProbs) return this.cosineOfRows(SHADOW_AT, rows, cols);
    // The shadow's values, made here: each row as exp(x − max) (the cosine ignores a row's scale), after
    // the one-row scratch. A row without a finite maximum keeps exp(x) and the reference's edge cases.
    const rowsAt = this.heapAt + 4 * ((cols + 3) & ~3);
    const heap = this.reserve((rowsAt - this.heapAt) / 4 + rows * cols);
    for (let r = 0; r < rows; r++) {
      const max = this.loadRowMax(data, r * cols, cols);
      const at = rowsAt + 4 * r * cols;
      if (Number.isFinite(max)) {
        this.kernels.sumExp(this.heapAt, cols, max, at);
      } else {
        heap.copyWithin((at - this.heapAt) / 4, 0, cols);
        this.kernels.expInPlace(at, cols);
      }
    }
    return this.cosineOfRows(rowsAt, rows, cols);
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
    const accAt = this.heapAt + 4 * padded;
    for (let i = 0; i < rows.length; i++) {
      heap.set(data.subarray(rows[i]! * cols, rows[i]! * cols + cols));
      this.kernels.addWeightedExp(this.heapAt, accAt, padded, weights[i]!, i === 0 ? 1 : 0);
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

  /** Copies one row to the start of the scratch rows and returns its maximum. */
  private loadRowMax(data: Float32Array, start: number, cols: number): number {
    this.heap.set(data.subarray(start, start + cols));
    return this.heap[this.kernels.argmax(this.heapAt, cols)]!;
  }

  /** log Σ exp of one row (the row is left in the scratch rows). */
  private rowLogSumExp(data: Float32Array, start: number, cols: number): number {
    const max = this.loadRowMax(data, start, cols);
    // The reference's edge cases: an all −∞ row has log Σ exp = −∞; a +∞ entry makes it +∞.
    if (!Number.isFinite(max)) return max;
    return max + Math.log(this.kernels.sumExp(this.heapAt, cols, max, 0));
  }

  /** Cosine similarity of the `rows × cols` float32 probability rows at byte offset `at`. */
  private cosineOfRows(at: number, rows: number, cols: number): Float32Array {
    const gram = new Float64Array(rows * rows);
    for (let from = 0; from < cols; from += GRAM_BLOCK) {
      const width = Math.min(GRAM_BLOCK, cols - from);
      for (let i = 0; i < rows; i++) {
        for (let j = i; j < rows; j++) gram[i * rows + j]! += this.kernels.dot(at + 4 * (i * cols + from), at + 4 * (j * cols + from), width);
      }
    }
    return cosineFromGram(gram, rows);
  }

  private dropShadow(tensor: Tensor): void {
    if (this.shadow?.tensor === tensor) this.shadow = undefined;
  }

  /** Grows the shadow region to `floats` values, moving the scratch rows after it. */
  private reserveShadow(floats: number): void {
    const at = SHADOW_AT + ((floats * 4 + 15) & ~15);
    if (at > this.heapAt) this.heapAt = at;
  }

  /** The scratch rows as float32, grown to hold at least `floats` values. */
  private reserve(floats: number): Float32Array {
    const { memory } = this.kernels;
    const needed = this.heapAt + floats * 4;
    if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
    if (this.heap.buffer !== memory.buffer || this.heap.byteOffset !== this.heapAt) this.heap = new Float32Array(memory.buffer, this.heapAt);
    return this.heap;
  }
}

/** The fastest TensorBackend this platform runs: SimdBackend where WebAssembly SIMD exists, else ReferenceBackend. */
export function defaultTensorBackend(): TensorBackend {
  return SimdBackend.isSupported() ? new SimdBackend() : new ReferenceBackend();
}
