import type { Tensor, TensorBackend } from './tensor-backend.js';

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

/**
 * The key/value state of a batch of rows that share one length. ReasonFlow's rows ("thinkers") start
 * from the same prompt, explore different continuations, and are re-aligned by `selectRows` and
 * `truncate` after each iteration.
 */
export interface DecoderSequence {
  readonly rows: number;
  /** Positions held in the cache (identical for every row). */
  readonly length: number;
  /**
   * Appends `input.tokensPerRow` positions to every row and returns the logits of each row's last
   * position as a `[rows, vocab]` tensor of the backend given to `startSequence`. The caller owns the
   * returned tensor and disposes it.
   */
  forward(input: StepInput): Promise<Tensor>;
  /** Re-forms the batch: new row r takes the state of old row `sourceRows[r]` (length = rows). */
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

/** A decoder-only language model, as the engine sees it: no files, sessions or runtime names. */
export interface DecoderModel {
  readonly info: DecoderModelInfo;
  /** Starts an empty sequence of `rows` rows whose logits are created with `backend`. */
  startSequence(options: { rows: number; backend: TensorBackend }): Promise<DecoderSequence>;
  /**
   * Input embeddings of `tokens` (`tokens.length × embeddingSize`). Present exactly when
   * `info.embeddingSize` is defined.
   */
  embedTokens?(tokens: Int32Array): Promise<Float32Array>;
}
