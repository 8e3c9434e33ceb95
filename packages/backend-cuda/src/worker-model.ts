import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type DecoderModel, type DecoderModelInfo, type DecoderSequence, type HostLogits, ModelError, type ModelResources, type StepInput } from '@reasonflow/core';
import { type FileProgress, loadTokenizer, type ModelConfig, type ModelTokenizer } from '@reasonflow/model-adapter';
import type { ExecutionProvider } from './execution-provider.js';
import type { LoadModelOptions } from './load.js';
import { validateLoadModelOptions } from './load-options.js';
import { checkModelFolder, nodeFileSource } from './node-file-source.js';
import { fromWireError, type WireError, type WorkerRequest, type WorkerResponse } from './worker-protocol.js';

/** Counts from the worker, for leak checks. */
export interface WorkerModelStats {
  readonly liveSessions: number;
  readonly liveTensors: number;
  readonly liveSequences: number;
}

/** A model folder loaded in a worker thread; the tokenizer runs on the calling thread. */
export interface WorkerLoadedModel {
  readonly model: WorkerDecoderModel;
  readonly tokenizer: ModelTokenizer;
  readonly config: ModelConfig;
  readonly generationConfig: Readonly<Record<string, unknown>>;
  readonly executionProvider: ExecutionProvider;
  /** Disposes the model and ends the worker. Idempotent. */
  dispose(): Promise<void>;
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
 * Core's `DecoderModel` whose sessions and KV caches live in a `worker_threads` worker: every call is
 * a message, logits come back as transferred buffers, and the calling thread's event loop keeps
 * running during forward passes. Create it with `loadModelInWorker`.
 */
export class WorkerDecoderModel implements DecoderModel {
  readonly info: DecoderModelInfo;
  readonly embedTokens?: (tokens: Int32Array) => Promise<Float32Array>;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private exited: Error | undefined;
  private disposed = false;

  /** @internal Use `loadModelInWorker`. */
  constructor(
    private readonly worker: Worker,
    info: DecoderModelInfo,
    /** @internal */
    readonly canMergeRows: boolean,
  ) {
    this.info = info;
    worker.on('message', (message: WorkerResponse) => {
      const call = this.pending.get(message.id);
      if (call === undefined) return;
      this.pending.delete(message.id);
      if (message.ok) call.resolve(message.value);
      else call.reject(fromWireError(message.error));
    });
    const fail = (error: Error): void => {
      this.exited = error;
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => fail(new ModelError(`The model worker failed: ${error.message}`, undefined, { cause: error })));
    worker.on('exit', (code) => fail(new ModelError(`The model worker exited (code ${code}).`)));
    worker.unref();
    if (info.embeddingSize !== undefined) {
      this.embedTokens = (tokens) => this.call({ op: 'embedTokens', tokens: tokens.slice() }) as Promise<Float32Array>;
    }
  }

  /** @internal */
  call(request: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.disposed && request.op !== 'dispose') return Promise.reject(new ModelError('The model has been disposed.'));
    if (this.exited !== undefined) return Promise.reject(this.exited);
    const id = this.nextId++;
    // The worker keeps the process alive only while a call is in flight.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, request }, transfer);
    }).finally(() => {
      if (this.pending.size === 0 && this.exited === undefined) this.worker.unref();
    });
  }

  async startSequence(options: { readonly rows: number }): Promise<DecoderSequence> {
    const id = (await this.call({ op: 'startSequence', rows: options.rows })) as number;
    return new WorkerDecoderSequence(this, id, options.rows);
  }

  async resources(): Promise<ModelResources> {
    const stats = await this.stats();
    return { sessions: stats.liveSessions, tensors: stats.liveTensors, sequences: stats.liveSequences };
  }

  /** Session, tensor and sequence counts inside the worker. */
  stats(): Promise<WorkerModelStats> {
    return this.call({ op: 'stats' }) as Promise<WorkerModelStats>;
  }

  /** Disposes everything in the worker and ends it. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.exited === undefined) {
      await this.call({ op: 'dispose' }).catch(() => undefined);
      await this.worker.terminate();
    }
  }
}

class WorkerDecoderSequence implements DecoderSequence {
  private currentRows: number;
  private currentLength = 0;
  private disposed = false;
  readonly mergeRows?: (sourceRows: Int32Array, weights: Float32Array) => Promise<void>;

  constructor(
    private readonly model: WorkerDecoderModel,
    private readonly id: number,
    rows: number,
  ) {
    this.currentRows = rows;
    if (model.canMergeRows) {
      this.mergeRows = async (sourceRows, weights) => {
        await this.model.call({ op: 'mergeRows', sequence: this.id, rows: sourceRows.slice(), weights: weights.slice() });
      };
    }
  }

  get rows(): number {
    return this.currentRows;
  }
  get length(): number {
    return this.currentLength;
  }

  async forward(input: StepInput): Promise<HostLogits> {
    // Copies: the caller keeps its arrays; the copies' buffers are transferred, not cloned again.
    const wire =
      input.kind === 'tokens'
        ? { kind: 'tokens' as const, tokens: input.tokens.slice(), tokensPerRow: input.tokensPerRow }
        : { kind: 'embeddings' as const, embeddings: input.embeddings.slice(), tokensPerRow: input.tokensPerRow };
    const buffer = (wire.kind === 'tokens' ? wire.tokens.buffer : wire.embeddings.buffer) as ArrayBuffer;
    const result = (await this.model.call({ op: 'forward', sequence: this.id, input: wire }, [buffer])) as {
      dims: [number, number];
      data: Float32Array;
    };
    this.currentLength += input.tokensPerRow;
    return { location: 'cpu', dims: result.dims, data: result.data };
  }

  async selectRows(sourceRows: Int32Array): Promise<void> {
    await this.model.call({ op: 'selectRows', sequence: this.id, rows: sourceRows.slice() });
    this.currentRows = sourceRows.length;
  }

  async truncate(length: number): Promise<void> {
    await this.model.call({ op: 'truncate', sequence: this.id, length });
    this.currentLength = length;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.model.call({ op: 'disposeSequence', sequence: this.id }).catch(() => undefined);
  }
}

/**
 * Loads a model folder in a worker thread (same options as `loadModel`). The worker's one-line CUDA
 * fallback warning is re-emitted here through `options.onWarning`.
 */
export async function loadModelInWorker(folder: string, options: LoadModelOptions = {}): Promise<WorkerLoadedModel> {
  validateLoadModelOptions(options);
  await checkModelFolder(folder);
  // Callbacks stay in this thread; the worker reports progress as messages.
  const { onWarning, onProgress, ...rest } = options;
  const warn = onWarning ?? ((message: string) => console.warn(message));
  const worker = new Worker(workerScript(), { workerData: { folder, options: rest, reportProgress: onProgress !== undefined } });
  type Ready = {
    type: 'ready';
    info: DecoderModelInfo;
    canMergeRows: boolean;
    config: ModelConfig;
    generationConfig: Record<string, unknown>;
    executionProvider: ExecutionProvider;
    warnings: string[];
  };
  let ready: Ready;
  try {
    ready = await new Promise<Ready>((resolve, reject) => {
      const onMessage = (message: Ready | { type: 'failed'; error: WireError } | { type: 'progress'; progress: FileProgress }): void => {
        if (message.type === 'progress') {
          onProgress?.(message.progress);
          return;
        }
        worker.off('message', onMessage);
        if (message.type === 'ready') resolve(message);
        else reject(fromWireError(message.error));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new ModelError(`The model worker exited (code ${code}) while loading.`)));
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  // The worker validated the folder, tokenizer included; this thread gets its own tokenizer.
  let tokenizer: ModelTokenizer;
  try {
    tokenizer = await loadTokenizer(nodeFileSource(folder));
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  for (const message of ready.warnings) warn(message);
  const model = new WorkerDecoderModel(worker, ready.info, ready.canMergeRows);
  return {
    model,
    tokenizer,
    config: ready.config,
    generationConfig: ready.generationConfig,
    executionProvider: ready.executionProvider,
    dispose: () => model.dispose(),
  };
}
