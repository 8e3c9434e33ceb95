import type { KvCacheOps } from './kv-cache-ops.js';
import { encodeOnnxModel, type OnnxDataTypeName } from './onnx-builder.js';
import type { OnnxRuntime, OrtSession, OrtSessionOptions, OrtTensor } from './runtime.js';

type KvType = 'float32' | 'float16';
const ONNX_TYPE: Record<KvType, OnnxDataTypeName> = { float32: 'float', float16: 'float16' };
const ONNX_TYPE_CODE: Record<KvType, number> = { float32: 1, float16: 10 };

/** `out = kv[rows][:, :, :length]`: Gather on the batch axis, then Slice on the sequence axis. */
function gatherSliceGraph(type: KvType): Uint8Array {
  return encodeOnnxModel({
    name: 'kv_gather_slice',
    inputs: [
      { name: 'kv', type: ONNX_TYPE[type], shape: ['batch', 'heads', 'seq', 'head_dim'] },
      { name: 'rows', type: 'int64', shape: ['rows'] },
      { name: 'length', type: 'int64', shape: [1] },
    ],
    outputs: [{ name: 'out', type: ONNX_TYPE[type], shape: ['rows', 'heads', 'length', 'head_dim'] }],
    initializers: [
      { name: 'zero', type: 'int64', dims: [1], data: [0] },
      { name: 'axis2', type: 'int64', dims: [1], data: [2] },
    ],
    nodes: [
      { op: 'Gather', inputs: ['kv', 'rows'], outputs: ['gathered'], attributes: { axis: 0 } },
      { op: 'Slice', inputs: ['gathered', 'zero', 'length', 'axis2'], outputs: ['out'] },
    ],
  });
}

/** `out = broadcast(Σ_i weights[i] · kv[rows[i]][:, :length], outRows)`. */
function weightedMeanGraph(type: KvType): Uint8Array {
  return encodeOnnxModel({
    name: 'kv_weighted_mean',
    inputs: [
      { name: 'kv', type: ONNX_TYPE[type], shape: ['batch', 'heads', 'seq', 'head_dim'] },
      { name: 'rows', type: 'int64', shape: ['n'] },
      { name: 'weights', type: 'float', shape: ['n'] },
      { name: 'out_rows', type: 'int64', shape: [1] },
      { name: 'length', type: 'int64', shape: [1] },
    ],
    outputs: [{ name: 'out', type: ONNX_TYPE[type], shape: ['out_rows', 'heads', 'length', 'head_dim'] }],
    initializers: [
      { name: 'zero', type: 'int64', dims: [1], data: [0] },
      { name: 'one', type: 'int64', dims: [1], data: [1] },
      { name: 'four', type: 'int64', dims: [1], data: [4] },
      { name: 'axis0', type: 'int64', dims: [1], data: [0] },
      { name: 'axis2', type: 'int64', dims: [1], data: [2] },
      { name: 'w_shape', type: 'int64', dims: [4], data: [-1, 1, 1, 1] },
    ],
    nodes: [
      { op: 'Gather', inputs: ['kv', 'rows'], outputs: ['gathered'], attributes: { axis: 0 } },
      { op: 'Slice', inputs: ['gathered', 'zero', 'length', 'axis2'], outputs: ['sliced'] },
      { op: 'Cast', inputs: ['weights'], outputs: ['w_cast'], attributes: { to: ONNX_TYPE_CODE[type] } },
      { op: 'Reshape', inputs: ['w_cast', 'w_shape'], outputs: ['w4'] },
      { op: 'Mul', inputs: ['sliced', 'w4'], outputs: ['weighted'] },
      { op: 'ReduceSum', inputs: ['weighted', 'axis0'], outputs: ['sum'], attributes: { keepdims: 1 } },
      { op: 'Shape', inputs: ['sum'], outputs: ['sum_shape'] },
      { op: 'Slice', inputs: ['sum_shape', 'one', 'four'], outputs: ['tail'] },
      { op: 'Concat', inputs: ['out_rows', 'tail'], outputs: ['target'], attributes: { axis: 0 } },
      { op: 'Expand', inputs: ['sum', 'target'], outputs: ['out'] },
    ],
  });
}

/**
 * KV operations as tiny ONNX graphs (Gather on axis 0, Slice on axis 2, a weighted ReduceSum) run by
 * the same runtime and execution provider as the model, so that a backend whose KV tensors live on a
 * device (WebGPU, CUDA with device outputs) never brings them to the host. Every result is a new
 * tensor (the graphs copy on the device); a call with nothing to do returns its input.
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

  /** Sessions created so far (at most one per operation and element type). */
  get liveSessions(): number {
    return this.sessions.size;
  }

  private session(op: 'gatherSlice' | 'weightedMean', type: KvType): Promise<OrtSession> {
    if (this.disposed) return Promise.reject(new Error('OnnxKvCacheOps has been disposed'));
    const key = `${op}:${type}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      const bytes = op === 'gatherSlice' ? gatherSliceGraph(type) : weightedMeanGraph(type);
      session = this.runtime.InferenceSession.create(bytes, this.sessionOptions);
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    return session;
  }

  private kvType(kv: OrtTensor): KvType {
    if (kv.type !== 'float32' && kv.type !== 'float16') throw new RangeError(`KV tensors must be float32 or float16, got ${kv.type}`);
    return kv.type;
  }

  private int64(values: ArrayLike<number>): OrtTensor {
    return new this.runtime.Tensor('int64', BigInt64Array.from(Array.from(values), (v) => BigInt(v)), [values.length]);
  }

  private async run(session: OrtSession, feeds: Record<string, OrtTensor>, owned: OrtTensor[]): Promise<OrtTensor> {
    try {
      const result = await session.run(feeds);
      return result.out as OrtTensor;
    } finally {
      for (const t of owned) t.dispose?.();
    }
  }

  async gatherSlice(kv: OrtTensor, rows: Int32Array | null, length: number): Promise<OrtTensor> {
    const [b, , s] = kv.dims as number[];
    if (rows === null && length === s) return kv;
    if (length < 0 || length > s!) throw new RangeError(`cannot keep ${length} of ${s} positions`);
    const indices = rows ?? Int32Array.from({ length: b! }, (_, i) => i);
    for (const r of indices) if (r < 0 || r >= b!) throw new RangeError(`row ${r} out of range [0, ${b})`);
    const session = await this.session('gatherSlice', this.kvType(kv));
    const rowsTensor = this.int64(indices);
    const lengthTensor = this.int64([length]);
    return this.run(session, { kv, rows: rowsTensor, length: lengthTensor }, [rowsTensor, lengthTensor]);
  }

  async weightedMean(kv: OrtTensor, rows: Int32Array, weights: Float32Array, outRows: number, length: number): Promise<OrtTensor> {
    const [b, , s] = kv.dims as number[];
    if (length < 0 || length > s!) throw new RangeError(`cannot keep ${length} of ${s} positions`);
    if (rows.length !== weights.length || rows.length === 0) throw new RangeError('rows and weights must be non-empty and of equal length');
    for (const r of rows) if (r < 0 || r >= b!) throw new RangeError(`row ${r} out of range [0, ${b})`);
    const session = await this.session('weightedMean', this.kvType(kv));
    const owned = [this.int64(rows), new this.runtime.Tensor('float32', Float32Array.from(weights), [weights.length]), this.int64([outRows]), this.int64([length])];
    const [rowsTensor, weightsTensor, outRowsTensor, lengthTensor] = owned as [OrtTensor, OrtTensor, OrtTensor, OrtTensor];
    return this.run(session, { kv, rows: rowsTensor, weights: weightsTensor, out_rows: outRowsTensor, length: lengthTensor }, owned);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(sessions.map(async (s) => (await s).release()));
  }
}
