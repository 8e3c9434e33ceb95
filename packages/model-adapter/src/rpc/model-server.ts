import { type DecoderModel, type DecoderSequence, logitsToHost, type ModelResources } from '@reasonflow/core';
import type { FileProgress } from '../fetch-file-source.js';
import type { MessageEndpoint } from './endpoint.js';
import { type ForwardAnswer, type LoadAnswer, type ModelRequest, type RequestMessage, type ResponseMessage, type SequenceAnswer, transferable } from './protocol.js';
import { toWireError } from './wire-error.js';

/** What the loader reports while it works; the client hears it through its own callbacks. */
export interface LoadEvents {
  onProgress(progress: FileProgress): void;
  onWarning(message: string): void;
}

/** A loaded model as the server exposes it. */
export interface ServedModel<Details = unknown> {
  readonly model: DecoderModel;
  /** Structured-cloneable facts about the load (execution provider, config, ...) for the client. */
  readonly details: Details;
  /** Live resources the client's `resources()` returns (default: the model's own). */
  resources?(): ModelResources | Promise<ModelResources>;
  /** Releases the model and everything it holds. */
  dispose(): Promise<void>;
}

/** Loads a model from the client's options (e.g. a folder path or URL and device settings). */
export type ServedModelLoader<Options, Details> = (options: Options, events: LoadEvents) => Promise<ServedModel<Details>>;

/**
 * Serves one model over `endpoint` (the worker's side of `openRemoteModel`): the first request loads
 * it with `load`, the following ones are the model's and its sequences' calls. Logits and embeddings
 * go back as transferred buffers; errors go back typed (see `toWireError`). Returns a function that
 * stops listening.
 */
export function serveModel<Options, Details>(endpoint: MessageEndpoint, load: ServedModelLoader<Options, Details>): () => void {
  let served: ServedModel<Details> | undefined;
  const sequences = new Map<number, DecoderSequence>();
  let nextSequence = 1;
  const post = (message: ResponseMessage, transfer: ArrayBuffer[] = []) => endpoint.postMessage(message, transfer);
  const events: LoadEvents = {
    onProgress: (progress) => post({ event: 'progress', progress }),
    onWarning: (message) => post({ event: 'warning', message }),
  };

  const loaded = (): ServedModel<Details> => {
    if (served === undefined) throw new RangeError('no model loaded in the worker');
    return served;
  };
  const sequence = (id: number): DecoderSequence => {
    const found = sequences.get(id);
    if (found === undefined) throw new RangeError(`no sequence ${id} in the worker`);
    return found;
  };

  async function handle(request: ModelRequest): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
    switch (request.op) {
      case 'load': {
        if (served !== undefined) throw new RangeError('a model is already loaded in this worker');
        served = await load(request.options as Options, events);
        const { model, details } = served;
        return { value: { info: model.info, canEmbed: model.embedTokens !== undefined && model.info.embeddingSize !== undefined, details } satisfies LoadAnswer };
      }
      case 'startSequence': {
        const id = nextSequence++;
        const started = await loaded().model.startSequence({ rows: request.rows });
        sequences.set(id, started);
        return { value: { sequence: id, canMergeRows: started.mergeRows !== undefined } satisfies SequenceAnswer };
      }
      case 'forward': {
        const logits = await sequence(request.sequence).forward(request.input);
        const { array, buffer } = transferable(await logitsToHost(logits));
        return { value: { dims: logits.dims, data: array } satisfies ForwardAnswer, transfer: [buffer] };
      }
      case 'selectRows':
        return { value: await sequence(request.sequence).selectRows(request.rows) };
      case 'mergeRows': {
        const found = sequence(request.sequence);
        if (found.mergeRows === undefined) throw new RangeError('this model cannot merge rows');
        return { value: await found.mergeRows(request.rows, request.weights) };
      }
      case 'truncate':
        return { value: await sequence(request.sequence).truncate(request.length) };
      case 'disposeSequence': {
        const found = sequences.get(request.sequence);
        sequences.delete(request.sequence);
        await found?.dispose();
        return { value: undefined };
      }
      case 'embedTokens': {
        const { model } = loaded();
        if (model.embedTokens === undefined) throw new RangeError('the model has no inputs_embeds pair');
        const { array, buffer } = transferable(await model.embedTokens(request.tokens));
        return { value: array, transfer: [buffer] };
      }
      case 'resources':
        return { value: await resources(loaded()) };
      case 'dispose': {
        const current = loaded();
        const live = [...sequences.values()];
        sequences.clear();
        for (const s of live) await s.dispose();
        await current.dispose();
        // What is still alive after the release (zeros unless something leaked), for leak checks.
        return { value: await resources(current) };
      }
    }
  }

  return endpoint.onMessage((message) => {
    const { id, request } = message as RequestMessage;
    handle(request).then(
      ({ value, transfer }) => post({ id, ok: true, value }, transfer),
      (error: unknown) => post({ id, ok: false, error: toWireError(error) }),
    );
  });
}

async function resources(served: ServedModel<unknown>): Promise<ModelResources> {
  return (await served.resources?.()) ?? (await served.model.resources?.()) ?? { sessions: 0, tensors: 0, sequences: 0 };
}
