import {
  ContextLengthError,
  type DecoderModel,
  type DecoderModelInfo,
  type DecoderSequence,
  ModelError,
  type HostLogits,
  type ModelResources,
  type StepInput,
  UnsupportedFeatureError,
} from '@reasonflow/core';
import { EmbeddingRows } from './embedding-rows.js';
import { float16BitsInto, float32ToFloat16Bits, toFloat32 } from './float16.js';
import type { DecoderGraph, EmbedGraph, FloatType, IntType } from './graph-signature.js';
import type { KvCacheOps } from './kv-cache-ops.js';
import type { ModelConfig } from './model-config.js';
import type { ModelEventHub, ModelEventListener } from './model-events.js';
import type { OnnxRuntime, OrtSession, OrtTensor } from './runtime.js';

/** Embedding rows kept per model (see EmbeddingRows): 16 MiB, ~4,700 tokens at width 896. */
const EMBEDDING_CACHE_BYTES = 16 * 2 ** 20;

/** Counts the ORT tensors the adapter owns (and which of them live on a device), so that leaks show. */
class TensorTracker {
  live = 0;
  liveOnDevice = 0;
  createdOnDevice = 0;
  adopt<T extends OrtTensor>(tensor: T): T {
    this.live++;
    if (onDevice(tensor)) {
      this.liveOnDevice++;
      this.createdOnDevice++;
    }
    return tensor;
  }
  release(tensor: OrtTensor | undefined): void {
    if (tensor === undefined) return;
    this.live--;
    if (onDevice(tensor)) this.liveOnDevice--;
    tensor.dispose?.();
  }
}

function onDevice(tensor: OrtTensor): boolean {
  return tensor.location !== 'cpu' && tensor.location !== 'cpu-pinned';
}

/** Live resources of one loaded ONNX model, for leak checks and status lines (all 0 once disposed). */
export interface ResourceCounts {
  /** ONNX sessions not yet released: the model's graphs and the KV-operation graphs. */
  readonly sessions: number;
  /** Tensors the adapter holds on a device (GPU buffers of KV caches). */
  readonly deviceTensors: number;
  /** Device tensors created so far (how much the device allocated). */
  readonly deviceTensorsCreated: number;
  /** ORT tensors the adapter holds (KV caches and feeds of live sequences), host and device. */
  readonly adapterTensors: number;
  /** Sequences started and not yet disposed. */
  readonly sequences: number;
}

/** @internal What `loadModelFolder` hands the model; not part of the public API. */
export interface DecoderParts {
  readonly runtime: OnnxRuntime;
  readonly config: ModelConfig;
  readonly eosTokenIds: readonly number[];
  readonly tokenGraph?: DecoderGraph;
  readonly embedsGraph?: DecoderGraph;
  readonly embedGraph?: EmbedGraph;
  readonly embeddingSize?: number;
  readonly kvOps: KvCacheOps;
  readonly sessions: readonly OrtSession[];
  /** Listeners registered through the load options (`onEvent`) or `observe`. */
  readonly events: ModelEventHub;
  /**
   * Once a sequence has fed embeddings, its token steps run through the embed graph and the embeddings
   * decoder too. Set for host (CPU) sessions: alternating two decoder sessions evicts each one's
   * weights from the CPU caches (measured on the embedded model: a batch-4 step costs 1.5–2× as
   * much when the two decoders alternate as when one of them runs every step).
   */
  readonly tokensFollowEmbeddings?: boolean;
}

/**
 * A decoder-only ONNX model (Hugging Face / Optimum export layout) behind core's `DecoderModel`.
 * Create it with `loadModelFolder`.
 */
export class OnnxDecoderModel implements DecoderModel {
  readonly info: DecoderModelInfo;
  /** Present exactly when the folder has the inputs_embeds pair (`info.embeddingSize` is set). */
  readonly embedTokens?: (tokens: Int32Array) => Promise<Float32Array>;
  /** @internal */
  readonly tracker = new TensorTracker();
  /** @internal */
  readonly events: ModelEventHub;
  private readonly sequences = new Set<OnnxDecoderSequence>();
  private liveSessionCount: number;
  private disposed = false;

  /** @internal Use `loadModelFolder`. */
  constructor(private readonly parts: DecoderParts) {
    this.liveSessionCount = parts.sessions.length;
    this.events = parts.events;
    this.info = Object.freeze({
      vocabSize: parts.config.vocabSize,
      maxSequenceLength: parts.config.maxPositionEmbeddings,
      eosTokenIds: Object.freeze([...parts.eosTokenIds]),
      ...(parts.embeddingSize !== undefined ? { embeddingSize: parts.embeddingSize } : {}),
      kvBytesPerPosition: kvBytesPerPosition(parts.config, (parts.tokenGraph ?? parts.embedsGraph)?.kvType ?? 'float32'),
    });
    if (parts.embedGraph !== undefined && parts.embeddingSize !== undefined) {
      const graph = parts.embedGraph;
      const width = parts.embeddingSize;
      const rows = new EmbeddingRows(width, EMBEDDING_CACHE_BYTES);
      this.embedTokens = (tokens) => {
        this.assertLive();
        return rows.lookup(tokens, (missing) => this.runEmbed(graph, width, missing));
      };
    }
  }

  /** The config fields the model runs with. */
  get config(): ModelConfig {
    return this.parts.config;
  }
  /** Element type of the KV cache. `mergeRows` is offered for float32 caches only. */
  get kvCacheType(): FloatType {
    return (this.parts.tokenGraph ?? this.parts.embedsGraph)?.kvType ?? 'float32';
  }
  /** Which KV operations implementation the sequences use (`host`, `onnx`, ...). */
  get kvCacheOps(): KvCacheOps {
    return this.parts.kvOps;
  }
  /** ONNX sessions not yet released. */
  get liveSessions(): number {
    return this.liveSessionCount;
  }
  /** ORT tensors held by the adapter (KV caches of live sequences); 0 once everything is disposed. */
  get liveTensors(): number {
    return this.tracker.live;
  }
  /** Sequences started and not yet disposed. */
  get liveSequences(): number {
    return this.sequences.size;
  }
  async resources(): Promise<ModelResources> {
    const counts = this.resourceCounts();
    return { sessions: counts.sessions, tensors: counts.adapterTensors, sequences: counts.sequences };
  }
  /** Live sessions (model and KV-operation graphs), tensors (host and device) and sequences, now. */
  resourceCounts(): ResourceCounts {
    return {
      sessions: this.liveSessionCount + (this.parts.kvOps.liveSessions ?? 0),
      deviceTensors: this.tracker.liveOnDevice,
      deviceTensorsCreated: this.tracker.createdOnDevice,
      adapterTensors: this.tracker.live,
      sequences: this.sequences.size,
    };
  }
  /**
   * Hears every forward pass and KV operation of this model's sequences (with durations), until the
   * returned function is called. For benchmarks and dashboards; no listener, no timing cost.
   */
  observe(listener: ModelEventListener): () => void {
    return this.events.add(listener);
  }
  /** The graphs the model runs, e.g. `['onnx/model.onnx']`. */
  get files(): string[] {
    return [this.parts.tokenGraph, this.parts.embedsGraph, this.parts.embedGraph].filter((g) => g !== undefined).map((g) => g.file);
  }

  async startSequence(options: { readonly rows: number }): Promise<OnnxDecoderSequence> {
    this.assertLive();
    if (!Number.isSafeInteger(options.rows) || options.rows < 1) throw new RangeError(`rows must be an integer ≥ 1, got ${options.rows}`);
    const sequence = new OnnxDecoderSequence(this, this.parts, options.rows, () => this.sequences.delete(sequence));
    this.sequences.add(sequence);
    return sequence;
  }

  /** Disposes every sequence, releases the sessions and the KV operations. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const sequence of [...this.sequences]) await sequence.dispose();
    await this.parts.kvOps.dispose();
    for (const session of this.parts.sessions) {
      await session.release();
      this.liveSessionCount--;
    }
  }

  /** @internal */
  assertLive(): void {
    if (this.disposed) throw new ModelError('The model has been disposed.');
  }

  private async runEmbed(graph: EmbedGraph, width: number, tokens: Int32Array): Promise<Float32Array> {
    this.assertLive();
    const ids = this.tracker.adopt(intTensor(this.parts.runtime, graph.idsType, tokens, [1, tokens.length]));
    let results: Record<string, OrtTensor> | undefined;
    try {
      results = (await graph.session.run({ input_ids: ids }, [graph.output])) as Record<string, OrtTensor>;
    } catch (error) {
      throw new ModelError(`${graph.file}: embedding failed: ${(error as Error).message}`, undefined, { cause: error });
    } finally {
      this.tracker.release(ids);
    }
    const out = results[graph.output]!;
    const data = toFloat32(out.data);
    out.dispose?.();
    if (data.length !== tokens.length * width) {
      throw new ModelError(`${graph.file}: "${graph.output}" has ${data.length} values for ${tokens.length} tokens, expected ${tokens.length * width}`);
    }
    return data;
  }
}

function intTensor(runtime: OnnxRuntime, type: IntType, values: ArrayLike<number>, dims: readonly number[]): OrtTensor {
  if (type === 'int32') return new runtime.Tensor('int32', Int32Array.from(values), dims);
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return new runtime.Tensor('int64', data, dims);
}

function filledIntTensor(runtime: OnnxRuntime, type: IntType, fill: (i: number) => number, size: number, dims: readonly number[]): OrtTensor {
  if (type === 'int32') return new runtime.Tensor('int32', Int32Array.from({ length: size }, (_, i) => fill(i)), dims);
  const data = new BigInt64Array(size);
  for (let i = 0; i < size; i++) data[i] = BigInt(fill(i));
  return new runtime.Tensor('int64', data, dims);
}

function floatTensor(runtime: OnnxRuntime, type: FloatType, values: Float32Array, dims: readonly number[]): OrtTensor {
  return type === 'float16'
    ? new runtime.Tensor('float16', float32ToFloat16Bits(values), dims)
    : new runtime.Tensor('float32', values, dims);
}

/**
 * Rows of one growing sequence with their KV cache.
 *
 * Row selection and rollback are lazy: `selectRows` and `truncate` only record a row map and a
 * logical length; the next `forward` (or `mergeRows`) applies both in one `KvCacheOps.gatherSlice`
 * call over the whole cache, and skips it entirely when nothing changed.
 */
export class OnnxDecoderSequence implements DecoderSequence {
  private currentRows: number;
  private currentLength = 0;
  /** `2 × layers` tensors `[physicalRows, kvHeads, physicalLength, headDim]`, or null while empty. */
  private past: OrtTensor[] | null = null;
  private physicalLength = 0;
  /** Logical row r is physical row `rowMap[r]`; null is the identity. */
  private rowMap: Int32Array | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Left padding of each logical row (positions masked out at the start), or null when none. */
  private padding: Int32Array | null = null;
  private disposed = false;
  /** Time spent in `gatherSlice` during the current observed forward pass. */
  private gatherMs = 0;
  /** Token steps go through the embeddings decoder (see `DecoderParts.tokensFollowEmbeddings`). */
  private embeddingsOnly: boolean;
  /** Present when the KV cache is float32 (the mean of float16 caches is not implemented). */
  readonly mergeRows?: (sourceRows: Int32Array, weights: Float32Array) => Promise<void>;

  /** @internal */
  constructor(
    private readonly model: OnnxDecoderModel,
    private readonly parts: DecoderParts,
    rows: number,
    private readonly onDispose: () => void,
  ) {
    this.currentRows = rows;
    this.embeddingsOnly = parts.tokenGraph === undefined;
    if (model.kvCacheType === 'float32') {
      this.mergeRows = (sourceRows, weights) => this.serial(() => this.mergeNow(sourceRows, weights));
    }
  }

  get rows(): number {
    return this.currentRows;
  }
  get length(): number {
    return this.currentLength;
  }

  forward(input: StepInput): Promise<HostLogits> {
    return this.serial(() => this.observedForward(input));
  }

  /**
   * Starts an empty sequence from prompts of different lengths, one per row: shorter prompts are
   * left-padded with `padTokenId`, the padding is masked out of attention and excluded from position
   * ids in this and every later step. Rows then continue together as usual. Needs a graph that honours
   * `attention_mask` (Hugging Face exports do). Returns last-position logits like `forward`.
   */
  prefill(prompts: readonly Int32Array[], padTokenId = 0): Promise<HostLogits> {
    return this.serial(async () => {
      this.assertLive();
      if (this.currentLength !== 0) throw new RangeError('prefill needs an empty sequence');
      if (prompts.length !== this.currentRows) throw new RangeError(`expected ${this.currentRows} prompts, got ${prompts.length}`);
      const width = Math.max(...prompts.map((p) => p.length));
      if (width < 1 || prompts.some((p) => p.length < 1)) throw new RangeError('every prompt needs at least one token');
      const tokens = new Int32Array(this.currentRows * width).fill(padTokenId);
      const padding = new Int32Array(this.currentRows);
      prompts.forEach((p, r) => {
        padding[r] = width - p.length;
        tokens.set(p, r * width + padding[r]!);
      });
      this.padding = padding.some((x) => x > 0) ? padding : null;
      try {
        return await this.observedForward({ kind: 'tokens', tokens, tokensPerRow: width });
      } catch (error) {
        this.padding = null;
        throw error;
      }
    });
  }

  selectRows(sourceRows: Int32Array): Promise<void> {
    return this.serial(async () => {
      this.assertLive();
      if (sourceRows.length < 1) throw new RangeError('selectRows needs at least one row');
      for (const r of sourceRows) {
        if (!Number.isInteger(r) || r < 0 || r >= this.currentRows) throw new RangeError(`row ${r} out of range [0, ${this.currentRows})`);
      }
      if (this.past !== null) {
        const previous = this.rowMap;
        this.rowMap = previous === null ? Int32Array.from(sourceRows) : sourceRows.map((r) => previous[r]!);
      }
      this.currentRows = sourceRows.length;
      const padding = this.padding;
      if (padding !== null) this.padding = sourceRows.map((r) => padding[r]!);
    });
  }

  truncate(length: number): Promise<void> {
    return this.serial(async () => {
      this.assertLive();
      if (!Number.isInteger(length) || length < 0 || length > this.currentLength) {
        throw new RangeError(`cannot truncate a sequence of length ${this.currentLength} to ${length}`);
      }
      this.currentLength = length;
      if (length === 0) this.releasePast();
      else if (this.padding !== null) this.padding = this.padding.map((p) => Math.min(p, length));
    });
  }

  dispose(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.disposed = true;
    return this.queue.then(
      () => this.finishDispose(),
      () => this.finishDispose(),
    );
  }

  private finishDispose(): void {
    this.releasePast();
    this.onDispose();
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertLive(): void {
    if (this.disposed) throw new ModelError('The sequence has been disposed.');
    this.model.assertLive();
  }

  private releasePast(): void {
    if (this.past !== null) for (const t of this.past) this.model.tracker.release(t);
    this.past = null;
    this.physicalLength = 0;
    this.rowMap = null;
    this.padding = null;
  }

  /** `forwardNow`, reported to the model's listeners when there are any. */
  private async observedForward(input: StepInput): Promise<HostLogits> {
    const events = this.model.events;
    if (!events.listening) return this.forwardNow(input);
    const rows = this.currentRows;
    const start = performance.now();
    this.gatherMs = 0;
    const embeddingsDecoder = input.kind === 'embeddings' || this.embeddingsOnly;
    const logits = await this.forwardNow(input);
    const file = (embeddingsDecoder ? this.parts.embedsGraph : this.parts.tokenGraph)!.file;
    events.emit({ type: 'forward', file, rows, positions: input.tokensPerRow, durationMs: performance.now() - start, kvGatherMs: this.gatherMs });
    return logits;
  }

  /** Runs one KV operation, reported to the model's listeners when there are any; returns its time. */
  private async timedKv(operation: 'gatherSlice' | 'weightedMean', work: () => Promise<OrtTensor[]>): Promise<{ result: OrtTensor[]; ms: number }> {
    const events = this.model.events;
    if (!events.listening) return { result: await work(), ms: 0 };
    const start = performance.now();
    const result = await work();
    const ms = performance.now() - start;
    events.emit({ type: 'kv', operation, implementation: this.parts.kvOps.name, tensors: result.length, durationMs: ms });
    return { result, ms };
  }

  /** Applies pending row selection and rollback to the KV tensors. */
  private async materialize(): Promise<void> {
    if (this.past === null || (this.rowMap === null && this.physicalLength === this.currentLength)) return;
    const past = this.past;
    const { result: next, ms } = await this.timedKv('gatherSlice', () => this.parts.kvOps.gatherSlice(past, this.rowMap, this.currentLength));
    this.gatherMs += ms;
    for (let i = 0; i < this.past.length; i++) {
      const old = this.past[i]!;
      if (next[i] !== old) {
        this.past[i] = this.model.tracker.adopt(next[i]!);
        this.model.tracker.release(old);
      }
    }
    this.physicalLength = this.currentLength;
    this.rowMap = null;
  }

  private async mergeNow(sourceRows: Int32Array, weights: Float32Array): Promise<void> {
    this.assertLive();
    if (sourceRows.length < 1 || sourceRows.length !== weights.length) {
      throw new RangeError('mergeRows needs one weight per source row (at least one)');
    }
    let sum = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`mergeRows weights must be finite and ≥ 0, got ${w}`);
      sum += w;
    }
    if (!(sum > 0)) throw new RangeError('mergeRows weights must not all be 0');
    for (const r of sourceRows) {
      if (!Number.isInteger(r) || r < 0 || r >= this.currentRows) throw new RangeError(`row ${r} out of range [0, ${this.currentRows})`);
    }
    if (this.past === null) return;
    const map = this.rowMap;
    const physicalRows = map === null ? Int32Array.from(sourceRows) : sourceRows.map((r) => map[r]!);
    const normalised = weights.map((w) => w / sum);
    const padding = this.padding;
    if (padding !== null) {
      const first = padding[sourceRows[0]!]!;
      if (sourceRows.some((r) => padding[r] !== first)) throw new RangeError('mergeRows cannot mix rows with different left padding');
      this.padding = first > 0 ? new Int32Array(this.currentRows).fill(first) : null;
    }
    const past = this.past;
    const { result: merged } = await this.timedKv('weightedMean', () =>
      this.parts.kvOps.weightedMean(past, physicalRows, normalised, this.currentRows, this.currentLength),
    );
    for (let i = 0; i < this.past.length; i++) {
      const old = this.past[i]!;
      this.past[i] = this.model.tracker.adopt(merged[i]!);
      this.model.tracker.release(old);
    }
    this.physicalLength = this.currentLength;
    this.rowMap = null;
  }

  private async forwardNow(input: StepInput): Promise<HostLogits> {
    this.assertLive();
    const n = input.tokensPerRow;
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`tokensPerRow must be an integer ≥ 1, got ${n}`);
    const max = this.model.info.maxSequenceLength;
    if (this.currentLength + n > max) {
      throw new ContextLengthError(this.currentLength + n, max, `forward of ${n} position(s) per row at length ${this.currentLength}`);
    }
    if (input.kind === 'embeddings' && this.parts.tokensFollowEmbeddings) this.embeddingsOnly = true;
    if (input.kind === 'tokens' && this.embeddingsOnly) {
      // Only the inputs_embeds pair, or this sequence keeps to it: embed, then run the embeddings decoder.
      this.checkTokens(input.tokens, n);
      const embeddings = await this.model.embedTokens!(input.tokens);
      return this.forwardNow({ kind: 'embeddings', embeddings, tokensPerRow: n });
    }
    const tracker = this.model.tracker;
    const { graph, tensor } = this.mainInput(input);
    const created: OrtTensor[] = [tracker.adopt(tensor)];
    try {
      await this.materialize();
      const feeds = this.feeds(graph, tensor, n, created);
      let results: Record<string, OrtTensor>;
      try {
        results = (await graph.session.run(feeds, graph.fetches as string[])) as Record<string, OrtTensor>;
      } catch (error) {
        throw new ModelError(`${graph.file}: forward pass failed: ${(error as Error).message}`, undefined, { cause: error });
      }
      return this.keepOutputs(graph, results, n);
    } finally {
      for (const t of created) tracker.release(t);
    }
  }

  private checkTokens(tokens: Int32Array, n: number): void {
    if (tokens.length !== this.currentRows * n) {
      throw new RangeError(`expected ${this.currentRows} × ${n} tokens, got ${tokens.length}`);
    }
    const vocab = this.model.info.vocabSize;
    for (const t of tokens) if (t < 0 || t >= vocab) throw new RangeError(`token id ${t} out of range [0, ${vocab})`);
  }

  /** The graph that takes `input` and its main input tensor (ids or embeddings). */
  private mainInput(input: StepInput): { graph: DecoderGraph; tensor: OrtTensor } {
    const { runtime } = this.parts;
    const rows = this.currentRows;
    const n = input.tokensPerRow;
    if (input.kind === 'tokens') {
      this.checkTokens(input.tokens, n);
      const graph = this.parts.tokenGraph!;
      return { graph, tensor: intTensor(runtime, graph.inputType as IntType, input.tokens, [rows, n]) };
    }
    const width = this.model.info.embeddingSize;
    if (this.parts.embedsGraph === undefined || width === undefined) {
      throw new UnsupportedFeatureError(
        'soft thoughts / inputs_embeds',
        'the model folder has no onnx/embed_tokens.onnx + onnx/decoder_model_merged.onnx pair (its decoder takes input_ids only)',
      );
    }
    if (input.embeddings.length !== rows * n * width) {
      throw new RangeError(`expected ${rows} × ${n} × ${width} embedding values, got ${input.embeddings.length}`);
    }
    const graph = this.parts.embedsGraph;
    return { graph, tensor: floatTensor(runtime, graph.inputType as FloatType, input.embeddings, [rows, n, width]) };
  }

  /** Every feed of one forward pass besides the main input; tensors it creates go to `created`. */
  private feeds(graph: DecoderGraph, main: OrtTensor, n: number, created: OrtTensor[]): Record<string, OrtTensor> {
    const { runtime } = this.parts;
    const tracker = this.model.tracker;
    const adopt = (tensor: OrtTensor): OrtTensor => {
      created.push(tracker.adopt(tensor));
      return tensor;
    };
    const rows = this.currentRows;
    const length = this.currentLength;
    const total = length + n;
    const padding = this.padding;
    const { names } = graph;
    const feeds: Record<string, OrtTensor> = { [graph.inputName]: main };
    feeds[names.attentionMask] = adopt(
      padding === null
        ? graph.maskType === 'int64'
          ? new runtime.Tensor('int64', new BigInt64Array(rows * total).fill(1n), [rows, total])
          : new runtime.Tensor('int32', new Int32Array(rows * total).fill(1), [rows, total])
        : filledIntTensor(runtime, graph.maskType, (i) => (i % total < padding[Math.floor(i / total)]! ? 0 : 1), rows * total, [rows, total]),
    );
    if (graph.positionIdsType !== undefined) {
      // Positions count real tokens only: a row with p padding positions starts at 0 after them.
      const position = (i: number): number => Math.max(0, length + (i % n) - (padding?.[Math.floor(i / n)] ?? 0));
      feeds[names.positionIds] = adopt(filledIntTensor(runtime, graph.positionIdsType, position, rows * n, [rows, n]));
    }
    if (graph.hasUseCacheBranch) {
      feeds[names.useCacheBranch] = adopt(new runtime.Tensor('bool', Uint8Array.of(length > 0 ? 1 : 0), [1]));
    }
    let past = this.past;
    if (past === null) {
      const { numKeyValueHeads, headDim } = this.parts.config;
      const dims = [rows, numKeyValueHeads, 0, headDim];
      const empty = adopt(
        graph.kvType === 'float16'
          ? new runtime.Tensor('float16', new Uint16Array(0), dims)
          : new runtime.Tensor('float32', new Float32Array(0), dims),
      );
      past = new Array<OrtTensor>(2 * graph.numLayers).fill(empty);
    }
    graph.pastNames.forEach((name, i) => {
      feeds[name] = past[i]!;
    });
    return feeds;
  }

  /** Keeps the `present` tensors as the new cache and returns the last position's logits. */
  private keepOutputs(graph: DecoderGraph, results: Record<string, OrtTensor>, n: number): HostLogits {
    const tracker = this.model.tracker;
    const rows = this.currentRows;
    const vocab = this.model.info.vocabSize;
    const logits = results[graph.fetches[0]!]!;
    const present = graph.fetches.slice(1).map((name) => tracker.adopt(results[name]!));
    let last: Float32Array;
    try {
      last = lastPositionLogits(logits, rows, graph.file, vocab);
    } catch (error) {
      for (const t of present) tracker.release(t);
      throw error;
    } finally {
      logits.dispose?.();
    }
    if (this.past !== null) for (const t of this.past) tracker.release(t);
    this.past = present;
    this.currentLength += n;
    this.physicalLength = this.currentLength;
    return { location: 'cpu', dims: [rows, vocab], data: last };
  }
}

/**
 * The last position of `logits` (`[rows, seq, vocab]`, or `[rows, vocab]`) as a `[rows, vocab]`
 * float32 array: the runtime's own buffer when it already has that shape, else a copy. float16 logits: only those `rows × vocab` values are converted (a table lookup
 * each), never the whole `[rows, seq, vocab]` tensor.
 */
function lastPositionLogits(logits: OrtTensor, rows: number, file: string, vocab: number): Float32Array {
  const dims = logits.dims;
  const seq = dims.length === 3 ? dims[1]! : 1;
  const width = dims[dims.length - 1]!;
  if ((dims.length !== 3 && dims.length !== 2) || dims[0] !== rows || width !== vocab) {
    throw new ModelError(`${file}: "logits" has shape [${dims.join(', ')}], expected [${rows}, seq, ${vocab}]`);
  }
  const data = logits.data;
  if (logits.type !== 'float32' && logits.type !== 'float16') {
    throw new ModelError(`${file}: "logits" is ${logits.type}, expected float32 or float16`);
  }
  // A decode step's float32 output already is `[rows, vocab]`: hand the runtime's buffer over as it is
  // (it is JS-owned and disposing the tensor does not free it), so no vocabulary-sized copy per step.
  if (seq === 1 && data instanceof Float32Array && data.length === rows * vocab) return data;
  const out = new Float32Array(rows * vocab);
  // float16 data is raw bits (Uint16Array) unless the platform has Float16Array, which `set` converts natively.
  const values = data as Float32Array | Uint16Array;
  for (let r = 0; r < rows; r++) {
    const start = (r * seq + seq - 1) * vocab;
    const row = values.subarray(start, start + vocab);
    if (row instanceof Uint16Array) float16BitsInto(row, out, r * vocab);
    else out.set(row, r * vocab);
  }
  return out;
}

/** One position of one row in the KV cache: a key and a value per layer, `kvHeads × headDim` each. */
export function kvBytesPerPosition(config: ModelConfig, kvType: FloatType): number {
  return config.numLayers * 2 * config.numKeyValueHeads * config.headDim * (kvType === 'float16' ? 2 : 4);
}
