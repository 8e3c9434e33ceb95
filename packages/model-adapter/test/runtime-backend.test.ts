import { BackendUnavailableError, ConfigError, ModelError } from '@reasonflow/core';
import { describe, expect, it } from 'vitest';
import { type BackendDevice, createOrtSession, loadModel, type ModelEvent, memoryFileSource, registerBackend, resolveBackend, resolveDevice, type RuntimeBackend } from '../src/index.js';
import { cpuSessionOptions, ort, toyFolder } from './fixtures.js';

const cpu: BackendDevice = { name: 'cpu', label: 'CPU', kvPlacement: 'host' };
/** A device whose probe says yes but on which onnxruntime refuses every graph. */
const refusing: BackendDevice = { name: 'accel', label: 'ACCEL', kvPlacement: 'host', probe: async () => ({ available: true, description: 'test card' }) };
const missing: BackendDevice = {
  name: 'accel',
  label: 'ACCEL',
  kvPlacement: 'host',
  probe: async () => ({ available: false, reason: 'no driver' }),
  unavailableHint: 'Install the driver.',
  fallbackNote: ' See the README.',
};

function backend(devices: BackendDevice[]): RuntimeBackend {
  return {
    name: 'test-ort',
    runtime: ort,
    devices,
    createSession: async (bytes, device, options) => {
      if (device.name === 'accel') throw new Error('ACCEL kernels missing');
      return createOrtSession(ort, bytes, { ...options, executionProviders: ['cpu'] });
    },
  };
}

describe('resolveDevice (the one rule)', () => {
  it('auto skips an unavailable device with one warning; a forced one is a BackendUnavailableError; others are refused', async () => {
    const b = backend([missing, cpu]);
    const auto = await resolveDevice(b, 'auto');
    expect(auto.device).toBe(cpu);
    expect(auto.warning).toBe('[reasonflow] ACCEL is not available (no driver); running on CPU. See the README.');
    expect((await resolveDevice(b, 'cpu')).warning).toBeUndefined();
    const forced = await resolveDevice(b, 'accel').catch((e: unknown) => e);
    expect(forced).toBeInstanceOf(BackendUnavailableError);
    expect((forced as Error).message).toContain('Install the driver.');
    await expect(resolveDevice(b, 'gpu')).rejects.toThrow("device must be 'auto', 'accel' or 'cpu', got \"gpu\"");
  });
});

describe('registerBackend / resolveBackend', () => {
  it('picks by name, or the highest priority offering the device', () => {
    const low = backend([cpu]);
    const high = { ...backend([refusing, cpu]), name: 'high' };
    registerBackend('test-low', low, 1);
    registerBackend('test-high', high, 100);
    expect(resolveBackend({ name: 'test-low' })).toBe(low);
    expect(resolveBackend({ device: 'accel' })).toBe(high);
    expect(resolveBackend()).toBe(high);
    registerBackend('test-high', low, 50); // a lower priority does not replace
    expect(resolveBackend({ name: 'test-high' })).toBe(high);
    expect(() => resolveBackend({ name: 'nope' })).toThrow(ConfigError);
    expect(() => resolveBackend({ device: 'tpu' })).toThrow(ConfigError);
  });
});

describe('loadModel (the one loader)', () => {
  it('under auto, a device onnxruntime refuses is replaced by the next one for the whole folder, with one warning', async () => {
    const warnings: string[] = [];
    const loaded = await loadModel(toyFolder(), { backend: backend([refusing, cpu]), sessionOptions: cpuSessionOptions, onWarning: (m) => warnings.push(m) });
    expect(loaded.executionProvider).toBe('cpu');
    expect(loaded.deviceInfo).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\[reasonflow\] the model could not be loaded on ACCEL \(.*ACCEL kernels missing.*\); running on CPU\.$/s);
    expect(loaded.resources()).toEqual({ sessions: 3, deviceTensors: 0, deviceTensorsCreated: 0, adapterTensors: 0, sequences: 0 });
    await loaded.dispose();
    expect(loaded.resources().sessions).toBe(0);

    const forced = await loadModel(toyFolder(), { backend: backend([refusing, cpu]), device: 'accel' }).catch((e: unknown) => e);
    expect(forced).toBeInstanceOf(ModelError);
  });

  it('a folder problem is not a reason to fall back', async () => {
    const warnings: string[] = [];
    const error = await loadModel(memoryFileSource({}, 'empty'), { backend: backend([refusing, cpu]), onWarning: (m) => warnings.push(m) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).problems).toContain('config.json: missing');
    expect(warnings).toEqual([]);
  });
});

describe('model events', () => {
  it('report forward passes with the lazy KV gather inside them, and KV means, until unsubscribed', async () => {
    const events: ModelEvent[] = [];
    const loaded = await loadModel(toyFolder({ pair: false }), { backend: backend([cpu]), sessionOptions: cpuSessionOptions, onEvent: (e) => events.push(e) });
    const later: ModelEvent[] = [];
    const stop = loaded.model.observe((e) => later.push(e));
    const seq = await loaded.model.startSequence({ rows: 2 });
    await seq.forward({ kind: 'tokens', tokens: Int32Array.of(1, 2, 3, 4), tokensPerRow: 2 });
    await seq.selectRows(Int32Array.of(1, 1));
    await seq.truncate(1);
    await seq.forward({ kind: 'tokens', tokens: Int32Array.of(5, 6), tokensPerRow: 1 });
    await seq.mergeRows!(Int32Array.of(0, 1), Float32Array.of(1, 1));
    stop();
    await seq.forward({ kind: 'tokens', tokens: Int32Array.of(7, 8), tokensPerRow: 1 });
    expect(events.map((e) => (e.type === 'kv' ? e.operation : e.type))).toEqual(['forward', 'gatherSlice', 'forward', 'weightedMean', 'forward']);
    expect(later).toHaveLength(4);
    const [first, gather, second] = events as [ModelEvent & { type: 'forward' }, ModelEvent & { type: 'kv' }, ModelEvent & { type: 'forward' }];
    expect(first).toMatchObject({ file: 'onnx/model.onnx', rows: 2, positions: 2, kvGatherMs: 0 });
    expect(gather).toMatchObject({ implementation: 'host', tensors: 2 * loaded.config.numLayers });
    expect(second.kvGatherMs).toBe(gather.durationMs);
    expect(second.durationMs).toBeGreaterThanOrEqual(second.kvGatherMs);
    expect(loaded.resources()).toMatchObject({ sequences: 1, adapterTensors: 2 * loaded.config.numLayers, deviceTensors: 0 });
    await seq.dispose();
    expect(loaded.resources().adapterTensors).toBe(0);
    await loaded.dispose();
  });
});
