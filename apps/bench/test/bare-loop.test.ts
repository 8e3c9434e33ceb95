import { MODEL_SPEC, tinyModelDir } from '@reasonflow/model-tiny';
import { describe, expect, it } from 'vitest';
import { BareOrtDecoder } from '../src/bare-loop.js';

describe('BareOrtDecoder', () => {
  it('a batch of identical rows decodes the same tokens as one row (the batch-cost baseline)', async () => {
    const shape = { layers: MODEL_SPEC.numLayers, kvHeads: MODEL_SPEC.numKeyValueHeads, headDim: MODEL_SPEC.headDim, vocab: MODEL_SPEC.vocabSize };
    const bare = await BareOrtDecoder.load(tinyModelDir, shape, 1);
    try {
      const prompt = [1, 20, 21, 22, 14, 23];
      const one = await bare.greedy(prompt, 12);
      const four = await bare.greedy(prompt, 12, [], 4);
      expect(one.tokenIds).toHaveLength(12);
      expect(four.tokenIds).toEqual(one.tokenIds);
      expect(four.forwardSteps).toBe(one.forwardSteps);
    } finally {
      await bare.dispose();
    }
  });
});
