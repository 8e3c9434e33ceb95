import type { EngineObserver, KvOperationEvent } from './engine-events.js';
import { logitsToTensor } from './logits.js';
import type { DecoderModel, DecoderSequence, StepInput } from './model.js';
import type { Tensor, TensorBackend } from './tensor-backend.js';

/** Model compute a run has spent so far. */
export interface RowBatchStats {
  /** Model forward calls. */
  readonly forwardSteps: number;
  /**
   * Σ rows × positions over every forward call: each row-position the model computed, including
   * lookahead positions later rolled back, pruned rows and rows that idle in a batch.
   */
  readonly rowsComputed: number;
  /** Time awaiting the model (forward passes, KV operations, embeddings), ms. */
  readonly modelTimeMs: number;
}

/**
 * The rows of one batch and everything every decoding strategy does with them: the model's
 * `DecoderSequence`, the logits adopted into the TensorBackend, forward and KV-operation timing,
 * observer events, abort checks and the compute stats. ReasonFlow's thinkers, sampled traces and
 * particles are all rows of a RowBatch; strategies only decide which tokens to feed and which rows to keep.
 */
export class RowBatch {
  private sequenceValue: DecoderSequence | undefined;
  private readonly live = new Set<Tensor>();
  private modelTime = 0;
  private forwardCount = 0;
  private rowPositions = 0;

  constructor(
    readonly model: DecoderModel,
    readonly backend: TensorBackend,
    /** Rows the sequence starts with. */
    private readonly initialRows: number,
    private readonly observer: EngineObserver | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Rows now: `selectRows` with a different number of source rows changes it. */
  get rows(): number {
    return this.sequenceValue?.rows ?? this.initialRows;
  }

  get vocab(): number {
    return this.model.info.vocabSize;
  }

  /** Starts the model's sequence; call once before any forward. */
  async start(): Promise<DecoderSequence> {
    this.sequenceValue = await this.timed(() => this.model.startSequence({ rows: this.initialRows }));
    return this.sequenceValue;
  }

  get sequence(): DecoderSequence {
    if (!this.sequenceValue) throw new Error('RowBatch used before start()');
    return this.sequenceValue;
  }

  /** Positions held in the cache (the same for every row). */
  get length(): number {
    return this.sequence.length;
  }

  get aborted(): boolean {
    return this.signal?.aborted ?? false;
  }

  get stats(): RowBatchStats {
    return { forwardSteps: this.forwardCount, rowsComputed: this.rowPositions, modelTimeMs: this.modelTime };
  }

  /** Appends `input` to every row; returns the last-position logits as a live tensor of this batch. */
  async forward(input: StepInput): Promise<Tensor> {
    const seq = this.sequence;
    const cacheLength = seq.length;
    const start = performance.now();
    const logits = await this.timed(async () => logitsToTensor(this.backend, await seq.forward(input), this.rows, this.vocab));
    this.live.add(logits);
    this.forwardCount++;
    this.rowPositions += this.rows * input.tokensPerRow;
    this.observer?.onForward?.({ rows: this.rows, positions: input.tokensPerRow, cacheLength, durationMs: performance.now() - start });
    return logits;
  }

  /** Feeds one token per row (`tokens.length === rows`). */
  forwardTokens(tokens: Int32Array): Promise<Tensor> {
    return this.forward({ kind: 'tokens', tokens, tokensPerRow: 1 });
  }

  /** Feeds the same `tokens` to every row (e.g. the prompt). */
  forwardShared(tokens: ArrayLike<number>): Promise<Tensor> {
    const all = new Int32Array(this.rows * tokens.length);
    for (let r = 0; r < this.rows; r++) all.set(tokens, r * tokens.length);
    return this.forward({ kind: 'tokens', tokens: all, tokensPerRow: tokens.length });
  }

  /** Row r takes the state of row `sourceRows[r]`; the batch then has `sourceRows.length` rows. */
  selectRows(sourceRows: Int32Array): Promise<void> {
    return this.kvOperation('selectRows', () => this.sequence.selectRows(sourceRows));
  }

  /** Every row becomes the weighted mean of `sourceRows` (needs the model's `mergeRows`). */
  mergeRows(sourceRows: Int32Array, weights: Float32Array): Promise<void> {
    return this.kvOperation('mergeRows', () => this.sequence.mergeRows!(sourceRows, weights));
  }

  /** Rolls every row back to its first `length` positions. */
  truncate(length: number): Promise<void> {
    return this.kvOperation('truncate', () => this.sequence.truncate(length));
  }

  /** Takes ownership of a tensor made from batch tensors (e.g. gathered rows), so that dispose frees it. */
  adopt(tensor: Tensor): Tensor {
    this.live.add(tensor);
    return tensor;
  }

  release(tensor: Tensor): void {
    this.backend.dispose(tensor);
    this.live.delete(tensor);
  }

  /** Runs model work (anything awaited on the model) and counts its time as model time. */
  async timed<T>(work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.modelTime += performance.now() - start;
    }
  }

  /** Frees every tensor still alive and the sequence. Idempotent. */
  async dispose(): Promise<void> {
    for (const t of this.live) this.backend.dispose(t);
    this.live.clear();
    const seq = this.sequenceValue;
    this.sequenceValue = undefined;
    await seq?.dispose();
  }

  private async kvOperation(operation: KvOperationEvent['operation'], work: () => Promise<void>): Promise<void> {
    const start = performance.now();
    await this.timed(work);
    const seq = this.sequence;
    this.observer?.onKvOperation?.({ operation, rows: seq.rows, cacheLength: seq.length, durationMs: performance.now() - start });
  }
}
