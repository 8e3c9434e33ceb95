/**
 * The page's strategy controls → library calls (src/strategies.ts), in Node: each CLI strategy maps
 * to the call the CLI makes, defaults stay the library's, and bad settings are the library's typed
 * errors (checked by running them on the embedded model).
 */
import { COUNTDOWN_STEP_DELIMITER, modelPath } from '@reasonflow/model-tiny';
import { ConfigError, ReasonFlow } from 'reasonflow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OPTION_FIELDS, type OptionValues, planRun, STRATEGIES } from '../src/strategies.js';

/** The form as the page starts: every control at its initial value. */
const initial = (): Record<string, string | boolean> => Object.fromEntries(OPTION_FIELDS.map((f) => [f.flag, f.initial]));
const form = (values: OptionValues): OptionValues => ({ ...initial(), ...values });

describe('planRun', () => {
  test('offers the CLI strategies, and each control belongs to some of them', () => {
    expect(STRATEGIES).toEqual(['greedy', 'sample', 'best-of-n', 'self-consistency', 'reasonflow', 'guided', 'deepconf']);
    for (const field of OPTION_FIELDS) expect(field.strategies.length).toBeGreaterThan(0);
  });

  test('greedy and sample run one thinker; reasonflow takes the form', () => {
    const config = { numOfThinkers: 4, numOfThoughts: 4, seed: 7 };
    expect(planRun('greedy', form({ temperature: '0.5' }), '1+2=', config)).toEqual({
      call: 'generateThoughts',
      config: { seed: 7, numOfThinkers: 1, topkThinkers: 1, pathAcceptance: false },
      doSample: false,
      sampling: {},
      samplingSeed: undefined,
    });
    expect(planRun('sample', form({ temperature: '0.5', 'repetition-penalty': '1.2', 'sampling-seed': '11' }), '1+2=', {})).toMatchObject({
      doSample: true,
      sampling: { temperature: 0.5, repetitionPenalty: 1.2 },
      samplingSeed: 11,
    });
    expect(planRun('reasonflow', form({ temperature: '0.5' }), '1+2=', config)).toMatchObject({ call: 'generateThoughts', config, sampling: {} });
  });

  test('search strategies: N, sampling, answers and delimiters as the CLI passes them', () => {
    const bon = planRun('best-of-n', form({ 'top-k': '5', 'repetition-penalty': '1.3' }), 'hello', {});
    expect(bon).toEqual({ call: 'search', strategy: { kind: 'best-of-n', n: 8, topK: 5 }, extractAnswer: undefined, seed: undefined });
    const sc = planRun('self-consistency', form({ samples: '3', 'sampling-seed': '5' }), '1+2=', {});
    expect(sc).toMatchObject({ strategy: { kind: 'self-consistency', n: 3 }, seed: 5 });
    expect(sc.call === 'search' && sc.extractAnswer?.('x#42')).toBe('42');
    expect(planRun('deepconf', form({ samples: '4', 'step-delimiter': '\\n' }), '1+2=', {})).toMatchObject({ strategy: { kind: 'deepconf', rows: 4, stepDelimiter: '\n' } });
    expect(planRun('deepconf', form({}), '1+2=', {})).toMatchObject({ strategy: { kind: 'deepconf', rows: 8 } });

    const checker = planRun('guided', form({ scorer: 'checker', samples: '4' }), 'C:3,5,7>22=', {});
    if (checker.call !== 'search' || checker.strategy.kind !== 'guided') throw new Error('not a guided search');
    expect(checker.strategy).toMatchObject({ particles: 4, stepDelimiter: COUNTDOWN_STEP_DELIMITER });
    const scoreStep = (checker.strategy as unknown as { scoreStep: (s: { prefixText: string; stepText: string }) => number }).scoreStep;
    expect(scoreStep({ prefixText: '', stepText: '3+5=8,' })).toBe(0);
    expect(scoreStep({ prefixText: '', stepText: '3+5=9,' })).toBe(Number.NEGATIVE_INFINITY);
    expect(checker.extractAnswer).toBeUndefined();
    expect(planRun('guided', form({ answer: true }), '12+34=', {})).toMatchObject({ strategy: { scoreStep: 'verifier-free', stepDelimiter: '|' } });
    expect(planRun('guided', form({}), 'Once upon a time', {})).toMatchObject({ strategy: { scoreStep: 'verifier-free', stepDelimiter: '\n' } });
    expect(planRun('guided', form({ 'step-delimiter': '/[.!?]$/' }), 'Once', {})).toMatchObject({ strategy: { stepDelimiter: /[.!?]$/ } });
  });

  test('what only the page can judge is a ConfigError too', () => {
    expect(() => planRun('guided', form({ scorer: 'checker' }), 'Once upon a time', {})).toThrow(ConfigError);
    expect(() => planRun('guided', form({ scorer: 'checker' }), 'Once upon a time', {})).toThrow(/"scorer".*task prompt/);
    expect(() => planRun('guided', form({ 'step-delimiter': '/(/' }), 'x', {})).toThrow(/Invalid config field "stepDelimiter": got "\/\(\/", expected a valid \/regex\//);
    expect(() => planRun('best-of-n', form({ temperature: 'warm' }), 'x', {})).toThrow(/Invalid config field "temperature": got "warm", expected a plain decimal number/);
    expect(() => planRun('guided', form({ samples: '0x4' }), 'x', {})).toThrow(/"samples": got "0x4"/);
    expect(planRun('guided', form({ samples: '4', temperature: '.5' }), 'x', {})).toMatchObject({ strategy: { particles: 4, temperature: 0.5 } });
  });
});

describe('bad settings reach the library and come back typed', () => {
  let rf: ReasonFlow;
  beforeAll(async () => {
    rf = await ReasonFlow.fromPretrained(modelPath, { device: 'cpu' });
  });
  afterAll(async () => {
    await rf.dispose();
  });

  test.each([
    ['guided', { samples: '0' }, /Invalid config field "particles": got 0/],
    ['best-of-n', { samples: '2.5' }, /Invalid config field "n": got 2\.5/],
    ['deepconf', { samples: '' }, /Invalid config field "rows": got undefined/],
    ['self-consistency', { temperature: '-1' }, /Invalid config field "temperature": got -1/],
    ['guided', { 'step-delimiter': '' , 'top-p': '1.5' }, /Invalid config field "topP": got 1\.5/],
  ] as const)('%s with %o', async (strategy, values, message) => {
    const plan = planRun(strategy, form(values), '1+2=', {});
    if (plan.call !== 'search') throw new Error('not a search');
    const run = rf.search('1+2=', plan.strategy, { maxNewTokens: 4, ...(plan.extractAnswer ? { extractAnswer: plan.extractAnswer } : {}) });
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(message);
    expect(await rf.resources()).toMatchObject({ sequences: 0, engineTensors: 0 });
  });

  test('a good plan runs: DeepConf on an addition prompt votes over answers', async () => {
    const plan = planRun('deepconf', form({ samples: '4' }), '12+34=', {});
    if (plan.call !== 'search') throw new Error('not a search');
    const result = await rf.search('12+34=', plan.strategy, { maxNewTokens: 40, extractAnswer: plan.extractAnswer! });
    expect(result.answer).toBe('46');
    expect(result.candidates.length).toBeGreaterThanOrEqual(4);
  });
});
