import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ModelError } from '@reasonflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchFileSource, loadModelFolder } from '../src/index.js';
import { cpuSessionOptions, ort, toyFiles } from './fixtures.js';

describe('fetchFileSource (a model folder over HTTP, as in a browser)', () => {
  let server: Server;
  let base: string;
  const files = toyFiles({ pair: false });
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').replace(/^\/model\//, ''));
      const file = files[path];
      if (file === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(req.method === 'HEAD' ? undefined : Buffer.from(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('loads and runs a model served over HTTP', async () => {
    const source = fetchFileSource(base);
    expect(await source.exists('config.json')).toBe(true);
    expect(await source.exists('onnx/embed_tokens.onnx')).toBe(false);
    const loaded = await loadModelFolder(source, { runtime: ort, sessionOptions: cpuSessionOptions });
    const seq = await loaded.model.startSequence({ rows: 1 });
    const t = await seq.forward({ kind: 'tokens', tokens: Int32Array.of(5, 6), tokensPerRow: 2 });
    expect(t.dims).toEqual([1, 40]);
    await loaded.dispose();
  });

  it('missing files and paths outside the folder', async () => {
    const source = fetchFileSource(`${base}/nothing-here/`);
    const error = await loadModelFolder(source, { runtime: ort }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).problems).toContain('config.json: missing');
    await expect(fetchFileSource(base).readText('../secret')).rejects.toThrow(RangeError);
    await expect(fetchFileSource(base).readText('missing.json')).rejects.toThrow(/HTTP 404/);
  });
});
