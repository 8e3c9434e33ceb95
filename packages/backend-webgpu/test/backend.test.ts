import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReasonFlowEngine } from '@reasonflow/core';
import { modelPath } from '@reasonflow/model-tiny';
import { describe, expect, test, vi } from 'vitest';
import {
  configureOrtWeb,
  fetchFileSource,
  type FileProgress,
  loadModel,
  probeWebGpu,
  resolveWebExecutionProvider,
  BackendUnavailableError,
} from '../src/index.js';
import { resetWebGpuProbe } from '../src/execution-provider.js';

/** A fetch over the model-tiny folder, as a static server would answer. */
function folderFetch(root: string, log: string[] = []): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    log.push(`${method} ${url.pathname}`);
    const rel = decodeURIComponent(url.pathname.replace(/^\/models\/tiny\//, ''));
    try {
      const bytes = await readFile(join(root, rel));
      const headers = { 'content-length': String(bytes.length), 'content-type': 'application/octet-stream' };
      return new Response(method === 'HEAD' ? null : bytes, { status: 200, headers });
    } catch {
      return new Response('not found', { status: 404, statusText: 'Not Found' });
    }
  }) as typeof fetch;
}

describe('fetchFileSource', () => {
  test('reads text and bytes over HTTP, with progress, and asks HEAD for existence', async () => {
    const log: string[] = [];
    const progress: FileProgress[] = [];
    const source = fetchFileSource('http://host/models/tiny', { fetch: folderFetch(modelPath, log), onProgress: (p) => progress.push(p) });
    expect(source.description).toBe('http://host/models/tiny/');
    expect(await source.exists('config.json')).toBe(true);
    expect(await source.exists('onnx/missing.onnx')).toBe(false);
    expect(JSON.parse(await source.readText('config.json')).model_type).toBe('llama');
    const bytes = await source.readBinary('onnx/model.onnx');
    expect(Buffer.compare(bytes, await readFile(join(modelPath, 'onnx/model.onnx')))).toBe(0);
    expect(progress.at(-1)).toEqual({ file: 'onnx/model.onnx', loaded: bytes.length, total: bytes.length, done: true });
    expect(log.filter((l) => l.startsWith('HEAD'))).toEqual(['HEAD /models/tiny/config.json', 'HEAD /models/tiny/onnx/missing.onnx']);
    await expect(source.readText('nope.json')).rejects.toThrow(/nope\.json: HTTP 404/);
  });

  test('refuses paths outside the folder and treats an HTML fallback page as missing', async () => {
    const spa = (async () => new Response('<html>', { headers: { 'content-type': 'text/html' } })) as unknown as typeof fetch;
    const source = fetchFileSource('http://host/m/', { fetch: spa });
    expect(await source.exists('onnx/model.onnx')).toBe(false);
    await expect(source.readText('../secret')).rejects.toThrow(RangeError);
    await expect(source.readText('/etc/passwd')).rejects.toThrow(RangeError);
  });
});

describe('execution provider', () => {
  test('auto falls back to wasm with one warning when there is no adapter; webgpu refuses', async () => {
    const warn = vi.fn();
    const none = async () => ({ available: false, reason: 'no adapter here' });
    expect(await resolveWebExecutionProvider('auto', warn, none)).toBe('wasm');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/WebGPU is not available \(no adapter here\); running on wasm/);
    await expect(resolveWebExecutionProvider('webgpu', warn, none)).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(await resolveWebExecutionProvider('wasm', warn, none)).toBe('wasm');
    expect(await resolveWebExecutionProvider('auto', warn, async () => ({ available: true }))).toBe('webgpu');
    await expect(resolveWebExecutionProvider('cuda' as never, warn, none)).rejects.toThrow(RangeError);
  });

  test('probeWebGpu reads navigator.gpu', async () => {
    resetWebGpuProbe();
    expect((await probeWebGpu(undefined)).available).toBe(false);
    resetWebGpuProbe();
    const adapter = await probeWebGpu({ requestAdapter: async () => ({ info: { vendor: 'google', architecture: 'swiftshader' } }) });
    expect(adapter).toEqual({ available: true, adapter: 'google swiftshader' });
    resetWebGpuProbe();
    expect(await probeWebGpu({ requestAdapter: async () => null })).toMatchObject({ available: false });
    resetWebGpuProbe();
  });
});

describe('loadModel on onnxruntime-web (wasm, in Node)', () => {
  test('loads the embedded model over fetch, generates, and releases everything', async () => {
    configureOrtWeb({ numThreads: 1 });
    const warnings: string[] = [];
    const loaded = await loadModel(fetchFileSource('http://host/models/tiny/', { fetch: folderFetch(modelPath) }), {
      device: 'auto',
      probe: async () => ({ available: false, reason: 'Node has no WebGPU' }),
      onWarning: (m) => warnings.push(m),
      inputsEmbeds: false,
    });
    expect(loaded.executionProvider).toBe('wasm');
    expect(warnings).toHaveLength(1);
    expect(loaded.model.kvCacheOps.name).toBe('host');
    const engine = new ReasonFlowEngine(loaded.model, { config: { numOfThinkers: 3, numOfThoughts: 3 } });
    const prompt = Array.from(loaded.tokenizer.encode('4071+985='));
    const result = await engine.generate(prompt, { maxNewTokens: 8, eosTokenIds: loaded.tokenizer.eosTokenIds });
    expect(result.tokenIds.length).toBeGreaterThan(0);
    expect(loaded.resources()).toMatchObject({ sequences: 0, adapterTensors: 0, deviceTensors: 0, sessions: 1 });
    expect(engine.backend.liveTensors).toBe(0);
    await loaded.dispose();
    expect(loaded.resources().sessions).toBe(0);
  });
});

describe('the built package in plain Node (no bundler)', () => {
  // Node resolves `#onnxruntime-web` through package.json "imports" to onnxruntime-web's Node build;
  // the browser builds cannot load there. vitest resolves modules its own way, so run real Node.
  test('loads the model on wasm and generates the same tokens as under vitest', async () => {
    const script = `
      import { readFile } from 'node:fs/promises';
      import { join } from 'node:path';
      import { ReasonFlowEngine } from '@reasonflow/core';
      import { loadModel, memoryFileSource } from '@reasonflow/backend-webgpu';
      const root = ${JSON.stringify(modelPath)};
      const files = {};
      for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
        try { files[f] = f.endsWith('.onnx') ? new Uint8Array(await readFile(join(root, f))) : await readFile(join(root, f), 'utf8'); } catch {}
      }
      const loaded = await loadModel(memoryFileSource(files, root), { device: 'wasm', inputsEmbeds: false });
      const engine = new ReasonFlowEngine(loaded.model, { config: { numOfThinkers: 1, numOfThoughts: 1 } });
      const r = await engine.generate(Array.from(loaded.tokenizer.encode('4071+985=')), { maxNewTokens: 6, eosTokenIds: [] });
      console.log(JSON.stringify({ provider: loaded.executionProvider, tokens: r.tokenIds }));
      await loaded.dispose();
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '..') });
    const plain = JSON.parse(stdout.trim().split('\n').at(-1)!) as { provider: string; tokens: number[] };
    expect(plain.provider).toBe('wasm');

    configureOrtWeb({ numThreads: 1 });
    const loaded = await loadModel(fetchFileSource('http://host/models/tiny/', { fetch: folderFetch(modelPath) }), { device: 'wasm', inputsEmbeds: false });
    const engine = new ReasonFlowEngine(loaded.model, { config: { numOfThinkers: 1, numOfThoughts: 1 } });
    const here = await engine.generate(Array.from(loaded.tokenizer.encode('4071+985=')), { maxNewTokens: 6, eosTokenIds: [] });
    await loaded.dispose();
    expect(plain.tokens).toEqual(here.tokenIds);
    expect(plain.tokens).toHaveLength(6);
  });
});
