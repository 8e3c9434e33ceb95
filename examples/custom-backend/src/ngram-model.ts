/**
 * A custom ReasonFlow backend in plain TypeScript: a character n-gram language model behind core's
 * `DecoderModel` contract. No ONNX, no tensors library — the point is the contract:
 * - `startSequence({ rows })` gives a batch of rows sharing one length (ReasonFlow's thinkers);
 * - `forward` appends positions to every row and returns each row's last-position logits;
 * - `selectRows` / `truncate` re-form the batch and roll it back (the engine's "KV follows the winner");
 * - `dispose` releases a sequence, and `resources()` lets tests see that nothing leaks.
 * Here the "KV cache" of a row is simply its token history; a real backend keeps attention state.
 */
import {
  ContextLengthError,
  type DecoderModel,
  type DecoderModelInfo,
  type DecoderSequence,
  type HostLogits,
  ModelError,
  type ModelResources,
  type StepInput,
  UnsupportedFeatureError,
} from '@reasonflow/core';

export interface NGramOptions {
  /** Context length in tokens the model conditions on (n − 1). Default 3. */
  readonly order?: number;
  /** Additive smoothing of the counts. Default 0.01. */
  readonly smoothing?: number;
  readonly maxSequenceLength?: number;
  readonly eosTokenId?: number;
}

/** Counts n-grams of token sequences and scores the next token with interpolated, smoothed estimates. */
export class NGramModel implements DecoderModel {
  readonly info: DecoderModelInfo;
  private readonly order: number;
  private readonly smoothing: number;
  /** counts.get(context key)[token]: how often `token` followed that context (contexts of length 0..order). */
  private readonly counts = new Map<string, Float64Array>();
  private liveSequences = 0;

  constructor(corpus: readonly (readonly number[])[], vocabSize: number, options: NGramOptions = {}) {
    this.order = options.order ?? 3;
    this.smoothing = options.smoothing ?? 0.01;
    this.info = {
      vocabSize,
      maxSequenceLength: options.maxSequenceLength ?? 512,
      eosTokenIds: options.eosTokenId !== undefined ? [options.eosTokenId] : [],
    };
    for (const text of corpus) {
      for (let i = 0; i < text.length; i++) {
        for (let n = 0; n <= this.order && n <= i; n++) this.countsOf(text.slice(i - n, i))[text[i]!]! += 1;
      }
    }
  }

  async startSequence({ rows }: { readonly rows: number }): Promise<DecoderSequence> {
    if (!Number.isSafeInteger(rows) || rows < 1) throw new ModelError(`rows must be an integer ≥ 1, got ${rows}`);
    this.liveSequences++;
    return new NGramSequence(this, rows, () => this.liveSequences--);
  }

  async resources(): Promise<ModelResources> {
    return { sessions: 0, tensors: 0, sequences: this.liveSequences };
  }

  /** Log-probabilities of the next token after `history`, written into `out` (interpolated over orders). */
  scoreNext(history: readonly number[], out: Float32Array): void {
    const vocab = this.info.vocabSize;
    const mixed = new Float64Array(vocab);
    let weight = 1;
    for (let n = Math.min(this.order, history.length); n >= 0; n--) {
      const counts = this.counts.get(history.slice(history.length - n).join(','));
      if (counts === undefined) continue;
      let total = 0;
      for (const c of counts) total += c + this.smoothing;
      // Longer contexts get most of the weight; shorter ones fill in what they have not seen.
      const share = n === 0 ? weight : weight * 0.95;
      for (let v = 0; v < vocab; v++) mixed[v]! += (share * (counts[v]! + this.smoothing)) / total;
      weight -= share;
    }
    for (let v = 0; v < vocab; v++) out[v] = Math.log(mixed[v]! > 0 ? mixed[v]! : 1 / vocab);
  }

  private countsOf(context: readonly number[]): Float64Array {
    const key = context.join(',');
    let counts = this.counts.get(key);
    if (counts === undefined) this.counts.set(key, (counts = new Float64Array(this.info.vocabSize)));
    return counts;
  }
}

class NGramSequence implements DecoderSequence {
  private histories: number[][];
  private disposed = false;

  constructor(
    private readonly model: NGramModel,
    rows: number,
    private readonly onDispose: () => void,
  ) {
    this.histories = Array.from({ length: rows }, () => []);
  }

  get rows(): number {
    return this.histories.length;
  }
  get length(): number {
    return this.histories[0]?.length ?? 0;
  }

  async forward(input: StepInput): Promise<HostLogits> {
    this.assertLive();
    if (input.kind !== 'tokens') throw new UnsupportedFeatureError('inputs_embeds', 'an n-gram model has no embeddings');
    const { vocabSize, maxSequenceLength } = this.model.info;
    const n = input.tokensPerRow;
    if (input.tokens.length !== this.rows * n) throw new ModelError(`expected ${this.rows} × ${n} tokens, got ${input.tokens.length}`);
    if (this.length + n > maxSequenceLength) throw new ContextLengthError(this.length + n, maxSequenceLength);
    for (const t of input.tokens) if (!(t >= 0 && t < vocabSize)) throw new ModelError(`token id ${t} is outside [0, ${vocabSize})`);
    const data = new Float32Array(this.rows * vocabSize);
    this.histories.forEach((history, r) => {
      history.push(...input.tokens.subarray(r * n, (r + 1) * n));
      this.model.scoreNext(history, data.subarray(r * vocabSize, (r + 1) * vocabSize));
    });
    return { location: 'cpu', dims: [this.rows, vocabSize], data };
  }

  async selectRows(sourceRows: Int32Array): Promise<void> {
    this.assertLive();
    for (const r of sourceRows) if (!(r >= 0 && r < this.rows)) throw new ModelError(`row ${r} is outside [0, ${this.rows})`);
    this.histories = Array.from(sourceRows, (r) => [...this.histories[r]!]);
  }

  async truncate(length: number): Promise<void> {
    this.assertLive();
    if (!Number.isInteger(length) || length < 0 || length > this.length) throw new ModelError(`cannot truncate ${this.length} positions to ${length}`);
    for (const history of this.histories) history.length = length;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.histories = [];
    this.onDispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new ModelError('The sequence has been disposed.');
  }
}
