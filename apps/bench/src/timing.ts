/**
 * A timing proxy around core's DecoderModel: it measures forward passes and the KV cache's row
 * selection and rollback. The adapter applies selectRows/truncate lazily (at the next forward, one
 * `gatherSlice` call over the cache), so the proxy also wraps the model's KvCacheOps.gatherSlice and moves
 * that time from "forward" to "KV".
 */
import type { DecoderModel, DecoderSequence, Logits, StepInput } from '@reasonflow/core';
import type { KvCacheOps } from '@reasonflow/model-adapter';

export interface KvTimings {
  /** Wall time of forward calls, KV gathers excluded. */
  forwardMs: number;
  forwardCalls: number;
  /** selectRows + truncate calls, plus the deferred gathers they cause. */
  kvMs: number;
  kvCalls: number;
  gatherMs: number;
}

export function emptyTimings(): KvTimings {
  return { forwardMs: 0, forwardCalls: 0, kvMs: 0, kvCalls: 0, gatherMs: 0 };
}

/** Wraps `ops.gatherSlice` in place (idempotent); the returned function reads and resets its time. */
export function instrumentKvOps(ops: KvCacheOps): { take(): number } {
  const marked = ops as KvCacheOps & { __benchGatherMs?: number; __benchWrapped?: boolean };
  if (!marked.__benchWrapped) {
    const original = ops.gatherSlice.bind(ops);
    marked.__benchGatherMs = 0;
    marked.__benchWrapped = true;
    (ops as { gatherSlice: KvCacheOps['gatherSlice'] }).gatherSlice = async (...args: Parameters<KvCacheOps['gatherSlice']>) => {
      const start = performance.now();
      try {
        return await original(...args);
      } finally {
        marked.__benchGatherMs! += performance.now() - start;
      }
    };
  }
  return {
    take() {
      const ms = marked.__benchGatherMs ?? 0;
      marked.__benchGatherMs = 0;
      return ms;
    },
  };
}

/** A DecoderModel that records forward and KV times of every sequence into `timings`. */
export class TimedModel implements DecoderModel {
  readonly timings: KvTimings = emptyTimings();
  readonly embedTokens?: (tokens: Int32Array) => Promise<Float32Array>;
  private readonly gathers: { take(): number } | undefined;

  constructor(
    private readonly inner: DecoderModel,
    kvOps?: KvCacheOps,
  ) {
    if (inner.embedTokens) this.embedTokens = (tokens) => inner.embedTokens!(tokens);
    this.gathers = kvOps ? instrumentKvOps(kvOps) : undefined;
  }

  get info() {
    return this.inner.info;
  }

  reset(): void {
    Object.assign(this.timings, emptyTimings());
    this.gathers?.take();
  }

  async startSequence(options: { readonly rows: number }): Promise<DecoderSequence> {
    const seq = await this.inner.startSequence(options);
    const t = this.timings;
    const gathers = this.gathers;
    const timedKv = async <R>(work: () => Promise<R>): Promise<R> => {
      const start = performance.now();
      try {
        return await work();
      } finally {
        t.kvMs += performance.now() - start;
        t.kvCalls++;
      }
    };
    const proxy: DecoderSequence = {
      get rows() {
        return seq.rows;
      },
      get length() {
        return seq.length;
      },
      async forward(input: StepInput): Promise<Logits> {
        gathers?.take();
        const start = performance.now();
        try {
          return await seq.forward(input);
        } finally {
          const gather = gathers?.take() ?? 0;
          t.forwardMs += performance.now() - start - gather;
          t.kvMs += gather;
          t.gatherMs += gather;
          t.forwardCalls++;
        }
      },
      selectRows: (rows) => timedKv(() => seq.selectRows(rows)),
      truncate: (length) => timedKv(() => seq.truncate(length)),
      dispose: () => seq.dispose(),
      ...(seq.mergeRows ? { mergeRows: (rows: Int32Array, w: Float32Array) => timedKv(() => seq.mergeRows!(rows, w)) } : {}),
    };
    return proxy;
  }
}
