import { ModelError } from '@reasonflow/core';
import { loadModel, type RuntimeBackend } from '@reasonflow/model-adapter';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBackend, nodeFileSource } from '../src/index.js';
import { writeToyFolder } from './toy-folder.js';

// onnxruntime logs the failed CUDA library load natively; keep the test output clean.
ort.env.logLevel = 'fatal';

/** The Node backend with a CUDA probe that says yes: session creation on CUDA then fails on this machine. */
const cudaClaimed: RuntimeBackend = {
  ...nodeBackend,
  devices: nodeBackend.devices.map((d) => (d.name === 'cuda' ? { ...d, probe: async () => ({ available: true }) } : d)),
};

describe('the shared fallback rule on onnxruntime-node', () => {
  let toy: ReturnType<typeof writeToyFolder>;
  beforeAll(() => {
    toy = writeToyFolder();
  });
  afterAll(() => toy.remove());

  it('a folder CUDA cannot load is loaded again on CPU under auto (one warning) and fails under cuda', async () => {
    const warnings: string[] = [];
    const loaded = await loadModel(nodeFileSource(toy.folder), { backend: cudaClaimed, device: 'auto', onWarning: (m) => warnings.push(m) });
    expect(loaded.executionProvider).toBe('cpu');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\[reasonflow\] the model could not be loaded on CUDA \(.+\); running on CPU\.$/s);
    expect(loaded.resources()).toMatchObject({ sessions: loaded.model.files.length, sequences: 0, adapterTensors: 0, deviceTensors: 0 });
    await loaded.dispose();
    expect(loaded.resources().sessions).toBe(0);

    const forced = await loadModel(nodeFileSource(toy.folder), { backend: cudaClaimed, device: 'cuda' }).catch((e: unknown) => e);
    expect(forced).toBeInstanceOf(ModelError);
    expect(String((forced as ModelError).problems)).toMatch(/onnxruntime cannot load it: .*(Cuda|CUDA)/);
  });
});
