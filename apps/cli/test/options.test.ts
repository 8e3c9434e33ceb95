import { describe, expect, it } from 'vitest';
import { formatDefault, parseCliOptions, strategyConfig, UsageError, usage } from '../src/options.js';

describe('option parsing', () => {
  it('maps every config field to a kebab-case flag, with short aliases', () => {
    const o = parseCliOptions(['-n', '4', '--num-of-thoughts', '3', '-k', '2', '--temperatures', '0.6,1.2', '--no-dynamic-temperature', '--path-acceptance', '--path-scoring', 'original', 'hi']);
    expect(o.config).toEqual({
      numOfThinkers: 4,
      numOfThoughts: 3,
      topkThinkers: 2,
      temperatures: [0.6, 1.2],
      dynamicTemperature: false,
      pathAcceptance: true,
      pathScoring: 'original',
    });
    expect(o.prompt).toBe('hi');
  });
  it('rejects unknown flags, bad numbers and contradictions', () => {
    expect(() => parseCliOptions(['--bogus'])).toThrow(UsageError);
    expect(() => parseCliOptions(['-n', 'four'])).toThrow(/--num-of-thinkers expects a whole number, got "four"/);
    expect(() => parseCliOptions(['--use-tokens', '--no-use-tokens'])).toThrow(/contradict/);
    expect(() => parseCliOptions(['--strategy', 'beam'])).toThrow(/--strategy must be one of greedy, sample, best-of-n, self-consistency, reasonflow, guided, deepconf; got "beam"/);
  });
  it('takes plain decimals only: no hex, no exponent, no empty or blank text', () => {
    for (const text of ['0x4', '1e1', '', ' ', ' 4', 'Infinity', '4.', '1_000']) {
      expect(() => parseCliOptions(['-n', text, 'x']), text).toThrow(/--num-of-thinkers expects a whole number/);
    }
    for (const text of ['0x1', '1e-1', '', '.', '-']) {
      expect(() => parseCliOptions(['--diversity-weight', text, 'x']), text).toThrow(/--diversity-weight expects a decimal number/);
    }
    expect(() => parseCliOptions(['-x', '0x10', 'x'])).toThrow(/--max-new-tokens/);
    expect(() => parseCliOptions(['--seed', '9007199254740993', 'x'])).toThrow(/--seed expects a whole number/);
    expect(parseCliOptions(['--diversity-weight', '.5', '--noise-scale', '2.', '--path-acceptance-log-prob=-0.2', 'x']).config).toEqual({
      diversityWeight: 0.5,
      noiseScale: 2,
      pathAcceptanceLogProb: -0.2,
    });
  });
  it('--threads takes a whole number ≥ 1 and names the flag otherwise', () => {
    expect(parseCliOptions(['--threads', '2', 'x']).threads).toBe(2);
    expect(() => parseCliOptions(['--threads', '1.5', 'x'])).toThrow(/--threads expects a whole number, got "1.5"/);
    expect(() => parseCliOptions(['--threads', '0', 'x'])).toThrow(/--threads expects a whole number ≥ 1, got "0"/);
    expect(() => parseCliOptions(['--threads=-1', 'x'])).toThrow(/--threads expects a whole number ≥ 1/);
    expect(() => parseCliOptions(['--threads', 'many', 'x'])).toThrow(/--threads expects a whole number/);
  });
  it('lists the choices of --path-scoring and --kv-merge when given another value', () => {
    expect(() => parseCliOptions(['--path-scoring', 'entropy', 'x'])).toThrow('--path-scoring must be one of log-likelihood, original; got "entropy".');
    expect(() => parseCliOptions(['--kv-merge', 'sum', 'x'])).toThrow('--kv-merge must be one of best-row, mean; got "sum".');
    expect(parseCliOptions(['--kv-merge', 'mean', 'x']).config).toEqual({ kvMerge: 'mean' });
  });
  it('greedy and sample use one thinker and refuse the ReasonFlow-only flags, naming each', () => {
    expect(() => parseCliOptions(['-s', 'greedy', '-n', '4', '-k', '2', '--path-acceptance', 'x'])).toThrow(
      '--strategy greedy runs one thinker without lookahead; -n/--num-of-thinkers, -k/--topk-thinkers, --path-acceptance only apply to --strategy reasonflow.',
    );
    expect(() => parseCliOptions(['--strategy', 'sample', '--no-use-tokens', 'x'])).toThrow(/--strategy sample .*--no-use-tokens only apply/);
    const o = parseCliOptions(['--seed', '7', '--strategy', 'sample', 'x']);
    expect(strategyConfig(o)).toEqual({ config: { seed: 7, numOfThinkers: 1, topkThinkers: 1, pathAcceptance: false }, doSample: true });
    expect(strategyConfig(parseCliOptions(['-n', '4', 'x']))).toEqual({ config: { numOfThinkers: 4 }, doSample: false });
  });
});

describe('--help', () => {
  const text = usage();
  it('prints defaults rounded, the choices of each string setting, and the live view legend', () => {
    expect(formatDefault(Math.log(0.9))).toBe('-0.1054');
    expect(formatDefault(0.1 + 0.2)).toBe('0.3');
    expect(formatDefault([0.7, 1.3])).toBe('0.7,1.3');
    expect(text).not.toMatch(/\d\.\d{5,}/);
    expect(text).toMatch(/--path-scoring <log-likelihood\|original>/);
    expect(text).toMatch(/--kv-merge <best-row\|mean>/);
    expect(text).toMatch(/--path-acceptance-log-prob <number> .*\(default -0\.1054\)/);
    for (const term of ['score ', 'quality ', 'diversity ', 'raw ', '★', '⏎EOS', 'same path', 'tokens/s']) expect(text).toContain(term);
  });
  it('fits an 110-column terminal', () => {
    for (const line of text.split('\n')) expect(Array.from(line).length, line).toBeLessThanOrEqual(110);
  });
});
