import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '@reasonflow/core';
import { loadModelFolder } from '@reasonflow/model-adapter';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { nodeFileSource } from '../src/index.js';
import { TOY, toyEmbed, toyEmbedWeights } from '../../model-adapter/test/fixtures.js';
import { recordingSessionFactory } from '../../model-adapter/test/helpers.js';
import { writeToyFolder } from './toy-folder.js';

const sessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 };

describe('external data from a local folder', () => {
  const weights = toyEmbedWeights(TOY);
  const weightBytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);

  it('a graph with external data is opened by path (onnxruntime reads its weights); others from bytes; same embeddings', async () => {
    const external = writeToyFolder({ files: { 'onnx/embed_tokens.onnx': toyEmbed(TOY, 'embed_tokens.weights'), 'onnx/embed_tokens.weights': weightBytes } });
    const inline = writeToyFolder();
    const { openedFrom, live, createSession } = recordingSessionFactory(ort);
    try {
      const loaded = await loadModelFolder(nodeFileSource(external.folder), { runtime: ort, sessionOptions, createSession });
      const reference = await loadModelFolder(nodeFileSource(inline.folder), { runtime: ort, sessionOptions });
      expect(openedFrom.get('onnx/embed_tokens.onnx')).toBe(join(external.folder, 'onnx/embed_tokens.onnx'));
      expect(openedFrom.get('onnx/decoder_model_merged.onnx')).toBe('bytes');
      const tokens = Int32Array.of(3, 7, 11, 39);
      const embedded = await loaded.model.embedTokens!(tokens);
      expect(embedded.length).toBe(4 * 8);
      expect(embedded).toEqual(await reference.model.embedTokens!(tokens));
      await Promise.all([loaded.dispose(), reference.dispose()]);
      expect(live.size).toBe(0);
    } finally {
      external.remove();
      inline.remove();
    }
  });

  it('a truncated external file is a ModelError naming it and its size, checked without reading it; nothing stays open', async () => {
    const external = writeToyFolder({ files: { 'onnx/embed_tokens.onnx': toyEmbed(TOY, 'embed_tokens.weights'), 'onnx/embed_tokens.weights': weightBytes } });
    writeFileSync(join(external.folder, 'onnx/embed_tokens.weights'), weightBytes.subarray(0, 100));
    const { live, createSession } = recordingSessionFactory(ort);
    const source = nodeFileSource(external.folder);
    const read: string[] = [];
    const readBinary = source.readBinary;
    try {
      const error = await loadModelFolder(
        { ...source, readBinary: (relPath) => (read.push(relPath), readBinary(relPath)) },
        { runtime: ort, sessionOptions, createSession },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).problems).toEqual([
        `onnx/embed_tokens.weights: truncated: 100 bytes, but onnx/embed_tokens.onnx stores tensors up to byte ${weightBytes.byteLength} there (external data)`,
      ]);
      expect(read).not.toContain('onnx/embed_tokens.weights');
      expect(live.size).toBe(0);
    } finally {
      external.remove();
    }
  });
});
