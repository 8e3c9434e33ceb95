/**
 * Core's DecoderModel conformance suite on the ONNX adapter: the embedded model (GQA, RoPE, the
 * inputs_embeds pair) with either KV implementation, the toy graph with token ids only, and the
 * model RPC client (a model on the other side of a message port).
 */
import { MessageChannel } from 'node:worker_threads';
import type { DecoderModel } from '@reasonflow/core';
import { decoderModelConformance, ToyModel } from '@reasonflow/core/testing';
import { modelPath } from '@reasonflow/model-tiny';
import { afterAll, describe, it } from 'vitest';
import { loadModelFolder, OnnxKvCacheOps } from '../src/index.js';
import { emitterEndpoint, openRemoteModel, serveModel } from '../src/rpc/index.js';
import { cpuSessionOptions, ort, toyFolder } from './fixtures.js';
import { fsSource } from './helpers.js';


/** The embedded model served over a MessageChannel, as a worker would serve it. */
async function remoteEmbeddedModel(): Promise<{ model: DecoderModel; dispose(): Promise<void> }> {
  const channel = new MessageChannel();
  serveModel(emitterEndpoint(channel.port1), async () => {
    const loaded = await loadModelFolder(fsSource(modelPath), { runtime: ort, sessionOptions: cpuSessionOptions });
    return { model: loaded.model, details: {}, dispose: () => loaded.dispose() };
  });
  const { model } = await openRemoteModel(emitterEndpoint(channel.port2), {}, { onWarning: () => {} });
  return {
    model,
    dispose: async () => {
      await model.dispose();
      channel.port1.close();
      channel.port2.close();
    },
  };
}

const setups: Record<string, () => Promise<{ model: DecoderModel; dispose(): Promise<void> }>> = {
  'embedded model through the model RPC': remoteEmbeddedModel,
  'toy model (core) through the model RPC': async () => {
    const channel = new MessageChannel();
    serveModel(emitterEndpoint(channel.port1), async () => ({ model: new ToyModel(), details: {}, dispose: async () => {} }));
    const { model } = await openRemoteModel(emitterEndpoint(channel.port2), {}, { onWarning: () => {} });
    return { model, dispose: () => model.dispose().then(() => channel.port1.close()) };
  },
  'embedded model, host KV': () => loadModelFolder(fsSource(modelPath), { runtime: ort, sessionOptions: cpuSessionOptions }),
  'embedded model, KV as ONNX graphs': () =>
    loadModelFolder(fsSource(modelPath), {
      runtime: ort,
      sessionOptions: cpuSessionOptions,
      kvCacheOps: (runtime) => new OnnxKvCacheOps(runtime, cpuSessionOptions),
    }),
  'toy graph, token ids only': () => loadModelFolder(toyFolder(), { runtime: ort, sessionOptions: cpuSessionOptions, inputsEmbeds: false }),
};

for (const [name, load] of Object.entries(setups)) {
  const loaded = await load();
  describe(`conformance: ${name}`, () => {
    afterAll(() => loaded.dispose());
    // Token ids of the embedded model's digits and operators (any in-vocabulary ids would do).
    for (const check of decoderModelConformance({ model: loaded.model, tokens: [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27] })) {
      it(check.name, check.run);
    }
  });
}
