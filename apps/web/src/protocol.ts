import type { IterationReport, ReasonFlowConfigInput } from '@reasonflow/core';

export type DeviceChoice = 'auto' | 'webgpu' | 'wasm';
export type Strategy = 'reasonflow' | 'greedy';

/** Live resources in the worker (all 0 after dispose, except what the page never started). */
export interface WorkerResources {
  readonly sessions: number;
  readonly deviceTensors: number;
  readonly deviceTensorsCreated: number;
  readonly adapterTensors: number;
  readonly sequences: number;
  /** Logits tensors of the engine's tensor backend. */
  readonly engineTensors: number;
}

export interface GenerateRequest {
  readonly prompt: string;
  readonly strategy: Strategy;
  readonly config: ReasonFlowConfigInput;
  readonly maxNewTokens: number;
}

export interface RunResult {
  readonly output: string;
  readonly tokenIds: readonly number[];
  readonly bestThinkersSummary: readonly (readonly number[])[];
  readonly stopReason: string;
  readonly iterations: number;
  readonly tokens: number;
  readonly elapsedMs: number;
  readonly tokensPerSecond: number;
  /** Time inside the model's forward passes (onnxruntime), and the engine's own work. */
  readonly modelTimeMs: number;
  readonly engineTimeMs: number;
  readonly forwardSteps: number;
  readonly executionProvider: string;
}

export type ToWorker =
  | { readonly type: 'load'; readonly device: DeviceChoice; readonly modelUrl: string }
  | ({ readonly type: 'generate'; readonly id: number } & GenerateRequest)
  | { readonly type: 'abort' }
  | { readonly type: 'resources'; readonly id: number }
  | { readonly type: 'dispose'; readonly id: number };

/** An iteration as the page shows it: the engine's report plus decoded tokens. */
export interface IterationView {
  readonly report: IterationReport;
  /** Decoded text of each thinker's path tokens, row by row. */
  readonly pathTexts: readonly (readonly string[])[];
  /** Decoded text of the committed tokens. */
  readonly committedText: string;
}

export type FromWorker =
  | { readonly type: 'progress'; readonly file: string; readonly loaded: number; readonly total: number | undefined }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'loaded'; readonly executionProvider: string; readonly adapter: string | undefined; readonly loadMs: number; readonly ortVersion: string }
  | { readonly type: 'token'; readonly id: number; readonly text: string; readonly tokenId: number }
  | { readonly type: 'iteration'; readonly id: number; readonly view: IterationView }
  | { readonly type: 'done'; readonly id: number; readonly result: RunResult }
  | { readonly type: 'resources'; readonly id: number; readonly resources: WorkerResources }
  | { readonly type: 'error'; readonly id?: number; readonly message: string };
