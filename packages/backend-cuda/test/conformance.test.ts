/**
 * Core's DecoderModel conformance suite on backend-cuda's models (the embedded model on the CPU
 * provider here): in this thread, and through the worker-thread RPC client.
 */
import { decoderModelConformance } from '@reasonflow/core/testing';
import { modelPath } from '@reasonflow/model-tiny';
import { afterAll, describe, it } from 'vitest';
import { loadModel, loadModelInWorker } from '../src/index.js';

const tokens = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
const setups = {
  'this thread': () => loadModel(modelPath, { device: 'cpu' }),
  'a worker thread (model RPC)': () => loadModelInWorker(modelPath, { device: 'cpu' }),
};

for (const [name, load] of Object.entries(setups)) {
  const loaded = await load();
  describe(`conformance: embedded model in ${name}`, () => {
    afterAll(() => loaded.dispose());
    for (const check of decoderModelConformance({ model: loaded.model, tokens })) it(check.name, check.run);
  });
}
