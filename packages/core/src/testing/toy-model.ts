import { ContextLengthError, ModelError } from '../errors.js';
import type { DecoderModel, DecoderModelInfo, DecoderSequence, HostLogits, ModelResources, StepInput } from '../model.js';
import { hashUniform } from '../random.js';

export interface ToyModelOptions {
  vocabSize?: number;
  /** Width of the token embeddings. */
  embeddingSize?: number;
  maxSequenceLength?: number;
  eosTokenIds?: readonly number[];
  /** Whether the model accepts embeddings (inputs_embeds); false models take token ids only. */
  acceptsEmbeddings?: boolean;
  /** Logit scale: larger makes the model more confident. */
  sharpness?: number;
  seed?: number;
}

/**
 * A deterministic decoder for tests, with no runtime. Every token has a seeded embedding; the logits
 * of a position are a seeded linear read-out of (embedding of that position + ½ · embedding of the
 * previous one) — a smooth bigram model, so noisy or mixed embeddings change the logits smoothly.
 * Each row keeps the embeddings it was fed like a KV cache, so row selection, rollback and merging
 * behave as they would on a real model, and the model counts what is live for leak checks.
 */
export class ToyModel implements DecoderModel {
  readonly info: DecoderModelInfo;
  /** Present exactly when the model accepts embeddings, as the DecoderModel contract says. */
  readonly embedTokens?: (tokens: Int32Array) => Promise<Float32Array>;
  private readonly vocab: number;
  private readonly width: number;
  private readonly table: Float32Array; // vocab × width
  private readonly readout: Float32Array; // vocab × width
  private liveSequenceCount = 0;
  /** Every forward call: rows and positions fed, and the cache length before it. */
  readonly forwardLog: { rows: number; positions: number; lengthBefore: number; kind: StepInput['kind'] }[] = [];

  constructor(options: ToyModelOptions = {}) {
    this.vocab = options.vocabSize ?? 48;
    this.width = options.embeddingSize ?? 12;
    const seed = options.seed ?? 7;
    const sharpness = options.sharpness ?? 6;
    this.info = {
      vocabSize: this.vocab,
      maxSequenceLength: options.maxSequenceLength ?? 256,
      eosTokenIds: options.eosTokenIds ?? [],
      embeddingSize: options.acceptsEmbeddings === false ? undefined : this.width,
    };
    if (options.acceptsEmbeddings !== false) this.embedTokens = async (tokens) => this.embed(tokens);
    this.table = new Float32Array(this.vocab * this.width);
    this.readout = new Float32Array(this.vocab * this.width);
    for (let i = 0; i < this.table.length; i++) {
      this.table[i] = hashUniform(seed, i) * 2 - 1;
      this.readout[i] = (hashUniform(seed + 1, i) * 2 - 1) * sharpness;
    }
  }

  get liveSequences(): number {
    return this.liveSequenceCount;
  }


  async startSequence({ rows }: { readonly rows: number }): Promise<DecoderSequence> {
    if (!Number.isSafeInteger(rows) || rows < 1) throw new ModelError(`rows must be an integer ≥ 1, got ${rows}`);
    this.liveSequenceCount++;
    return new ToySequence(this, rows, () => this.liveSequenceCount--);
  }

  async resources(): Promise<ModelResources> {
    return { sessions: 0, tensors: 0, sequences: this.liveSequenceCount };
  }

  /** Plain greedy decoding, computed directly from the logits function (an independent reference). */
  greedy(promptIds: readonly number[], maxNewTokens: number, eosTokenIds: readonly number[] = this.info.eosTokenIds): number[] {
    const history = Array.from(this.embed(Int32Array.from(promptIds)));
    const out: number[] = [];
    for (let i = 0; i < maxNewTokens; i++) {
      const logits = this.logitsAt(history, history.length / this.width - 1);
      let best = 0;
      for (let v = 1; v < this.vocab; v++) if (logits[v]! > logits[best]!) best = v;
      out.push(best);
      if (eosTokenIds.includes(best)) break;
      history.push(...this.embed(Int32Array.of(best)));
    }
    return out;
  }

  /** @internal */
  embed(tokens: Int32Array): Float32Array {
    const out = new Float32Array(tokens.length * this.width);
    tokens.forEach((t, i) => {
      if (t < 0 || t >= this.vocab) throw new ModelError(`Token id ${t} is outside the vocabulary [0, ${this.vocab}).`);
      out.set(this.table.subarray(t * this.width, (t + 1) * this.width), i * this.width);
    });
    return out;
  }

  /** @internal Logits of `position` given a row's embeddings (`positions × width`). */
  logitsAt(states: ArrayLike<number>, position: number, out = new Float32Array(this.vocab)): Float32Array {
    const w = this.width;
    const mixed = new Float32Array(w);
    for (let j = 0; j < w; j++) {
      mixed[j] = states[position * w + j]! + (position > 0 ? 0.5 * states[(position - 1) * w + j]! : 0);
    }
    for (let v = 0; v < this.vocab; v++) {
      let s = 0;
      for (let j = 0; j < w; j++) s += this.readout[v * w + j]! * mixed[j]!;
      out[v] = s;
    }
    return out;
  }

  /** @internal */
  get embeddingWidth(): number {
    return this.width;
  }
}

class ToySequence implements DecoderSequence {
  private states: number[][];
  private disposed = false;

  constructor(
    private readonly model: ToyModel,
    rows: number,
    private readonly onDispose: () => void,
  ) {
    this.states = Array.from({ length: rows }, () => []);
  }

  get rows(): number {
    return this.states.length;
  }

  get length(): number {
    return this.states[0]!.length / this.model.embeddingWidth;
  }

  async forward(input: StepInput): Promise<HostLogits> {
    this.assertLive();
    const w = this.model.embeddingWidth;
    const k = input.tokensPerRow;
    if (this.length + k > this.model.info.maxSequenceLength) {
      throw new ContextLengthError(this.length + k, this.model.info.maxSequenceLength);
    }
    let embeddings: Float32Array;
    if (input.kind === 'tokens') {
      embeddings = this.model.embed(input.tokens);
    } else {
      if (this.model.info.embeddingSize === undefined) throw new ModelError('This toy model takes token ids only.');
      embeddings = input.embeddings;
    }
    if (embeddings.length !== this.rows * k * w) {
      throw new ModelError(`Expected ${this.rows} × ${k} inputs, got ${embeddings.length / w}.`);
    }
    this.model.forwardLog.push({ rows: this.rows, positions: k, lengthBefore: this.length, kind: input.kind });
    const vocab = this.model.info.vocabSize;
    const logits = new Float32Array(this.rows * vocab);
    for (let r = 0; r < this.rows; r++) {
      const row = this.states[r]!;
      for (let i = 0; i < k * w; i++) row.push(embeddings[(r * k) * w + i]!);
      this.model.logitsAt(row, row.length / w - 1, logits.subarray(r * vocab, (r + 1) * vocab));
    }
    return { location: 'cpu', dims: [this.rows, vocab], data: logits };
  }

  async selectRows(sourceRows: Int32Array): Promise<void> {
    this.assertLive();
    this.states = Array.from(sourceRows, (r) => [...this.states[r]!]);
  }

  async mergeRows(sourceRows: Int32Array, weights: Float32Array): Promise<void> {
    this.assertLive();
    const n = this.states[0]!.length;
    const mean = new Array<number>(n).fill(0);
    sourceRows.forEach((r, i) => {
      const row = this.states[r]!;
      for (let j = 0; j < n; j++) mean[j]! += weights[i]! * row[j]!;
    });
    this.states = Array.from({ length: this.rows }, () => [...mean]);
  }

  async truncate(length: number): Promise<void> {
    this.assertLive();
    if (length > this.length || length < 0) throw new ModelError(`Cannot truncate ${this.length} positions to ${length}.`);
    const keep = length * this.model.embeddingWidth;
    for (const row of this.states) row.length = keep;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.states = [];
    this.onDispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new ModelError('Sequence used after dispose().');
  }
}
