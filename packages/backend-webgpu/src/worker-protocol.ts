import type { ModelResources } from '@reasonflow/core';
import type { WebDevice, WebExecutionProvider } from './execution-provider.js';
import type { OrtWebEnvironment } from './load.js';
import type { ModelConfig, ModelDtype, ResourceCounts } from '@reasonflow/model-adapter';

/** @internal What the page asks the model worker to load (callbacks stay in the page). */
export interface WebWorkerLoadRequest {
  /** A folder URL (absolute: the worker resolves nothing against the page) or picked files. */
  readonly source: { readonly url: string; readonly cache: string | null } | { readonly files: Readonly<Record<string, Blob>>; readonly description: string };
  readonly device: WebDevice;
  readonly ort: OrtWebEnvironment;
  readonly inputsEmbeds?: boolean;
  readonly dtype?: ModelDtype;
  readonly reportProgress: boolean;
}

/** @internal What the model worker reports once loaded. */
export interface WebWorkerLoadDetails {
  readonly executionProvider: WebExecutionProvider;
  readonly adapter?: string;
  readonly ortVersion: string;
  readonly config: ModelConfig;
  readonly generationConfig: Record<string, unknown>;
}

/** Live resources in the model worker: core's counts plus onnxruntime-web's (GPU buffers, ...). */
export type WebWorkerResources = ModelResources & ResourceCounts;
