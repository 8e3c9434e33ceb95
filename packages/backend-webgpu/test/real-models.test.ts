/**
 * The same loading in the browser backend (onnxruntime-web's Node build, wasm): an fp16 folder with
 * external data and an onnxruntime-genai folder, fetched over HTTP, reproduce torch's greedy tokens.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReasonFlowEngine } from '@reasonflow/core';
import { describe, expect, test } from 'vitest';
import { configureOrtWeb, fetchFileSource, loadModel } from '../src/index.js';

const FIXTURES = join(import.meta.dirname, '../../model-adapter/test/fixtures/models');

/** A static server's answers over one fixture folder (404 for what it lacks). */
function folderFetch(root: string): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const rel = decodeURIComponent(new URL(String(input)).pathname.replace(/^\/model\//, ''));
    try {
      const bytes = await readFile(join(root, rel));
      return new Response(init?.method === 'HEAD' ? null : bytes, { status: 200, headers: { 'content-length': String(bytes.length) } });
    } catch {
      return new Response('not found', { status: 404, statusText: 'Not Found' });
    }
  }) as typeof fetch;
}

describe('loadModel on onnxruntime-web: the layouts users download', () => {
  for (const [folder, dtype, file] of [
    ['qwen2-external-data', 'fp16', 'onnx/model_fp16.onnx'],
    ['gpt2-merged', 'fp16', 'onnx/model_fp16.onnx'],
    ['phi3-genai', undefined, 'model.onnx'],
  ] as const) {
    test(`${folder}${dtype ? ` ${dtype}` : ''}: greedy equals torch's`, async () => {
      configureOrtWeb({ numThreads: 1 });
      const root = join(FIXTURES, folder);
      const reference = JSON.parse(await readFile(join(root, 'reference.json'), 'utf8')) as {
        input_ids: number[];
        variants: Record<string, { greedy_tokens: number[] }>;
      };
      const loaded = await loadModel(fetchFileSource('http://host/model/', { fetch: folderFetch(root) }), {
        device: 'wasm',
        ...(dtype !== undefined ? { dtype } : {}),
      });
      try {
        expect(loaded.model.files).toEqual([file]);
        const expected = reference.variants[dtype ?? 'fp32']!.greedy_tokens;
        const result = await new ReasonFlowEngine(loaded.model).generate(reference.input_ids, { maxNewTokens: expected.length, eosTokenIds: [] });
        expect(result.tokenIds).toEqual(expected);
        expect(loaded.resources()).toMatchObject({ sequences: 0, adapterTensors: 0 });
      } finally {
        await loaded.dispose();
      }
    });
  }
});
