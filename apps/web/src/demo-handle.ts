import type { WebWorkerResources } from 'reasonflow/browser';

export type DeviceChoice = 'auto' | 'webgpu' | 'wasm';
export type Strategy = 'reasonflow' | 'greedy';
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

export interface RunResult {
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
}

/** What the page exposes for scripts and the browser test (`window.reasonflowDemo`). */
export interface DemoHandle {
  state: DemoState;
  loadInfo: LoadInfo | undefined;
  loadError: string | undefined;
  lastResult: RunResult | undefined;
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
