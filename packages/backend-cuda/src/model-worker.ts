/**
 * The worker side of `WorkerDecoderModel`: owns the ONNX sessions and every KV cache, so that
 * onnxruntime-node's blocking forward passes never stall the caller's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type DecoderSequence, logitsToHost } from '@reasonflow/core';
import type { FileProgress } from '@reasonflow/model-adapter';
import { type LoadModelOptions, loadModel, type NodeLoadedModel } from './load.js';
import { toWireError, type WorkerRequest, type WorkerResponse } from './worker-protocol.js';

const port = parentPort!;
const { folder, options, reportProgress } = workerData as { folder: string; options: LoadModelOptions; reportProgress: boolean };
const warnings: string[] = [];
const sequences = new Map<number, DecoderSequence>();
let nextSequence = 1;
let loaded: NodeLoadedModel | undefined;

const ready = loadModel(folder, {
  ...options,
  onWarning: (message) => warnings.push(message),
  ...(reportProgress ? { onProgress: (progress: FileProgress) => port.postMessage({ type: 'progress', progress }) } : {}),
});

function sequence(id: number): DecoderSequence {
  const s = sequences.get(id);
  if (s === undefined) throw new RangeError(`no sequence ${id} in the worker`);
  return s;
}

async function handle(request: WorkerRequest): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
  const model = loaded!.model;
  switch (request.op) {
    case 'startSequence': {
      const id = nextSequence++;
      sequences.set(id, await model.startSequence({ rows: request.rows }));
      return { value: id };
    }
    case 'forward': {
      const logits = await sequence(request.sequence).forward(request.input);
      const data = await logitsToHost(logits);
      return { value: { dims: logits.dims, data }, transfer: [data.buffer as ArrayBuffer] };
    }
    case 'selectRows':
      return { value: await sequence(request.sequence).selectRows(request.rows) };
    case 'mergeRows': {
      const s = sequence(request.sequence);
      if (s.mergeRows === undefined) throw new RangeError('this model cannot merge rows');
      return { value: await s.mergeRows(request.rows, request.weights) };
    }
    case 'truncate':
      return { value: await sequence(request.sequence).truncate(request.length) };
    case 'disposeSequence': {
      const s = sequences.get(request.sequence);
      sequences.delete(request.sequence);
      await s?.dispose();
      return { value: undefined };
    }
    case 'embedTokens': {
      if (model.embedTokens === undefined) throw new RangeError('the model has no inputs_embeds pair');
      const data = (await model.embedTokens(request.tokens)).slice();
      return { value: data, transfer: [data.buffer as ArrayBuffer] };
    }
    case 'stats':
      return { value: { liveSessions: model.liveSessions, liveTensors: model.liveTensors, liveSequences: model.liveSequences } };
    case 'dispose':
      sequences.clear();
      await loaded!.dispose();
      return { value: undefined };
  }
}

ready.then(
  (model) => {
    loaded = model;
    port.postMessage({
      type: 'ready',
      info: model.model.info,
      canMergeRows: model.model.kvCacheType === 'float32',
      config: model.config,
      generationConfig: model.generationConfig,
      executionProvider: model.executionProvider,
      warnings,
    });
  },
  (error: unknown) => port.postMessage({ type: 'failed', error: toWireError(error) }),
);

port.on('message', (message: { id: number; request: WorkerRequest }) => {
  handle(message.request).then(
    ({ value, transfer }) => port.postMessage({ id: message.id, ok: true, value } satisfies WorkerResponse, transfer ?? []),
    (error: unknown) => port.postMessage({ id: message.id, ok: false, error: toWireError(error) } satisfies WorkerResponse),
  );
});
