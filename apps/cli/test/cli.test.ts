import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCliOptions, strategyConfig, UsageError } from '../src/options.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', input, timeout: 120_000 });

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
    expect(() => parseCliOptions(['-n', 'four'])).toThrow(/--num-of-thinkers expects a number/);
    expect(() => parseCliOptions(['--use-tokens', '--no-use-tokens'])).toThrow(/contradict/);
    expect(() => parseCliOptions(['--strategy', 'beam'])).toThrow(/--strategy/);
  });
  it('greedy and sample strategies use one thinker', () => {
    const o = parseCliOptions(['-n', '4', '--strategy', 'sample', 'x']);
    expect(strategyConfig(o)).toEqual({ config: { numOfThinkers: 1, topkThinkers: 1, pathAcceptance: false }, doSample: true });
  });
});

describe('the reasonflow command (spawned)', () => {
  it('streams the generated text to stdout and a summary to stderr', () => {
    const r = run(['-n', '4', '-t', '4', '--max-new-tokens', '24', '12+34=']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/\d+ tokens, \d+ iterations, \d+ forward steps in [\d.]+ s \([\d.]+ tokens\/s\) on cpu; reasonflow N=4 T=4/);
  });
  it('--json prints one parseable object with the summary and stats', () => {
    const r = run(['--json', '--strategy', 'greedy', '-x', '16', '12+34=']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { output: string; tokenIds: number[]; bestThinkersSummary: number[][]; stats: { executionProvider: string; iterations: number } };
    expect(out.tokenIds.length).toBeGreaterThan(0);
    expect(out.bestThinkersSummary.length).toBe(out.stats.iterations);
    expect(out.stats.executionProvider).toBe('cpu');
  });
  it('reads the prompt from stdin and matches the same prompt given as an argument', () => {
    const a = run(['--json', '--strategy', 'greedy', '-x', '16'], '12+34=\n');
    const b = run(['--json', '--strategy', 'greedy', '-x', '16', '12+34=']);
    expect(JSON.parse(a.stdout).tokenIds).toEqual(JSON.parse(b.stdout).tokenIds);
  });
  it('exits 2 on a bad flag or invalid settings, 1 on a bad model folder', () => {
    const bad = run(['--bogus', 'x']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--bogus'/);
    const invalid = run(['-n', '2', '-k', '3', 'x']);
    expect(invalid.status).toBe(2);
    expect(invalid.stderr).toMatch(/topkThinkers/);
    const missing = run(['--model', '/nonexistent/model', '-d', 'cpu', 'x']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/ModelError.*config\.json/s);
    expect(run([]).status).toBe(2);
  });
  it('--help documents every flag', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--num-of-thinkers/);
    expect(r.stdout).toMatch(/--\[no-\]path-acceptance/);
  });
});
