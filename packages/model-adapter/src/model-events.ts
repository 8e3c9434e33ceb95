/** A forward pass of the adapter, timed inside the model (KV gather, session run, logits copy). */
export interface ModelForwardEvent {
  readonly type: 'forward';
  /** The graph that ran, e.g. `onnx/model.onnx`. */
  readonly file: string;
  readonly rows: number;
  /** New positions per row. */
  readonly positions: number;
  readonly durationMs: number;
  /** Of `durationMs`, the time spent applying pending row selection and rollback (a `gatherSlice`). */
  readonly kvGatherMs: number;
}

/**
 * A KV-cache operation the adapter ran on its tensors: the lazy `gatherSlice` inside a forward pass
 * (pending `selectRows`/`truncate`), or `weightedMean` for `mergeRows`.
 */
export interface ModelKvEvent {
  readonly type: 'kv';
  readonly operation: 'gatherSlice' | 'weightedMean';
  /** The KV operations implementation (`host`, `onnx`). */
  readonly implementation: string;
  /** KV tensors processed (2 × layers). */
  readonly tensors: number;
  readonly durationMs: number;
}

/** What `OnnxDecoderModel.observe` listeners hear. */
export type ModelEvent = ModelForwardEvent | ModelKvEvent;

export type ModelEventListener = (event: ModelEvent) => void;

/** Listeners of one model; emitting with no listener costs one size check. */
export class ModelEventHub {
  private readonly listeners = new Set<ModelEventListener>();

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  add(listener: ModelEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: ModelEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
