import { join } from 'node:path';
import { ConfigError, ModelError } from '@reasonflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, loadModelInWorker, nodeFileSource } from '../src/index.js';
import { cacheEquivalenceScenario } from '../../model-adapter/test/helpers.js';
import { writeToyFolder } from './toy-folder.js';

describe('loadModel on onnxruntime-node (CPU)', () => {
  let toy: ReturnType<typeof writeToyFolder>;
  beforeAll(() => {
    toy = writeToyFolder();
  });
  afterAll(() => toy.remove());

  it('loads a folder from disk and keeps the KV cache consistent', async () => {
    const loaded = await loadModel(toy.folder, { device: 'cpu' });
    expect(loaded.model.info.embeddingSize).toBe(8);
    expect(await cacheEquivalenceScenario(loaded.model, [[5, 6, 7], [8, 9, 10]], [5, 35])).toBeLessThanOrEqual(1e-4);
    await loaded.dispose();
    expect(loaded.model.liveSessions).toBe(0);
    expect(loaded.model.liveTensors).toBe(0);
  });

  it('the file source stays inside the folder', async () => {
    const source = nodeFileSource(toy.folder);
    expect(await source.exists('config.json')).toBe(true);
    expect(await source.exists('nope.json')).toBe(false);
    expect(JSON.parse(await source.readText('config.json')).vocab_size).toBe(40);
    expect((await source.readBinary('onnx/model.onnx')).byteLength).toBeGreaterThan(100);
    await expect(source.readText('../etc/passwd')).rejects.toThrow(RangeError);
  });

  it('a wrong folder is one clear error naming the path; "" is refused', async () => {
    const missing = join(toy.folder, 'no-such-model');
    for (const load of [loadModel, loadModelInWorker]) {
      const error = await load(missing, { device: 'cpu' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).problems).toEqual([`The model folder ${missing} does not exist.`]);
    }
    const file = join(toy.folder, 'config.json');
    await expect(loadModel(file, { device: 'cpu' })).rejects.toThrow(`${file} is a file, not a model folder`);
    await expect(loadModel('', { device: 'cpu' })).rejects.toThrow(ConfigError);
    await expect(loadModel(' ', { device: 'cpu' })).rejects.toThrow(/"folder"/);
  });

  it('bad thread counts are config errors naming the field, before loading', async () => {
    for (const intraOpNumThreads of [-1, 1.5]) {
      await expect(loadModel(toy.folder, { device: 'cpu', intraOpNumThreads })).rejects.toThrow(/"intraOpNumThreads"/);
    }
    await expect(loadModelInWorker(toy.folder, { interOpNumThreads: Number.NaN })).rejects.toThrow(/"interOpNumThreads"/);
    await expect(loadModel(toy.folder, { device: 'cpu', cudaDeviceId: -2 })).rejects.toThrow(ConfigError);
  });
});
