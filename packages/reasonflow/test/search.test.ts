import { COUNTDOWN_STEP_DELIMITER, countdownStepScorer, evalSet, extractAnswer, generateExamples, modelPath } from '@reasonflow/model-tiny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ReasonFlow, type TextChunk } from '../src/node.js';

let rf: ReasonFlow;

beforeAll(async () => {
  rf = await ReasonFlow.fromPretrained(modelPath, { device: 'cpu' });
});
afterAll(async () => {
  await rf.dispose();
});

// Problems apart from the evaluation sets, except where a test compares with generateThoughts.
const countdown = generateExamples('countdown', 'hard', 9101, 3);

/** Steps of a text, split where the delimiter matches (as guided search splits them). */
function steps(text: string): string[] {
  const out: string[] = [];
  let step = '';
  for (const ch of text) {
    step += ch;
    if (COUNTDOWN_STEP_DELIMITER.test(step)) {
      out.push(step);
      step = '';
    }
  }
  if (step) out.push(step);
  return out;
}

describe('ReasonFlow#search on the embedded model', () => {
  it('greedy gives the same tokens as generateThoughts with one thinker, and streams its text', async () => {
    for (const problem of [...evalSet('addition', 'easy', 2), ...evalSet('countdown', 'easy', 2)]) {
      const chunks: TextChunk[] = [];
      const searched = await rf.search(problem.prompt, { kind: 'greedy' }, { maxNewTokens: 80, stream: (c) => chunks.push(c) });
      const thoughts = await rf.withConfig({ numOfThinkers: 1, numOfThoughts: 1 }).generateThoughts(problem.prompt, { maxNewTokens: 80 });
      expect(searched.tokenIds).toEqual(thoughts.tokenIds);
      expect(searched.output).toBe(thoughts.output);
      expect(chunks.map((c) => c.text).join('')).toBe(searched.output);
      expect(searched.stats.rowsComputed).toBe(thoughts.stats.rowsComputed);
    }
  });

  it('self-consistency returns the majority of its candidates, best-of-N the most likely one', async () => {
    const problem = countdown[0]!;
    const sc = await rf.search(problem.prompt, { kind: 'self-consistency', n: 6, temperature: 1 }, { extractAnswer, maxNewTokens: 160, seed: 3 });
    const counts = new Map<string, number>();
    for (const c of sc.candidates) {
      expect(c.answer).toBe(extractAnswer(c.text));
      if (c.answer !== null) counts.set(c.answer, (counts.get(c.answer) ?? 0) + 1);
    }
    expect(counts.get(sc.answer!)).toBe(Math.max(...counts.values()));
    expect(sc.stats.rowsComputed).toBeGreaterThan(6 * problem.prompt.length);

    const best = await rf.search(problem.prompt, { kind: 'best-of-n', n: 6, temperature: 1 }, { extractAnswer, maxNewTokens: 160, seed: 3 });
    const means = best.candidates.map((c) => c.meanLogProb);
    expect(best.tokenIds).toEqual(best.candidates[means.indexOf(Math.max(...means))]!.tokenIds);
    // Same seed, same sampler: the same six traces as self-consistency.
    expect(best.candidates.map((c) => c.text)).toEqual(sc.candidates.map((c) => c.text));
  });

  it('guided search with the Countdown step checker returns only traces whose every step passes it', async () => {
    for (const problem of countdown.slice(0, 2)) {
      const check = countdownStepScorer(problem.prompt);
      const result = await rf.search(
        problem.prompt,
        { kind: 'guided', particles: 6, stepDelimiter: COUNTDOWN_STEP_DELIMITER, scoreStep: check },
        { extractAnswer, maxNewTokens: 160, seed: 1 },
      );
      expect(result.stats.scorerCalls).toBeGreaterThan(0);
      expect(result.candidates.length).toBeGreaterThan(0);
      for (const candidate of result.candidates) {
        let prefixText = '';
        for (const stepText of steps(candidate.text)) {
          expect(check({ prefixText, stepText })).toBe(0);
          prefixText += stepText;
        }
      }
      if (result.answer !== null) expect(result.candidates.some((c) => c.answer === result.answer)).toBe(true);
    }
  });

  it('DeepConf votes within its budget; a reasonflow strategy without config uses the instance config', async () => {
    const problem = countdown[1]!;
    const budget = 4 * 400;
    const result = await rf.search(
      problem.prompt,
      { kind: 'deepconf', rows: 4, step_delimiter: COUNTDOWN_STEP_DELIMITER, budget },
      { extractAnswer, maxNewTokens: 160 },
    );
    expect(result.stats.rowsComputed).toBeLessThanOrEqual(budget);
    expect(result.stats.rounds).toBeGreaterThanOrEqual(1);
    const rfResult = await rf.withConfig({ numOfThinkers: 2, numOfThoughts: 2 }).search(problem.prompt, { kind: 'reasonflow' }, { maxNewTokens: 40 });
    const thoughts = await rf.withConfig({ numOfThinkers: 2, numOfThoughts: 2 }).generateThoughts(problem.prompt, { maxNewTokens: 40 });
    expect(rfResult.tokenIds).toEqual(thoughts.tokenIds);
  });

  it('refuses bad options with ConfigErrors', async () => {
    await expect(rf.search('1+1=', { kind: 'best-of-n', n: -1 })).rejects.toThrow(ConfigError);
    await expect(rf.search('1+1=', { kind: 'greedy' }, { stream: 3 as never })).rejects.toThrow(/stream/);
    await expect(rf.search('1+1=', { kind: 'greedy' }, { maxNewTokns: 3 } as never)).rejects.toThrow(/maxNewTokens/);
  });
});
