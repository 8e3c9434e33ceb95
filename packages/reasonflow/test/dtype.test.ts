/** `fromPretrained(folder, { dtype })` picks transformers.js' file for the dtype, in process and in a worker. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ReasonFlow } from '../src/node.js';

const llama = join(import.meta.dirname, '../../model-adapter/test/fixtures/models/llama');
const reference = JSON.parse(readFileSync(join(llama, 'reference.json'), 'utf8')) as {
  prompt: string;
  variants: Record<string, { greedy_tokens: number[] }>;
};

describe('fromPretrained dtype', () => {
  for (const worker of [false, true]) {
    it(`fp16 loads onnx/model_fp16.onnx and continues as torch does${worker ? ' (worker)' : ''}`, async () => {
      const read: string[] = [];
      const rf = await ReasonFlow.fromPretrained(llama, { device: 'cpu', dtype: 'fp16', worker, onProgress: (p) => read.push(p.file) });
      try {
        // (fp16 and fp32 continue alike on this model, so the file read is what shows the dtype.)
        expect(read).toEqual(['onnx/model_fp16.onnx']);
        const expected = reference.variants.fp16!.greedy_tokens;
        // The prompt encodes (with BOS) to the ids torch was fed; no EOS so all tokens come.
        const result = await rf.generateThoughts(reference.prompt, { maxNewTokens: expected.length, eosTokenIds: [] });
        expect(result.tokenIds).toEqual(expected);
      } finally {
        await rf.dispose();
      }
    });
  }

  it('a dtype the folder lacks is a ConfigError listing the ones it has', async () => {
    const error = await ReasonFlow.fromPretrained(llama, { device: 'cpu', dtype: 'q8' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/"dtype": got "q8", expected one that .* has: fp32, fp16, q4/);
  });
});
