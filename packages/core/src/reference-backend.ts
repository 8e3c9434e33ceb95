import { ModelError } from './errors.js';
import { expNonPositive } from './exp-table.js';
import { gumbelQuantile, mixSeedKey, seedKey } from './random.js';
import type { RowValues, Tensor, TensorBackend } from './tensor-backend.js';

/** Columns per block in probabilityCosineSimilarity (8 rows × 2048 doubles stay in L2 cache). */
const COSINE_BLOCK = 2048;

class ReferenceTensor implements Tensor {
  disposed = false;
  constructor(
    readonly data: Float32Array,
    readonly dims: readonly [number, number],
  ) {}
}

/**
 * The default TensorBackend: plain typed arrays on the host. Loops are written once per row with no
 * allocation per element, and top-k is a bounded insertion (no full sort of the vocabulary).
 */
export class ReferenceBackend implements TensorBackend {
  readonly name: string = 'reference';
  private live = 0;
  /** Reused by probabilityCosineSimilarity: one column block of every row's probabilities. */
  private probabilityScratch = new Float64Array(0);

  get liveTensors(): number {
    return this.live;
  }

  fromHost(data: Float32Array, dims: readonly [number, number]): Tensor {
    if (data.length !== dims[0] * dims[1]) {
      throw new ModelError(`Tensor data of length ${data.length} does not match dims [${dims.join(', ')}].`);
    }
    this.live++;
    return new ReferenceTensor(data, [dims[0], dims[1]]);
  }

  toHost(tensor: Tensor): Float32Array {
    return this.unwrap(tensor).data.slice();
  }

  dispose(tensor: Tensor): void {
    const t = tensor as ReferenceTensor;
    if (t.disposed) return;
    t.disposed = true;
    this.live--;
  }

  clone(tensor: Tensor): Tensor {
    const t = this.unwrap(tensor);
    return this.fromHost(t.data.slice(), t.dims);
  }

  gatherRows(tensor: Tensor, rows: Int32Array): Tensor {
    const { data, dims } = this.unwrap(tensor);
    const cols = dims[1];
    const out = new Float32Array(rows.length * cols);
    for (let r = 0; r < rows.length; r++) out.set(data.subarray(rows[r]! * cols, (rows[r]! + 1) * cols), r * cols);
    return this.fromHost(out, [rows.length, cols]);
  }

  exp(tensor: Tensor): void {
    const { data } = this.unwrap(tensor);
    for (let i = 0; i < data.length; i++) data[i] = Math.exp(data[i]!);
  }

  logSoftmax(tensor: Tensor): void {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    for (let r = 0; r < rows; r++) {
      const start = r * cols;
      const lse = rowLogSumExp(data, start, cols);
      for (let i = start, end = start + cols; i < end; i++) data[i] = data[i]! - lse;
    }
  }

  argmax(tensor: Tensor): RowValues {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    const indices = new Int32Array(rows);
    const values = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      indices[r] = rowArgmax(data, r * cols, cols);
      values[r] = data[r * cols + indices[r]!]!;
    }
    return { indices, values };
  }

  greedyLogProbs(tensor: Tensor): RowValues {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    const indices = new Int32Array(rows);
    const values = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const { best, max, sum } = rowMaxAndExpSum(data, r * cols, cols);
      indices[r] = best;
      values[r] = Number.isFinite(max) ? -Math.log(sum) : Number.POSITIVE_INFINITY;
    }
    return { indices, values };
  }

  logSumExp(tensor: Tensor): Float32Array {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) out[r] = rowLogSumExp(data, r * cols, cols);
    return out;
  }

  topK(tensor: Tensor, k: number): RowValues {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    const kk = Math.min(k, cols);
    const indices = new Int32Array(rows * kk);
    const values = new Float32Array(rows * kk);
    for (let r = 0; r < rows; r++) {
      const start = r * cols;
      const base = r * kk;
      let filled = 0;
      // The k-th value once the list is full, kept in a local: most elements stop at this comparison.
      let kth = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < cols; c++) {
        const x = data[start + c]!;
        if (filled === kk && !(x > kth)) continue;
        filled = insertDescending(values, indices, base, kk, filled, x, c);
        if (filled === kk) kth = values[base + kk - 1]!;
      }
    }
    return { indices, values };
  }

  gather(tensor: Tensor, columns: Int32Array): Float32Array {
    const { data, dims } = this.unwrap(tensor);
    const out = new Float32Array(dims[0]);
    for (let r = 0; r < dims[0]; r++) out[r] = data[r * dims[1] + columns[r]!]!;
    return out;
  }

  setElements(tensor: Tensor, rows: Int32Array, columns: Int32Array, values: Float32Array): void {
    const { data, dims } = this.unwrap(tensor);
    for (let i = 0; i < rows.length; i++) data[rows[i]! * dims[1] + columns[i]!] = values[i]!;
  }

  shiftRows(tensor: Tensor, shifts: Float32Array): void {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    for (let r = 0; r < rows; r++) {
      const shift = shifts[r]!;
      if (shift === 0) continue;
      for (let i = r * cols, end = i + cols; i < end; i++) data[i] = data[i]! + shift;
    }
  }

  addGumbelNoise(tensor: Tensor, scales: Float32Array, seeds: Uint32Array): void {
    const { data, dims } = this.unwrap(tensor);
    const [rows, cols] = dims;
    for (let r = 0; r < rows; r++) {
      const scale = scales[r]!;
      if (scale === 0) continue;
      const key = seedKey(seeds[r]!);
      const start = r * cols;
      for (let c = 0; c < cols; c++) {
        data[start + c] = data[start + c]! + scale * gumbelQuantile(mixSeedKey(key, c));
      }
    }
  }

  probabilityCosineSimilarity(logProbs: Tensor): Float32Array {
    const { data, dims } = this.unwrap(logProbs);
    const [rows, cols] = dims;
    const gram = new Float64Array(rows * rows);
    const block = Math.min(cols, COSINE_BLOCK);
    if (this.probabilityScratch.length < rows * block) this.probabilityScratch = new Float64Array(rows * block);
    const p = this.probabilityScratch;
    // Column blocks: each row's probabilities once (contiguous), then the upper triangle of the Gram
    // matrix as row-pair dot products; every entry still sums its terms in column order.
    for (let from = 0; from < cols; from += block) {
      const width = Math.min(block, cols - from);
      for (let r = 0; r < rows; r++) probabilitiesInto(p, r * block, data, r * cols + from, width);
      for (let i = 0; i < rows; i++) {
        for (let j = i; j < rows; j++) gram[i * rows + j] = addDotProduct(gram[i * rows + j]!, p, i * block, j * block, width);
      }
    }
    return cosineFromGram(gram, rows);
  }

  mixLogProbs(logProbs: Tensor, rows: Int32Array, weights: Float32Array, out: Float32Array): void {
    const { data, dims } = this.unwrap(logProbs);
    const cols = dims[1];
    if (rows.length === 1 && weights[0] === 1) {
      out.set(data.subarray(rows[0]! * cols, rows[0]! * cols + cols));
      return;
    }
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      for (let i = 0; i < rows.length; i++) sum += weights[i]! * expNonPositive(data[rows[i]! * cols + c]!);
      out[c] = Math.log(sum);
    }
  }

  protected unwrap(tensor: Tensor): { readonly data: Float32Array; readonly dims: readonly [number, number] } {
    const t = tensor as ReferenceTensor;
    if (!(t instanceof ReferenceTensor)) throw new TypeError('Tensor does not belong to the reference backend.');
    if (t.disposed) throw new TypeError('Tensor used after dispose().');
    return t;
  }
}

/**
 * @internal Inserts (x, column) into the descending top-k list at `base` that holds `filled` of `k`
 * entries (a full list drops its last); ties keep the lower column first. Returns the new count.
 */
export function insertDescending(
  values: Float32Array,
  indices: Int32Array,
  base: number,
  k: number,
  filled: number,
  x: number,
  column: number,
): number {
  let pos = filled < k ? filled : k - 1;
  while (pos > 0 && x > values[base + pos - 1]!) {
    values[base + pos] = values[base + pos - 1]!;
    indices[base + pos] = indices[base + pos - 1]!;
    pos--;
  }
  values[base + pos] = x;
  indices[base + pos] = column;
  return filled < k ? filled + 1 : k;
}

/** @internal The cosine matrix (`rows × rows`, float32) of rows whose Gram matrix's upper triangle is `gram`. */
export function cosineFromGram(gram: Float64Array, rows: number): Float32Array {
  const out = new Float32Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < rows; j++) {
      const denom = Math.sqrt(gram[i * rows + i]! * gram[j * rows + j]!);
      const cos = denom > 0 ? gram[i * rows + j]! / denom : 0;
      out[i * rows + j] = cos;
      out[j * rows + i] = cos;
    }
  }
  return out;
}

function probabilitiesInto(out: Float64Array, at: number, logProbs: Float32Array, from: number, length: number): void {
  for (let c = 0; c < length; c++) out[at + c] = expNonPositive(logProbs[from + c]!);
}

/** `sum` plus Σ_c x[a + c]·x[b + c], added in column order. */
function addDotProduct(sum: number, x: Float64Array, a: number, b: number, length: number): number {
  for (let c = 0; c < length; c++) sum += x[a + c]! * x[b + c]!;
  return sum;
}

/** Index of the row's maximum (the lowest among ties). */
function rowArgmax(data: Float32Array, start: number, length: number): number {
  let best = 0;
  let max = data[start]!;
  for (let c = 1; c < length; c++) {
    if (data[start + c]! > max) {
      max = data[start + c]!;
      best = c;
    }
  }
  return best;
}

/**
 * The row's maximum, its index (the lowest among ties) and Σ exp(x − max), in one pass: the running sum
 * is rescaled whenever the maximum moves (exact up to float64 rounding).
 */
function rowMaxAndExpSum(data: Float32Array, start: number, length: number): { best: number; max: number; sum: number } {
  let best = 0;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let c = 0; c < length; c++) {
    const x = data[start + c]!;
    if (x > max) {
      sum = sum * expNonPositive(max - x) + 1;
      max = x;
      best = c;
    } else {
      sum += expNonPositive(x - max);
    }
  }
  return { best, max, sum };
}

/** log Σ exp over the row; −∞ for an all −∞ row, +∞ when an entry is +∞. */
function rowLogSumExp(data: Float32Array, start: number, length: number): number {
  const { max, sum } = rowMaxAndExpSum(data, start, length);
  return Number.isFinite(max) ? max + Math.log(sum) : max;
}
