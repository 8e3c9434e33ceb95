/**
 * Our greedy tokens equal transformers.js' own `generate` on the same fixture folders: ours through
 * core's engine at one thinker (`fromPretrained`'s default path), transformers.js 4.3.1 offline on
 * the CPU with the same dtype.
 */
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { ReasonFlowEngine } from '@reasonflow/core';
import { describe, expect, it } from 'vitest';
import { loadModelFolder, type ModelDtype } from '../src/index.js';
import { FIXTURE_MODELS, type FixtureFolder, fixturePath, reference } from './fixture-models.js';
import { fsSource } from './helpers.js';
import { cpuSessionOptions, ort } from './fixtures.js';

const MAX_NEW = 12;

async function transformersGreedy(folder: FixtureFolder, dtype: ModelDtype, prompt: readonly number[]): Promise<number[]> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${FIXTURE_MODELS}/`;
  const model = await AutoModelForCausalLM.from_pretrained(folder, {
    device: 'cpu',
    dtype,
    ...(folder === 'qwen2-external-data' ? { use_external_data_format: true } : {}),
    session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 },
  });
  try {
    const ids = new Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]);
    const mask = new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
    const out = (await model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: MAX_NEW, min_new_tokens: MAX_NEW, do_sample: false })) as Tensor;
    return (out.tolist() as bigint[][])[0]!.slice(prompt.length).map(Number);
  } finally {
    await model.dispose();
  }
}

describe('greedy tokens equal transformers.js generate on the same folder', () => {
  for (const [folder, dtype] of [
    ['llama', 'fp32'],
    ['qwen2-external-data', 'fp16'],
    ['gpt2-merged', 'fp16'],
  ] as const) {
    it(`${folder} ${dtype}`, async () => {
      const prompt = reference(folder).input_ids;
      const expected = await transformersGreedy(folder, dtype, prompt);
      const loaded = await loadModelFolder(fsSource(fixturePath(folder)), { runtime: ort, sessionOptions: cpuSessionOptions, dtype });
      try {
        const ours = await new ReasonFlowEngine(loaded.model).generate(prompt, { maxNewTokens: MAX_NEW, eosTokenIds: [] });
        expect(expected).toHaveLength(MAX_NEW);
        expect(ours.tokenIds).toEqual(expected);
        // and both agree with torch where it was recorded
        expect(expected.slice(0, 8)).toEqual(reference(folder).variants[dtype]!.greedy_tokens);
      } finally {
        await loaded.dispose();
      }
    });
  }
});
