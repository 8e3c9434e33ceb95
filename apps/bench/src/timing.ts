/**
 * Forward and KV-cache timings from observation hooks, no wrapping: the engine's observer times every
 * selectRows/truncate/mergeRows it asks of the model; the adapter's events time each forward pass
 * (the same span as the model's `forward` call) and the lazy KV gather it runs inside it (pending row
 * selection and rollback), which moves from "forward" to "KV".
 */
import type { EngineObserver } from '@reasonflow/core';
import type { ModelEvent } from '@reasonflow/model-adapter';

export interface KvTimings {
  /** Wall time of forward calls, KV gathers excluded. */
  forwardMs: number;
  forwardCalls: number;
  /** selectRows + truncate + mergeRows calls, plus the deferred gathers they cause. */
  kvMs: number;
  kvCalls: number;
  gatherMs: number;
}

export function emptyTimings(): KvTimings {
  return { forwardMs: 0, forwardCalls: 0, kvMs: 0, kvCalls: 0, gatherMs: 0 };
}

/** Accumulates `KvTimings` from an engine observer and a model's event listener. */
export class KvTimer {
  readonly timings: KvTimings = emptyTimings();

  /** Give to the engine (`ReasonFlow`'s `observer` option). */
  readonly observer: EngineObserver = {
    onKvOperation: (event) => {
      this.timings.kvMs += event.durationMs;
      this.timings.kvCalls++;
    },
  };

  /** Give to the model (`model.observe`): gathers inside forward passes count as KV time. */
  readonly onModelEvent = (event: ModelEvent): void => {
    if (event.type !== 'forward') return;
    this.timings.forwardMs += event.durationMs - event.kvGatherMs;
    this.timings.forwardCalls++;
    this.timings.kvMs += event.kvGatherMs;
    this.timings.gatherMs += event.kvGatherMs;
  };

  reset(): void {
    Object.assign(this.timings, emptyTimings());
  }
}
