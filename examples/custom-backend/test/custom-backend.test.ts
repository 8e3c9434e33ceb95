import { ReasonFlowEngine } from '@reasonflow/core';
import { decoderModelConformance } from '@reasonflow/core/testing';
import { ReasonFlow } from 'reasonflow';
import { describe, expect, it } from 'vitest';
import { createExample } from '../src/main.js';

const { model, tokenizer } = createExample();

describe('the n-gram backend keeps the DecoderModel contract', () => {
  for (const check of decoderModelConformance({ model, tokens: tokenizer.encode('the quick fox') })) it(check.name, check.run);
});

describe('ReasonFlow on the n-gram backend', () => {
  it('completes text from the corpus through the facade and releases everything', async () => {
    const rf = new ReasonFlow({ numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true }, model, tokenizer);
    const chunks: string[] = [];
    const result = await rf.generateThoughts('the lazy d', { maxNewTokens: 40, stream: (c) => chunks.push(c.text) });
    // "the lazy dog" is in the corpus: every thinker's best continuation starts there.
    expect(result.output.startsWith('og ')).toBe(true);
    expect(chunks.join('')).toBe(result.output);
    expect(result.tokenIds).toHaveLength(result.stats.tokensCommitted);
    expect(result.stats.forwardSteps).toBeLessThan(result.stats.tokensCommitted * 4); // path acceptance commits lookahead
    expect(await rf.resources()).toEqual({ sessions: 0, tensors: 0, sequences: 0, engineTensors: 0 });
  });

  it('N = 1 greedy equals an argmax loop over the model written by hand', async () => {
    const prompt = tokenizer.encode('a quick');
    const engine = new ReasonFlowEngine(model, { config: { numOfThinkers: 1 } });
    const { tokenIds } = await engine.generate(prompt, { maxNewTokens: 30 });
    const history = [...prompt];
    const expected: number[] = [];
    const scores = new Float32Array(model.info.vocabSize);
    while (expected.length < 30) {
      model.scoreNext(history, scores);
      const best = scores.indexOf(Math.max(...scores));
      expected.push(best);
      history.push(best);
      if (best === 0) break;
    }
    expect(tokenIds).toEqual(expected);
  });
});
