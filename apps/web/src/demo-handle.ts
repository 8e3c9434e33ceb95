import type { WebWorkerResources } from 'reasonflow/browser';
import type { SearchViewCounts } from './search-view.js';
import type { Strategy } from './strategies.js';

export type { Strategy } from './strategies.js';
export type DeviceChoice = 'auto' | 'webgpu' | 'wasm';
export type DemoState = 'idle' | 'loading' | 'ready' | 'running' | 'done' | 'error';

export interface LoadInfo {
  readonly executionProvider: string;
  readonly adapter: string | undefined;
  readonly loadMs: number;
  readonly ortVersion: string;
  /** What was loaded: the folder URL, or `local folder`. */
  readonly source: string;
}

/** Live resources in the worker plus the engine's logits tensors (all 0 after dispose). */
export type DemoResources = WebWorkerResources & { readonly engineTensors: number };

/** What a multi-path strategy (best-of-n, self-consistency, guided, deepconf) returned and what the page drew of it. */
export interface SearchRunInfo extends SearchViewCounts {
  readonly answer: string | null;
  readonly candidates: number;
  /** Index of the chosen candidate (marked ★ on the page), -1 when none matches the result. */
  readonly chosen: number;
  readonly candidateAnswers: readonly (string | null)[];
  /** The library's count: guided search's resamplings, DeepConf's waves. */
  readonly rounds: number | undefined;
  readonly scorerCalls: number;
}

export interface RunResult {
  readonly strategy: Strategy;
  readonly output: string;
  readonly tokenIds: readonly number[];
  readonly bestThinkersSummary: readonly (readonly number[])[];
  readonly stopReason: string;
  readonly iterations: number;
  readonly tokens: number;
  readonly elapsedMs: number;
  readonly tokensPerSecond: number;
  /** Time inside the model's forward passes (worker round trips included), and the engine's own work. */
  readonly modelTimeMs: number;
  readonly engineTimeMs: number;
  readonly forwardSteps: number;
  readonly executionProvider: string;
  /** The engine's TensorBackend (`wasm-simd` wherever WebAssembly SIMD compiles on the page). */
  readonly tensorBackend: string | undefined;
  /** Set for the multi-path strategies only. */
  readonly search: SearchRunInfo | undefined;
}

/** What the page exposes for scripts and the browser test (`window.reasonflowDemo`). */
export interface DemoHandle {
  state: DemoState;
  loadInfo: LoadInfo | undefined;
  loadError: string | undefined;
  lastResult: RunResult | undefined;
  /** The last run's error as shown in the status (`ConfigError: …`), undefined after a good run. */
  lastError: string | undefined;
  warnings: string[];
  iterationsShown: number;
  resources(): Promise<DemoResources>;
  dispose(): Promise<DemoResources>;
}

declare global {
  interface Window {
    reasonflowDemo: DemoHandle;
  }
}
