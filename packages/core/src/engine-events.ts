/** A model forward pass, as the engine timed it. */
export interface ForwardEvent {
  readonly rows: number;
  /** New positions per row. */
  readonly positions: number;
  /** Cache length before the pass. */
  readonly cacheLength: number;
  readonly durationMs: number;
}

/** A KV cache operation the engine asked of the model. */
export interface KvOperationEvent {
  readonly operation: 'truncate' | 'selectRows' | 'mergeRows';
  readonly rows: number;
  /** Cache length after the operation. */
  readonly cacheLength: number;
  readonly durationMs: number;
}

/**
 * Observation hooks of an engine: every model call it makes, with its duration. Instrumentation (the
 * benchmarks, dashboards) listens here instead of wrapping the model.
 */
export interface EngineObserver {
  onForward?(event: ForwardEvent): void;
  onKvOperation?(event: KvOperationEvent): void;
}
