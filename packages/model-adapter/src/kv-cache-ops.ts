import type { OnnxRuntime, OrtTensor } from './runtime.js';

/**
 * The operations the decoder applies to its key/value tensors (each `[rows, kvHeads, length, headDim]`)
 * between forward passes. Behind an interface so that a backend whose tensors live on a device can
 * run them there (see `OnnxKvCacheOps`); `HostKvCacheOps` does them with typed-array copies.
 *
 * Each call takes every KV tensor of the cache at once (the same rows and length apply to all), so a
 * device implementation can do the whole cache in one dispatch.
 *
 * Ownership: the input tensors stay the caller's. Result i may be input i itself (nothing to do) or
 * share its memory (a view); the caller keeps using the results and disposes input i only when
 * result i is a different object. Implementations never dispose their inputs.
 */
export interface KvCacheOps {
  /** Short name for stats and messages, e.g. `host` or `onnx`. */
  readonly name: string;
  /** Sessions the implementation holds now (device implementations run graphs); absent: none. */
  readonly liveSessions?: number;
  /**
   * For each tensor: new row r is old row `rows[r]` (`null`: rows unchanged), and only the first
   * `length` positions of the sequence axis (axis 2) are kept.
   */
  gatherSlice(kvs: readonly OrtTensor[], rows: Int32Array | null, length: number): Promise<OrtTensor[]>;
  /**
   * For each tensor: `outRows` identical rows, each Σ_i weights[i] · kv[rows[i]] over the first
   * `length` positions (weights are used as given; pass normalised weights for a mean).
   */
  weightedMean(kvs: readonly OrtTensor[], rows: Int32Array, weights: Float32Array, outRows: number, length: number): Promise<OrtTensor[]>;
  /** Releases what the implementation holds (sessions, buffers). */
  dispose(): Promise<void>;
}

type AnyTypedArray = Float32Array | Uint16Array | Float64Array;
type TypedArrayConstructor = new (length: number) => AnyTypedArray;

function kvDims(kv: OrtTensor): [number, number, number, number] {
  const [b, h, s, d] = kv.dims;
  if (kv.dims.length !== 4 || b === undefined || h === undefined || s === undefined || d === undefined) {
    throw new RangeError(`KV tensor must be 4-D [rows, heads, length, headDim], got [${kv.dims.join(', ')}]`);
  }
  return [b, h, s, d];
}

function isContiguousRange(rows: Int32Array): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i] !== rows[0]! + i) return false;
  return true;
}

/**
 * Typed-array implementation for tensors in CPU memory (the CPU execution provider).
 *
 * What copies: a row gather copies `rows × kvHeads × length × headDim` elements, unless the rows are
 * one contiguous ascending range and no positions are dropped, which is a zero-copy view on the batch
 * axis (the outermost one). Dropping positions (axis 2) always copies: the kept positions of each
 * (row, head) are strided. `weightedMean` always allocates its result.
 */
export class HostKvCacheOps implements KvCacheOps {
  readonly name = 'host';
  /** Elements copied so far (for tests and stats). */
  copiedElements = 0;

  constructor(private readonly runtime: Pick<OnnxRuntime, 'Tensor'>) {}

  async gatherSlice(kvs: readonly OrtTensor[], rows: Int32Array | null, length: number): Promise<OrtTensor[]> {
    return kvs.map((kv) => this.gatherSliceOne(kv, rows, length));
  }

  async weightedMean(kvs: readonly OrtTensor[], rows: Int32Array, weights: Float32Array, outRows: number, length: number): Promise<OrtTensor[]> {
    return kvs.map((kv) => this.weightedMeanOne(kv, rows, weights, outRows, length));
  }

  private gatherSliceOne(kv: OrtTensor, rows: Int32Array | null, length: number): OrtTensor {
    const [b, h, s, d] = kvDims(kv);
    if (length > s || length < 0) throw new RangeError(`cannot keep ${length} of ${s} positions`);
    const src = rows ?? Int32Array.from({ length: b }, (_, i) => i);
    for (const r of src) if (r < 0 || r >= b) throw new RangeError(`row ${r} out of range [0, ${b})`);
    const data = kv.data as AnyTypedArray;
    const n = src.length;
    const rowSize = h * s * d;
    if (length === s && (rows === null || (n > 0 && isContiguousRange(src)))) {
      if (rows === null || (n === b && src[0] === 0)) return kv;
      const start = src[0]! * rowSize;
      return new this.runtime.Tensor(kv.type as 'float32', data.subarray(start, start + n * rowSize) as Float32Array, [n, h, s, d]);
    }
    const out = new (data.constructor as TypedArrayConstructor)(n * h * length * d);
    const span = length * d;
    let o = 0;
    for (const r of src) {
      for (let head = 0; head < h; head++) {
        const start = r * rowSize + head * s * d;
        out.set(data.subarray(start, start + span), o);
        o += span;
      }
    }
    this.copiedElements += out.length;
    return new this.runtime.Tensor(kv.type as 'float32', out as Float32Array, [n, h, length, d]);
  }

  private weightedMeanOne(kv: OrtTensor, rows: Int32Array, weights: Float32Array, outRows: number, length: number): OrtTensor {
    const [b, h, s, d] = kvDims(kv);
    if (kv.type !== 'float32') throw new RangeError(`weightedMean supports float32 KV tensors, got ${kv.type}`);
    if (length > s || length < 0) throw new RangeError(`cannot keep ${length} of ${s} positions`);
    if (rows.length !== weights.length || rows.length === 0) throw new RangeError('rows and weights must be non-empty and of equal length');
    const data = kv.data as Float32Array;
    const rowOut = h * length * d;
    const mean = new Float32Array(rowOut);
    const span = length * d;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (r < 0 || r >= b) throw new RangeError(`row ${r} out of range [0, ${b})`);
      const w = weights[i]!;
      for (let head = 0; head < h; head++) {
        const start = (r * h + head) * s * d;
        const o = head * span;
        for (let j = 0; j < span; j++) mean[o + j]! += w * data[start + j]!;
      }
    }
    const out = new Float32Array(outRows * rowOut);
    for (let r = 0; r < outRows; r++) out.set(mean, r * rowOut);
    this.copiedElements += out.length;
    return new this.runtime.Tensor('float32', out, [outRows, h, length, d]);
  }

  async dispose(): Promise<void> {}
}
