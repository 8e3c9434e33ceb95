/**
 * Core's DecoderModel conformance suite on backend-webgpu's model: onnxruntime-web's wasm build in
 * Node (the browser's WebGPU run is covered by apps/web's Chromium test).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decoderModelConformance } from '@reasonflow/core/testing';
import { modelPath } from '@reasonflow/model-tiny';
import { afterAll, describe, it } from 'vitest';
import { configureOrtWeb, loadModel, memoryFileSource } from '../src/index.js';

configureOrtWeb({ numThreads: 1 });
const files: Record<string, Uint8Array> = {};
for (const file of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
  files[file] = new Uint8Array(await readFile(join(modelPath, file)));
}
const loaded = await loadModel(memoryFileSource(files, 'model-tiny'), { device: 'wasm', inputsEmbeds: false });

describe('conformance: embedded model on onnxruntime-web wasm', () => {
  afterAll(() => loaded.dispose());
  for (const check of decoderModelConformance({ model: loaded.model, tokens: [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27] })) {
    it(check.name, check.run);
  }
});
