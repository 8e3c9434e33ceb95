import type { KvCacheOps } from './kv-cache-ops.js';
import { encodeOnnxModel, type OnnxDataTypeName, type OnnxNode } from './onnx-builder.js';
import type { OnnxRuntime, OrtSession, OrtSessionOptions, OrtTensor } from './runtime.js';

type KvType = 'float32' | 'float16';
const ONNX_TYPE: Record<KvType, OnnxDataTypeName> = { float32: 'float', float16: 'float16' };
const ONNX_TYPE_CODE: Record<KvType, number> = { float32: 1, float16: 10 };

const kvInput = (type: KvType, i: number) => ({ name: `kv_${i}`, type: ONNX_TYPE[type], shape: [`batch_${i}`, `heads_${i}`, `seq_${i}`, `dim_${i}`] });

/** For i < count: `out_i = kv_i[rows][:, :, :length]` (Gather on the batch axis, Slice on the sequence axis). */
function gatherSliceGraph(type: KvType, count: number): Uint8Array {
  const each = Array.from({ length: count }, (_, i) => i);
  return encodeOnnxModel({
    name: 'kv_gather_slice',
    inputs: [...each.map((i) => kvInput(type, i)), { name: 'rows', type: 'int64', shape: ['rows'] }, { name: 'length', type: 'int64', shape: [1] }],
    outputs: each.map((i) => ({ name: `out_${i}`, type: ONNX_TYPE[type], shape: ['rows', `heads_${i}`, 'length', `dim_${i}`] })),
    initializers: [
      { name: 'zero', type: 'int64', dims: [1], data: [0] },
      { name: 'axis2', type: 'int64', dims: [1], data: [2] },
    ],
    nodes: each.flatMap((i): OnnxNode[] => [
      { op: 'Gather', inputs: [`kv_${i}`, 'rows'], outputs: [`gathered_${i}`], attributes: { axis: 0 } },
      { op: 'Slice', inputs: [`gathered_${i}`, 'zero', 'length', 'axis2'], outputs: [`out_${i}`] },
    ]),
  });
}

/** For i < count: `out_i = broadcast(Σ_j weights[j] · kv_i[rows[j]][:, :length], outRows)`. */
function weightedMeanGraph(type: KvType, count: number): Uint8Array {
  const each = Array.from({ length: count }, (_, i) => i);
  return encodeOnnxModel({
    name: 'kv_weighted_mean',
    inputs: [
      ...each.map((i) => kvInput(type, i)),
      { name: 'rows', type: 'int64', shape: ['n'] },
      { name: 'weights', type: 'float', shape: ['n'] },
      { name: 'out_rows', type: 'int64', shape: [1] },
      { name: 'length', type: 'int64', shape: [1] },
    ],
    outputs: each.map((i) => ({ name: `out_${i}`, type: ONNX_TYPE[type], shape: ['out_rows', `heads_${i}`, 'length', `dim_${i}`] })),
    initializers: [
      { name: 'zero', type: 'int64', dims: [1], data: [0] },
      { name: 'one', type: 'int64', dims: [1], data: [1] },
      { name: 'four', type: 'int64', dims: [1], data: [4] },
      { name: 'axis0', type: 'int64', dims: [1], data: [0] },
      { name: 'axis2', type: 'int64', dims: [1], data: [2] },
      { name: 'w_shape', type: 'int64', dims: [4], data: [-1, 1, 1, 1] },
    ],
    nodes: [
      { op: 'Cast', inputs: ['weights'], outputs: ['w_cast'], attributes: { to: ONNX_TYPE_CODE[type] } },
      { op: 'Reshape', inputs: ['w_cast', 'w_shape'], outputs: ['w4'] },
      ...each.flatMap((i): OnnxNode[] => [
        { op: 'Gather', inputs: [`kv_${i}`, 'rows'], outputs: [`gathered_${i}`], attributes: { axis: 0 } },
        { op: 'Slice', inputs: [`gathered_${i}`, 'zero', 'length', 'axis2'], outputs: [`sliced_${i}`] },
        { op: 'Mul', inputs: [`sliced_${i}`, 'w4'], outputs: [`weighted_${i}`] },
        { op: 'ReduceSum', inputs: [`weighted_${i}`, 'axis0'], outputs: [`sum_${i}`], attributes: { keepdims: 1 } },
        { op: 'Shape', inputs: [`sum_${i}`], outputs: [`sum_shape_${i}`] },
        { op: 'Slice', inputs: [`sum_shape_${i}`, 'one', 'four'], outputs: [`tail_${i}`] },
        { op: 'Concat', inputs: ['out_rows', `tail_${i}`], outputs: [`target_${i}`], attributes: { axis: 0 } },
        { op: 'Expand', inputs: [`sum_${i}`, `target_${i}`], outputs: [`out_${i}`] },
      ]),
    ],
  });
}

/**
 * KV operations as tiny ONNX graphs (Gather on axis 0, Slice on axis 2, a weighted ReduceSum) run by
 * the same runtime and execution provider as the model, so that a backend whose KV tensors live on a
 * device (WebGPU, CUDA with device outputs) never brings them to the host. One graph covers every
 * tensor of the cache, so an operation is one `run` (the graph is built once per tensor count and
 * element type). Every result is a new tensor (the graphs copy on the device); a call with nothing to
 * do returns its inputs.
 */
export class OnnxKvCacheOps implements KvCacheOps {
  readonly name = 'onnx';
  private readonly sessions = new Map<string, Promise<OrtSession>>();
  private disposed = false;

  /**
   * @param sessionOptions options for the graphs' sessions; give the model's execution providers
   *   (and e.g. `preferredOutputLocation` on WebGPU so results stay on the device).
   */
  constructor(
    private readonly runtime: OnnxRuntime,
    private readonly sessionOptions: OrtSessionOptions = {},
  ) {}

  /** Sessions created so far (at most one per operation, element type and tensor count). */
  get liveSessions(): number {
    return this.sessions.size;
  }

  private session(op: 'gatherSlice' | 'weightedMean', type: KvType, count: number): Promise<OrtSession> {
    if (this.disposed) return Promise.reject(new Error('OnnxKvCacheOps has been disposed'));
    const key = `${op}:${type}:${count}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      const bytes = op === 'gatherSlice' ? gatherSliceGraph(type, count) : weightedMeanGraph(type, count);
      session = this.runtime.InferenceSession.create(bytes, this.sessionOptions);
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    return session;
  }

  /** The element type shared by every tensor, and the batch size and sequence length (shared too). */
  private shapeOf(kvs: readonly OrtTensor[]): { type: KvType; batch: number; seq: number } {
    const first = kvs[0];
    if (first === undefined) throw new RangeError('no KV tensors given');
    const type = first.type;
    if (type !== 'float32' && type !== 'float16') throw new RangeError(`KV tensors must be float32 or float16, got ${type}`);
    const [batch, , seq] = first.dims as number[];
    for (const kv of kvs) {
      if (kv.dims.length !== 4) throw new RangeError(`KV tensor must be 4-D [rows, heads, length, headDim], got [${kv.dims.join(', ')}]`);
      if (kv.type !== type || kv.dims[0] !== batch || kv.dims[2] !== seq) {
        throw new RangeError(`KV tensors must share type, rows and length: ${type} [${first.dims.join(', ')}] vs ${kv.type} [${kv.dims.join(', ')}]`);
      }
    }
    return { type, batch: batch!, seq: seq! };
  }

  private int64(values: ArrayLike<number>): OrtTensor {
    return new this.runtime.Tensor('int64', BigInt64Array.from(Array.from(values), (v) => BigInt(v)), [values.length]);
  }

  /** Runs `session` on the KV tensors plus `extra` feeds (disposed afterwards); returns out_0.. in order. */
  private async run(session: OrtSession, kvs: readonly OrtTensor[], extra: Record<string, OrtTensor>): Promise<OrtTensor[]> {
    const feeds: Record<string, OrtTensor> = { ...extra };
    kvs.forEach((kv, i) => {
      feeds[`kv_${i}`] = kv;
    });
    try {
      const result = await session.run(feeds);
      return kvs.map((_, i) => result[`out_${i}`] as OrtTensor);
    } finally {
      for (const t of Object.values(extra)) t.dispose?.();
    }
  }

  async gatherSlice(kvs: readonly OrtTensor[], rows: Int32Array | null, length: number): Promise<OrtTensor[]> {
    if (kvs.length === 0) return [];
    const { type, batch, seq } = this.shapeOf(kvs);
    if (rows === null && length === seq) return [...kvs];
    if (length < 0 || length > seq) throw new RangeError(`cannot keep ${length} of ${seq} positions`);
    const indices = rows ?? Int32Array.from({ length: batch }, (_, i) => i);
    for (const r of indices) if (r < 0 || r >= batch) throw new RangeError(`row ${r} out of range [0, ${batch})`);
    const session = await this.session('gatherSlice', type, kvs.length);
    return this.run(session, kvs, { rows: this.int64(indices), length: this.int64([length]) });
  }

  async weightedMean(kvs: readonly OrtTensor[], rows: Int32Array, weights: Float32Array, outRows: number, length: number): Promise<OrtTensor[]> {
    if (kvs.length === 0) return [];
    const { type, batch, seq } = this.shapeOf(kvs);
    if (length < 0 || length > seq) throw new RangeError(`cannot keep ${length} of ${seq} positions`);
    if (rows.length !== weights.length || rows.length === 0) throw new RangeError('rows and weights must be non-empty and of equal length');
    for (const r of rows) if (r < 0 || r >= batch) throw new RangeError(`row ${r} out of range [0, ${batch})`);
    const session = await this.session('weightedMean', type, kvs.length);
    return this.run(session, kvs, {
      rows: this.int64(rows),
      weights: new this.runtime.Tensor('float32', Float32Array.from(weights), [weights.length]),
      out_rows: this.int64([outRows]),
      length: this.int64([length]),
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(sessions.map(async (s) => (await s).release()));
  }
}
