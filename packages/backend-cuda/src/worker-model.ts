import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type FileProgress, loadTokenizer, type ModelConfig, type ModelTokenizer } from '@reasonflow/model-adapter';
import { emitterEndpoint, openRemoteModel, type RemoteDecoderModel } from '@reasonflow/model-adapter/rpc';
import type { ExecutionProvider } from './execution-provider.js';
import type { LoadModelOptions } from './load.js';
import { validateLoadModelOptions } from './load-options.js';
import { checkModelFolder, nodeFileSource } from './node-file-source.js';

/** A model folder loaded in a worker thread; the tokenizer runs on the calling thread. */
export interface WorkerLoadedModel {
  /** Core's `DecoderModel`; every call is a message to the worker. `resources()` counts the worker's. */
  readonly model: RemoteDecoderModel;
  readonly tokenizer: ModelTokenizer;
  readonly config: ModelConfig;
  readonly generationConfig: Readonly<Record<string, unknown>>;
  readonly executionProvider: ExecutionProvider;
  /** Disposes the model and ends the worker. Idempotent. */
  dispose(): Promise<void>;
}

/** @internal What the calling thread asks the worker to load (callbacks stay on the calling thread). */
export interface WorkerLoadRequest {
  readonly folder: string;
  readonly options: Omit<LoadModelOptions, 'onWarning' | 'onProgress'>;
  readonly reportProgress: boolean;
}

/** @internal What the worker reports once loaded. */
export interface WorkerLoadDetails {
  readonly config: ModelConfig;
  readonly generationConfig: Record<string, unknown>;
  readonly executionProvider: ExecutionProvider;
}

function workerScript(): URL {
  const here = new URL('./model-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  // Running from the TypeScript sources (tests): use the build output.
  const built = new URL('../dist/model-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error('@reasonflow/backend-cuda: dist/model-worker.js not found; build the package first (pnpm build)');
}

/**
 * Loads a model folder in a `worker_threads` worker (same options as `loadModel`) and returns it as
 * core's `DecoderModel` over model-adapter's RPC: the sessions and KV caches live in the worker,
 * logits come back as transferred buffers, and this thread's event loop keeps running during forward
 * passes. Warnings and progress are relayed to `options.onWarning` / `options.onProgress` here; typed
 * errors keep their class.
 */
export async function loadModelInWorker(folder: string, options: LoadModelOptions = {}): Promise<WorkerLoadedModel> {
  validateLoadModelOptions(options);
  await checkModelFolder(folder);
  const { onWarning, onProgress, ...rest } = options;
  const endpoint = emitterEndpoint(new Worker(workerScript()));
  const request: WorkerLoadRequest = { folder, options: rest, reportProgress: onProgress !== undefined };
  const { model, details } = await openRemoteModel<WorkerLoadDetails>(endpoint, request, {
    ...(onWarning ? { onWarning } : {}),
    ...(onProgress ? { onProgress: (progress: FileProgress) => onProgress(progress) } : {}),
  });
  // The worker validated the whole folder, tokenizer included; this thread gets its own tokenizer.
  let tokenizer: ModelTokenizer;
  try {
    tokenizer = await loadTokenizer(nodeFileSource(folder));
  } catch (error) {
    await model.dispose();
    throw error;
  }
  return { model, tokenizer, ...details, dispose: () => model.dispose() };
}
