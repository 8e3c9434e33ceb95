/** What a model can do; the engine checks it before using optional features. */
export interface DecoderModelInfo {
  readonly vocabSize: number;
  /** Longest sequence (prompt + generated) the model accepts. */
  readonly maxSequenceLength: number;
  /** End-of-sequence token ids from the model's config, used when the caller gives none. */
  readonly eosTokenIds: readonly number[];
  /**
   * Width of the input embeddings when the model accepts `inputs_embeds` (exact embedding noise and
   * soft thoughts); undefined for models that take token ids only.
   */
  readonly embeddingSize?: number;
  /**
   * Bytes of KV cache one position of one row takes (layers × 2 × kvHeads × headDim × element
   * size). Lets the engine refuse a setting that cannot fit before allocating; 0 is assumed when absent.
   */
  readonly kvBytesPerPosition?: number;
}

/** New input for every row of a sequence: `tokensPerRow` positions each, row-major. */
export type StepInput =
  | { readonly kind: 'tokens'; readonly tokens: Int32Array; readonly tokensPerRow: number }
  | {
      readonly kind: 'embeddings';
      /** `rows × tokensPerRow × embeddingSize`, row-major. */
      readonly embeddings: Float32Array;
      readonly tokensPerRow: number;
    };

/** Last-position logits of every row, `[rows, vocab]` row-major, in host memory. */
export interface HostLogits {
  readonly location: 'cpu';
  readonly dims: readonly [rows: number, vocab: number];
  /** Handed over to the caller: the model must not touch it again. */
  readonly data: Float32Array;
}

/** Where device logits live; the names of onnxruntime's tensor data locations other than `cpu`. */
export type DeviceLocation = 'cpu-pinned' | 'gpu-buffer' | 'ml-tensor' | 'texture';

/**
 * Logits that live on a device (e.g. onnxruntime's `gpu-buffer` tensors). A tensor backend that works
 * on that location may adopt them as they are; any other caller downloads them.
 */
export interface DeviceLogits {
  readonly location: DeviceLocation;
  readonly dims: readonly [rows: number, vocab: number];
  /** The runtime's own tensor, for a backend that works on this location. */
  readonly handle: unknown;
  /** Copies the values to the host. */
  download(): Promise<Float32Array>;
  /** Releases the device memory. Idempotent. */
  dispose(): void;
}

/** What `DecoderSequence.forward` returns; the caller owns it (and disposes device logits). */
export type Logits = HostLogits | DeviceLogits;

/**
 * The key/value state of a batch of rows that share one length. ReasonFlow's rows ("thinkers") start
 * from the same prompt, explore different continuations, and are re-aligned by `selectRows` and
 * `truncate` after each iteration. Calls on one sequence are made one at a time.
 */
export interface DecoderSequence {
  readonly rows: number;
  /** Positions held in the cache (identical for every row). */
  readonly length: number;
  /** Appends `input.tokensPerRow` positions to every row and returns each row's last-position logits. */
  forward(input: StepInput): Promise<Logits>;
  /** Re-forms the batch: new row r takes the state of old row `sourceRows[r]`; `rows` becomes `sourceRows.length`. */
  selectRows(sourceRows: Int32Array): Promise<void>;
  /**
   * Replaces every row by the weighted mean of the given rows' states (the original's K > 1 cache
   * merge). Optional: models that cannot average states omit it, and `kvMerge: 'mean'` is refused.
   */
  mergeRows?(sourceRows: Int32Array, weights: Float32Array): Promise<void>;
  /** Rolls every row back to its first `length` positions (drops lookahead positions). */
  truncate(length: number): Promise<void>;
  /** Releases everything the sequence holds. Idempotent. */
  dispose(): Promise<void>;
}

/** Runtime resources a model holds, for leak checks and dashboards. */
export interface ModelResources {
  /** Runtime sessions (e.g. ONNX inference sessions) not yet released. */
  readonly sessions: number;
  /** Runtime tensors the model holds (KV caches of live sequences, ...). */
  readonly tensors: number;
  /** Sequences started and not yet disposed. */
  readonly sequences: number;
}

/** A decoder-only language model, as the engine sees it: no files, sessions or runtime names. */
export interface DecoderModel {
  readonly info: DecoderModelInfo;
  /** Starts an empty sequence of `rows` rows. */
  startSequence(options: { readonly rows: number }): Promise<DecoderSequence>;
  /**
   * Input embeddings of `tokens` (`tokens.length × embeddingSize`). Present exactly when
   * `info.embeddingSize` is defined.
   */
  embedTokens?(tokens: Int32Array): Promise<Float32Array>;
  /** Live runtime resources; optional, but the conformance suite checks them when present. */
  resources?(): Promise<ModelResources>;
  /** Releases the model and everything it holds. Idempotent. */
  dispose?(): Promise<void>;
}
