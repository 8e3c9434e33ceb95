import { readFileSync } from 'node:fs';
import { modelPath } from '@reasonflow/model-tiny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReasonFlow, type ReasonFlowConfigInput } from '../src/node.js';

// Recorded once before the engine/model seam was redrawn (d5efad2): refactors must not move a token.
const recorded = JSON.parse(readFileSync(new URL('./fixtures/same-tokens.json', import.meta.url), 'utf8')) as Record<
  string,
  Record<string, number[]>
>;

const settings: Record<string, { config: ReasonFlowConfigInput; sample?: number }> = {
  greedy: { config: { numOfThinkers: 1, numOfThoughts: 1 } },
  'reasonflow N=4 T=4': { config: { numOfThinkers: 4, numOfThoughts: 4 } },
  'reasonflow N=4 T=4 path acceptance': { config: { numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true } },
  'reasonflow N=4 T=4 sampled (seed 11)': { config: { numOfThinkers: 4, numOfThoughts: 4 }, sample: 11 },
};

// The model on this thread (the default) and in a worker thread give the same tokens.
describe.each([
  ['on the main thread', false],
  ['in a worker thread', true],
])('the embedded model keeps its recorded tokens %s', (_where, worker) => {
  let rf: ReasonFlow;
  beforeAll(async () => {
    rf = await ReasonFlow.fromPretrained(modelPath, { onWarning: () => {}, worker });
  });
  afterAll(async () => {
    const { sessions } = await rf.resources();
    expect(sessions).toBeGreaterThan(0);
    await rf.dispose();
    expect(await rf.model.resources?.()).toEqual({ sessions: 0, tensors: 0, sequences: 0 });
  });

  for (const [name, { config, sample }] of Object.entries(settings)) {
    it(name, async () => {
      const expected = recorded[name]!;
      expect(Object.keys(expected).length).toBeGreaterThan(0);
      for (const [prompt, tokens] of Object.entries(expected)) {
        const result = await rf
          .withConfig(config)
          .generateThoughts(prompt, { maxNewTokens: 120, ...(sample !== undefined ? { doSample: true, samplingSeed: sample } : {}) });
        expect(result.tokenIds, `${name} on ${prompt}`).toEqual(tokens);
      }
    });
  }
});
