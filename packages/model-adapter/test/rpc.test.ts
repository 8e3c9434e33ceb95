/**
 * The model RPC over a Node MessageChannel (the same structured-clone transport as a worker, both ends
 * in this thread), serving core's runtime-free ToyModel: same logits and tokens as the model itself,
 * typed errors across the boundary, logits transferred, nothing left alive.
 */
import { MessageChannel } from 'node:worker_threads';
import { ConfigError, ContextLengthError, logitsToHost, ModelError, type ModelResources, ReasonFlowEngine, UnsupportedFeatureError } from '@reasonflow/core';
import { ToyModel } from '@reasonflow/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../src/index.js';
import { emitterEndpoint, eventTargetEndpoint, type MessageEndpoint, openRemoteModel, type ServedModel, serveModel, toWireError, fromWireError } from '../src/rpc/index.js';

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const channel of channels.splice(0)) {
    channel.port1.close();
    channel.port2.close();
  }
});

interface Served {
  readonly toy: ToyModel;
  readonly client: MessageEndpoint;
  readonly loads: unknown[];
}

/** A ToyModel served on one end of a channel; the other end is the client's endpoint. */
function serveToy(options: { acceptsEmbeddings?: boolean; failLoad?: Error; adapter?: 'emitter' | 'event-target' } = {}): Served {
  const channel = new MessageChannel();
  channels.push(channel);
  const toy = new ToyModel({ vocabSize: 50, maxSequenceLength: 40, ...(options.acceptsEmbeddings === false ? { acceptsEmbeddings: false } : {}) });
  const loads: unknown[] = [];
  const endpoint = options.adapter === 'event-target' ? eventTargetEndpoint(channel.port1 as never) : emitterEndpoint(channel.port1);
  serveModel<{ folder: string }, { provider: string }>(endpoint, async (loadOptions, events) => {
    loads.push(loadOptions);
    events.onProgress({ file: 'onnx/model.onnx', loaded: 3, total: 3, done: true });
    events.onWarning('falling back to the toy');
    if (options.failLoad) throw options.failLoad;
    return { model: toy, details: { provider: 'toy' }, dispose: async () => {} } satisfies ServedModel<{ provider: string }>;
  });
  return { toy, client: options.adapter === 'event-target' ? eventTargetEndpoint(channel.port2 as never) : emitterEndpoint(channel.port2), loads };
}

describe('model RPC', () => {
  for (const adapter of ['emitter', 'event-target'] as const) {
    it(`loads with the client's options and relays progress and warnings (${adapter} adapter)`, async () => {
      const { client, loads } = serveToy({ adapter });
      const progress: unknown[] = [];
      const warnings: string[] = [];
      const remote = await openRemoteModel<{ provider: string }>(client, { folder: '/models/x' }, { onProgress: (p) => progress.push(p), onWarning: (m) => warnings.push(m) });
      expect(loads).toEqual([{ folder: '/models/x' }]);
      expect(remote.details).toEqual({ provider: 'toy' });
      expect(progress).toEqual([{ file: 'onnx/model.onnx', loaded: 3, total: 3, done: true }]);
      expect(warnings).toEqual(['falling back to the toy']);
      expect(remote.model.info.vocabSize).toBe(50);
      await remote.model.dispose();
    });
  }

  it('gives the logits of the model itself through forward, selectRows, mergeRows and truncate', async () => {
    const { toy, client } = serveToy();
    const { model } = await openRemoteModel(client, {}, { onWarning: () => {} });
    const [local, remote] = [await toy.startSequence({ rows: 2 }), await model.startSequence({ rows: 2 })];
    const run = async (seq: typeof local) => {
      const out: Float32Array[] = [];
      out.push(await logitsToHost(await seq.forward({ kind: 'tokens', tokens: Int32Array.of(1, 2, 3, 4, 5, 6), tokensPerRow: 3 })));
      await seq.selectRows(Int32Array.of(1, 1));
      out.push(await logitsToHost(await seq.forward({ kind: 'tokens', tokens: Int32Array.of(7, 8), tokensPerRow: 1 })));
      await seq.truncate(3);
      await seq.selectRows(Int32Array.of(1, 0));
      await seq.mergeRows!(Int32Array.of(0, 1), Float32Array.of(0.25, 0.75));
      const embeddings = await model.embedTokens!(Int32Array.of(10, 11));
      out.push(await logitsToHost(await seq.forward({ kind: 'embeddings', embeddings, tokensPerRow: 1 })));
      return { out, rows: seq.rows, length: seq.length };
    };
    const a = await run(local);
    const b = await run(remote);
    expect(b.rows).toBe(2);
    expect(b.length).toBe(4);
    expect(b).toEqual(a);
    await local.dispose();
    await remote.dispose();
    await model.dispose();
  });

  it('moves input buffers instead of copying them and leaves the caller its own arrays', async () => {
    const { client } = serveToy();
    const { model } = await openRemoteModel(client, {}, { onWarning: () => {} });
    const seq = await model.startSequence({ rows: 1 });
    const tokens = Int32Array.of(1, 2);
    const logits = await seq.forward({ kind: 'tokens', tokens, tokensPerRow: 2 });
    expect(Array.from(tokens)).toEqual([1, 2]);
    expect(logits.location).toBe('cpu');
    if (logits.location === 'cpu') expect(logits.data.buffer.byteLength).toBe(50 * 4);
    await model.dispose();
  });

  it('runs the engine to the same tokens as the local model', async () => {
    const { toy, client } = serveToy();
    const { model } = await openRemoteModel(client, {}, { onWarning: () => {} });
    const config = { numOfThinkers: 4, numOfThoughts: 3, pathAcceptance: true };
    const local = await new ReasonFlowEngine(toy, { config }).generate([1, 2, 3], { maxNewTokens: 12 });
    const remote = await new ReasonFlowEngine(model, { config }).generate([1, 2, 3], { maxNewTokens: 12 });
    expect(remote.tokenIds).toEqual(local.tokenIds);
    expect(remote.tokenIds.length).toBeGreaterThan(0);
    expect(await model.resources()).toEqual({ sessions: 0, tensors: 0, sequences: 0 } satisfies ModelResources);
    await model.dispose();
  });

  it('rebuilds typed errors on this side, data fields included', async () => {
    const { client } = serveToy({ acceptsEmbeddings: false });
    const { model } = await openRemoteModel(client, {}, { onWarning: () => {} });
    expect(model.embedTokens).toBeUndefined();
    const seq = await model.startSequence({ rows: 1 });
    const tooLong = await seq.forward({ kind: 'tokens', tokens: new Int32Array(41).fill(1), tokensPerRow: 41 }).catch((e: unknown) => e);
    const embeddings = await seq.forward({ kind: 'embeddings', embeddings: new Float32Array(12), tokensPerRow: 1 }).catch((e: unknown) => e);
    expect(embeddings).toBeInstanceOf(ModelError);
    expect(tooLong).toBeInstanceOf(ContextLengthError);
    expect([(tooLong as ContextLengthError).requiredLength, (tooLong as ContextLengthError).maxLength]).toEqual([41, 40]);
    await expect(seq.truncate(9)).rejects.toThrow(ModelError);
    await model.dispose();
    await expect(model.startSequence({ rows: 1 })).rejects.toThrow(ModelError);
    expect(await model.resources()).toEqual({ sessions: 0, tensors: 0, sequences: 0 });
  });

  it('a failed load rejects with the typed error and closes the endpoint', async () => {
    const { client } = serveToy({ failLoad: new ModelError('bad folder', ['config.json: missing', 'tokenizer.json: missing']) });
    const error = await openRemoteModel(client, {}, { onWarning: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).problems).toEqual(['config.json: missing', 'tokenizer.json: missing']);
  });

  it('wire errors keep class, message, fields and cause', () => {
    const cases: Error[] = [
      new ConfigError('numOfThinkers', { nested: true }, 'an integer'),
      new ContextLengthError(70, 64),
      new UnsupportedFeatureError('soft thoughts', 'no inputs_embeds'),
      new BackendUnavailableError('cuda', 'libcudart missing', 'install CUDA 12', { cause: new TypeError('dlopen') }),
      new RangeError('no row 5'),
    ];
    for (const original of cases) {
      const copy = fromWireError(structuredClone(toWireError(original)));
      expect(copy).toBeInstanceOf(original.constructor);
      expect(copy.name).toBe(original.name);
      expect(copy.message).toBe(original.message);
    }
    const context = fromWireError(toWireError(cases[1])) as ContextLengthError;
    expect([context.requiredLength, context.maxLength]).toEqual([70, 64]);
    const config = fromWireError(toWireError(cases[0])) as ConfigError;
    expect([config.field, config.allowed, config.value]).toEqual(['numOfThinkers', 'an integer', '[object Object]']);
    const backend = fromWireError(toWireError(cases[3])) as BackendUnavailableError;
    expect([backend.provider, backend.reason, backend.hint]).toEqual(['cuda', 'libcudart missing', 'install CUDA 12']);
    expect(backend.cause).toBeInstanceOf(TypeError);
    expect(fromWireError(toWireError('plain text')).message).toBe('plain text');
  });
});
