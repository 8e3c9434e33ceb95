import { ModelError, ReasonFlowError } from '@reasonflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, loadModel, probeCuda, resolveExecutionProvider } from '../src/index.js';
import { writeToyFolder } from './toy-folder.js';

// This machine (and CI) has no CUDA provider library: pnpm does not run onnxruntime-node's install script.
describe('execution providers', () => {
  let toy: ReturnType<typeof writeToyFolder>;
  beforeAll(() => {
    toy = writeToyFolder();
  });
  afterAll(() => toy.remove());

  it('the CUDA probe reports why CUDA is unavailable', async () => {
    const cuda = await probeCuda();
    expect(cuda.available).toBe(false);
    expect(cuda.reason).toMatch(/libonnxruntime_providers_cuda\.so|CUDA/);
  });

  it("device 'cpu' runs on CPU without warnings", async () => {
    const warnings: string[] = [];
    const loaded = await loadModel(toy.folder, { device: 'cpu', onWarning: (m) => warnings.push(m) });
    expect(loaded.executionProvider).toBe('cpu');
    expect(warnings).toEqual([]);
    await loaded.dispose();
  });

  it("device 'auto' falls back to CPU with exactly one warning line", async () => {
    const warnings: string[] = [];
    const loaded = await loadModel(toy.folder, { device: 'auto', onWarning: (m) => warnings.push(m) });
    expect(loaded.executionProvider).toBe('cpu');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\[reasonflow\] CUDA is not available \(.+\); running on CPU\./);
    expect(warnings[0]).not.toContain('\n');
    await loaded.dispose();
  });

  it("the default device is 'auto' and warns through console.warn", async () => {
    const original = console.warn;
    const lines: unknown[][] = [];
    console.warn = (...args: unknown[]) => lines.push(args);
    try {
      const loaded = await loadModel(toy.folder);
      expect(loaded.executionProvider).toBe('cpu');
      await loaded.dispose();
    } finally {
      console.warn = original;
    }
    expect(lines).toHaveLength(1);
  });

  it("device 'cuda' where CUDA cannot load is a BackendUnavailableError that says how to install it", async () => {
    const error = await loadModel(toy.folder, { device: 'cuda' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error).toBeInstanceOf(ReasonFlowError);
    expect((error as BackendUnavailableError).provider).toBe('cuda');
    expect((error as Error).message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    expect((error as Error).message).toContain("device 'cpu' or 'auto'");
  });

  it('resolveExecutionProvider follows the probe', async () => {
    const warn: string[] = [];
    const available = async () => ({ available: true });
    const missing = async () => ({ available: false, reason: 'no driver', cause: new Error('dlopen failed') });
    expect(await resolveExecutionProvider('cuda', (m) => warn.push(m), available)).toBe('cuda');
    expect(await resolveExecutionProvider('auto', (m) => warn.push(m), available)).toBe('cuda');
    expect(await resolveExecutionProvider('cpu', (m) => warn.push(m), missing)).toBe('cpu');
    expect(warn).toEqual([]);
    expect(await resolveExecutionProvider('auto', (m) => warn.push(m), missing)).toBe('cpu');
    expect(warn).toHaveLength(1);
    const error = await resolveExecutionProvider('cuda', () => {}, missing).catch((e: unknown) => e);
    expect((error as BackendUnavailableError).reason).toBe('no driver');
    expect((error as Error).cause).toBeInstanceOf(Error);
    await expect(resolveExecutionProvider('gpu' as 'cpu', () => {})).rejects.toThrow(RangeError);
  });

  it('folder problems stay ModelErrors', async () => {
    const error = await loadModel(`${toy.folder}/onnx`, { device: 'cpu' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).problems).toContain('config.json: missing');
    // A folder that does not exist is one problem naming it, not every file missing.
    const missing = await loadModel(`${toy.folder}/does-not-exist`, { device: 'cpu' }).catch((e: unknown) => e);
    expect((missing as ModelError).problems).toEqual([`The model folder ${toy.folder}/does-not-exist does not exist.`]);
  });
});
