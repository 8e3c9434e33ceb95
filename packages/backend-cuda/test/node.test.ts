import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, nodeFileSource } from '../src/index.js';
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
});
