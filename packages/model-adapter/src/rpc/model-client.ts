import { type DecoderModel, type DecoderModelInfo, type DecoderSequence, type HostLogits, ModelError, type ModelResources, type StepInput } from '@reasonflow/core';
import type { FileProgress } from '../fetch-file-source.js';
import type { MessageEndpoint } from './endpoint.js';
import { type ForwardAnswer, type LoadAnswer, type ModelRequest, type RequestMessage, type ResponseMessage, type SequenceAnswer, transferable } from './protocol.js';
import { fromWireError } from './wire-error.js';

export interface OpenRemoteModelOptions {
  /** Hears the server's loader report file progress. */
  readonly onProgress?: (progress: FileProgress) => void;
  /** Receives the loader's warnings (e.g. a device fallback); default `console.warn`. */
  readonly onWarning?: (message: string) => void;
}

/** A model loaded on the other side of an endpoint, and what its loader reported. */
export interface RemoteModel<Details = unknown, Resources extends ModelResources = ModelResources> {
  readonly model: RemoteDecoderModel<Resources>;
  readonly details: Details;
}

/**
 * Asks the server behind `endpoint` (see `serveModel`) to load a model with `loadOptions` and returns
 * it as core's `DecoderModel`. When loading fails the endpoint is closed and the typed error thrown.
 */
export async function openRemoteModel<Details = unknown, Resources extends ModelResources = ModelResources>(
  endpoint: MessageEndpoint,
  loadOptions: unknown,
  options: OpenRemoteModelOptions = {},
): Promise<RemoteModel<Details, Resources>> {
  const connection = new Connection(endpoint, options);
  try {
    const answer = (await connection.call({ op: 'load', options: loadOptions })) as LoadAnswer;
    return { model: new RemoteDecoderModel<Resources>(connection, answer.info, answer.canEmbed), details: answer.details as Details };
  } catch (error) {
    connection.close();
    await endpoint.close?.();
    throw error;
  }
}

/** Calls in flight over one endpoint, matched to their answers by id. */
class Connection {
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private failure: Error | undefined;
  private readonly unsubscribe: (() => void)[];

  constructor(
    readonly endpoint: MessageEndpoint,
    options: OpenRemoteModelOptions,
  ) {
    const warn = options.onWarning ?? ((message: string) => console.warn(message));
    this.unsubscribe = [
      endpoint.onMessage((data) => {
        const message = data as ResponseMessage;
        if ('event' in message) {
          if (message.event === 'progress') options.onProgress?.(message.progress);
          else warn(message.message);
          return;
        }
        const call = this.pending.get(message.id);
        if (call === undefined) return;
        this.pending.delete(message.id);
        if (message.ok) call.resolve(message.value);
        else call.reject(fromWireError(message.error));
      }),
      endpoint.onClose((error) => this.fail(new ModelError(`${error.message[0]!.toUpperCase()}${error.message.slice(1)}.`, undefined, { cause: error }))),
    ];
  }

  call(request: ModelRequest, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    // A Node worker keeps the process alive only while a call is in flight.
    if (this.pending.size === 0) this.endpoint.ref?.();
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.endpoint.postMessage({ id, request } satisfies RequestMessage, transfer);
    }).finally(() => {
      if (this.pending.size === 0 && this.failure === undefined) this.endpoint.unref?.();
    });
  }

  /** Stops listening; later calls fail. */
  close(): void {
    this.fail(new ModelError('The model has been disposed.'));
    for (const stop of this.unsubscribe) stop();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}

/**
 * Core's `DecoderModel` whose sessions and KV caches live on the other side of a message endpoint
 * (a Node worker thread or a browser Web Worker): every call is a message, inputs and logits travel
 * as transferred buffers, and this thread stays free during forward passes. Create it with
 * `openRemoteModel` (or a backend's `loadModelInWorker`).
 */
export class RemoteDecoderModel<Resources extends ModelResources = ModelResources> implements DecoderModel {
  readonly embedTokens?: (tokens: Int32Array) => Promise<Float32Array>;
  private disposed: Promise<Resources> | undefined;

  /** @internal Use `openRemoteModel`. */
  constructor(
    private readonly connection: Connection,
    readonly info: DecoderModelInfo,
    canEmbed: boolean,
  ) {
    if (canEmbed) {
      this.embedTokens = (tokens) => {
        const { array, buffer } = transferable(tokens.slice());
        return this.call({ op: 'embedTokens', tokens: array }, [buffer]) as Promise<Float32Array>;
      };
    }
  }

  /** @internal */
  call(request: ModelRequest, transfer?: ArrayBuffer[]): Promise<unknown> {
    return this.connection.call(request, transfer);
  }

  async startSequence(options: { readonly rows: number }): Promise<DecoderSequence> {
    const answer = (await this.call({ op: 'startSequence', rows: options.rows })) as SequenceAnswer;
    return new RemoteDecoderSequence(this, answer.sequence, options.rows, answer.canMergeRows);
  }

  /** Live resources on the other side; after `dispose`, what was still alive when it ended (zeros unless leaked). */
  resources(): Promise<Resources> {
    return this.disposed ?? (this.call({ op: 'resources' }) as Promise<Resources>);
  }

  /** Releases the model on the other side and closes the endpoint (ends the worker). Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed === undefined) {
      const remaining = this.call({ op: 'dispose' }) as Promise<Resources>;
      this.disposed = remaining.catch(() => ({ sessions: 0, tensors: 0, sequences: 0 }) as Resources);
      await this.disposed;
      this.connection.close();
      await this.connection.endpoint.close?.();
    }
    await this.disposed;
  }
}

class RemoteDecoderSequence implements DecoderSequence {
  private currentRows: number;
  private currentLength = 0;
  private disposed = false;
  readonly mergeRows?: (sourceRows: Int32Array, weights: Float32Array) => Promise<void>;

  constructor(
    private readonly model: RemoteDecoderModel<ModelResources>,
    private readonly id: number,
    rows: number,
    canMergeRows: boolean,
  ) {
    this.currentRows = rows;
    if (canMergeRows) {
      this.mergeRows = async (sourceRows, weights) => {
        const rowsCopy = transferable(sourceRows.slice());
        const weightsCopy = transferable(weights.slice());
        await this.model.call({ op: 'mergeRows', sequence: this.id, rows: rowsCopy.array, weights: weightsCopy.array }, [rowsCopy.buffer, weightsCopy.buffer]);
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
    // Copies: the caller keeps its arrays; the copies' buffers move to the other side.
    let wire: StepInput;
    let buffer: ArrayBuffer;
    if (input.kind === 'tokens') {
      const moved = transferable(input.tokens.slice());
      wire = { kind: 'tokens', tokens: moved.array, tokensPerRow: input.tokensPerRow };
      buffer = moved.buffer;
    } else {
      const moved = transferable(input.embeddings.slice());
      wire = { kind: 'embeddings', embeddings: moved.array, tokensPerRow: input.tokensPerRow };
      buffer = moved.buffer;
    }
    const answer = (await this.model.call({ op: 'forward', sequence: this.id, input: wire }, [buffer])) as ForwardAnswer;
    this.currentLength += input.tokensPerRow;
    return { location: 'cpu', dims: [answer.dims[0], answer.dims[1]], data: answer.data };
  }

  async selectRows(sourceRows: Int32Array): Promise<void> {
    const moved = transferable(sourceRows.slice());
    await this.model.call({ op: 'selectRows', sequence: this.id, rows: moved.array }, [moved.buffer]);
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
