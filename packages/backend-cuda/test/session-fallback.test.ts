import { encodeOnnxModel } from '@reasonflow/model-adapter';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { providerSessions } from '../src/execution-provider.js';

// onnxruntime logs the failed CUDA library load natively; keep the test output clean.
ort.env.logLevel = 'fatal';

describe('per-session CUDA fallback', () => {
  it('a session that CUDA cannot create falls back to CPU under auto and fails under cuda', async () => {
    const bytes = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float', shape: [1] }],
      outputs: [{ name: 'y', type: 'float', shape: [1] }],
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
    });
    const warnings: string[] = [];
    const auto = providerSessions('cuda', 'auto', (m) => warnings.push(m));
    const session = await auto.createSession(bytes, 'probe.onnx', {});
    expect(auto.provider()).toBe('cpu');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/probe\.onnx could not be loaded on CUDA/);
    await session.release();
    const forced = providerSessions('cuda', 'cuda', () => {});
    await expect(forced.createSession(bytes, 'probe.onnx', {})).rejects.toThrow(/Cuda|CUDA/);
  });

});
