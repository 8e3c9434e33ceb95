import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAnswer } from '@reasonflow/model-tiny';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', input, timeout: 120_000 });

/** A run that the test can signal or cut short while it goes. */
function start(args: string[]) {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output.stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output.stderr += text));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(output[stream])) {
          child[stream].off('data', check);
          resolve();
        }
      };
      child[stream].on('data', check);
      exit.then(() => reject(new Error(`exited before ${stream} matched ${pattern}: ${output.stderr}`)));
      check();
    });
  return { child, output, exit, waitFor };
}

const STACK_TRACE = /\n\s+at /;
// A prompt the embedded model answers at length (59 tokens; about 1.5 s with 8 thinkers on one core).
const LONG = ['-d', 'cpu', '-n', '8', '-t', '8', '-x', '400', 'Once upon a time'];

describe('the reasonflow command (spawned)', () => {
  it('writes only the answer to stdout and a summary to stderr', () => {
    const args = ['-d', 'cpu', '-n', '4', '-t', '4', '--max-new-tokens', '24', '12+34='];
    const r = run(args);
    expect(r.status).toBe(0);
    const json = run(['--json', ...args]);
    const expected = (JSON.parse(json.stdout) as { output: string }).output;
    expect(expected.length).toBeGreaterThan(0);
    expect(r.stdout).toBe(expected);
    expect(r.stderr).toMatch(/\d+ tokens, \d+ iterations, \d+ forward steps in [\d.]+ s \([\d.]+ tokens\/s\) on cpu; reasonflow N=4 T=4/);
  });

  it('--narrow-when-confident: a correct answer, fewer forward rows than path acceptance alone, named in the summary', () => {
    const prompt = '978+867=';
    const base = ['-d', 'cpu', '-n', '4', '-t', '4', '--path-acceptance', '--json', prompt];
    const rowsOf = (stdout: string) => (JSON.parse(stdout) as { stats: { rowsComputed: number } }).stats.rowsComputed;
    const narrow = run(['--narrow-when-confident', ...base]);
    const plain = run(base);
    expect(narrow.status).toBe(0);
    expect(checkAnswer(prompt, (JSON.parse(narrow.stdout) as { output: string }).output)).toBe(true);
    expect(rowsOf(narrow.stdout)).toBeLessThan(rowsOf(plain.stdout));
    const text = run(['-d', 'cpu', '-n', '4', '-t', '4', '--path-acceptance', '--narrow-when-confident', prompt]);
    expect(text.stderr).toMatch(/reasonflow N=4 T=4 K=1 \+path-acceptance \+narrowing; stop: eos/);
    expect(run(['-d', 'cpu', '--narrow-when-confident', prompt]).status).toBe(2);
  });

  it('with stdout and stderr in one file (2>&1), the summary starts on its own line', () => {
    const args = ['-d', 'cpu', '-n', '4', '-t', '4', '--max-new-tokens', '24', '12+34='];
    const alone = run(args).stdout;
    expect(alone.endsWith('\n')).toBe(false);
    const file = join(mkdtempSync(join(tmpdir(), 'rf-cli-')), 'both.txt');
    const fd = openSync(file, 'w');
    try {
      expect(spawnSync(process.execPath, [main, ...args], { stdio: ['ignore', fd, fd], timeout: 120_000 }).status).toBe(0);
    } finally {
      closeSync(fd);
    }
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[lines.length - 2]).toMatch(/^\d+ tokens, \d+ iterations, /);
    expect(lines.slice(0, -2).join('\n')).toBe(alone);
  });

  it('--show-thinkers without a terminal: one panel per iteration on stderr, stdout still only the answer', () => {
    const args = ['-d', 'cpu', '-n', '4', '-t', '4', '-k', '2', '-x', '12', '12+34='];
    const plain = run(args);
    const shown = run(['--show-thinkers', ...args]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toBe(plain.stdout);
    expect(shown.stderr).not.toContain('\u001b['); // no cursor control outside a terminal
    expect(shown.stderr.match(/^iteration \d+ · 4 thinkers, \d distinct paths? · committed /gm)).toHaveLength(12);
    expect(shown.stderr.match(/^★ /gm)).toHaveLength(12);
    expect(shown.stderr.match(/^\+ /gm)).toHaveLength(12);
    expect(shown.stderr).toContain(`answer  ${plain.stdout}\n[████████████████████] 12/12 tokens · 12 iterations · `);
  });

  it('shows EOS as ⏎EOS when the answer ends', () => {
    const r = run(['--show-thinkers', '-d', 'cpu', '-n', '2', '-t', '2', '1+1=']);
    expect(r.stderr).toMatch(/stop: eos/);
    expect(r.stderr).toMatch(/committed ⏎EOS\n/);
    expect(r.stderr).not.toMatch(/""/);
  });

  it('--strategy greedy prints no per-token lines, even with --show-thinkers', () => {
    const r = run(['--show-thinkers', '-s', 'greedy', '-d', 'cpu', '-x', '16', '12+34=']);
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Loading/), expect.stringMatching(/^16 tokens, 16 iterations/)]);
  });

  it('--json prints one parseable object with the summary and stats', () => {
    const r = run(['--json', '--strategy', 'greedy', '-d', 'cpu', '-x', '16', '12+34=']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { output: string; tokenIds: number[]; bestThinkersSummary: number[][]; stats: { executionProvider: string; iterations: number } };
    expect(out.tokenIds.length).toBeGreaterThan(0);
    expect(out.bestThinkersSummary.length).toBe(out.stats.iterations);
    expect(out.stats.executionProvider).toBe('cpu');
  });

  it('reads the prompt from stdin without its trailing newlines, keeping other whitespace', () => {
    const ids = (r: ReturnType<typeof run>) => (JSON.parse(r.stdout) as { tokenIds: number[]; prompt: string });
    const piped = ids(run(['--json', '-s', 'greedy', '-d', 'cpu', '-x', '16'], '12+34=\n\r\n\n'));
    const argument = ids(run(['--json', '-s', 'greedy', '-d', 'cpu', '-x', '16', '12+34=']));
    expect(piped.prompt).toBe('12+34=');
    expect(piped.tokenIds).toEqual(argument.tokenIds);
    expect(ids(run(['--json', '-s', 'greedy', '-d', 'cpu', '-x', '1'], ' 12+34= \n')).prompt).toBe(' 12+34= ');
  });

  it('exits 2 on bad flags, numbers and settings (before loading), 1 on a bad model folder', () => {
    const cases: [string[], RegExp][] = [
      [['--bogus', 'x'], /Unknown option '--bogus'/],
      [['-n', '2', '-k', '3', 'x'], /topkThinkers/],
      [['--threads', '1.5', 'x'], /--threads expects a whole number, got "1.5"/],
      [['--threads', '0', 'x'], /--threads expects a whole number ≥ 1/],
      [['-n', '0x4', 'x'], /--num-of-thinkers expects a whole number, got "0x4"/],
      [['-n', '1e1', 'x'], /--num-of-thinkers expects a whole number, got "1e1"/],
      [['-n', '', 'x'], /--num-of-thinkers expects a whole number, got ""/],
      [['-s', 'greedy', '-n', '4', '-k', '2', '--path-acceptance', 'x'], /greedy .*-n\/--num-of-thinkers, -k\/--topk-thinkers, --path-acceptance only apply/],
      [['--kv-merge', 'sum', 'x'], /--kv-merge must be one of best-row, mean/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/ModelError|Loading/);
      expect(r.stdout).toBe('');
    }
    const missing = run(['--model', '/nonexistent/model', '-d', 'cpu', 'x']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/ModelError.*\/nonexistent\/model does not exist/s);
    expect(run([]).status).toBe(2);
  });

  it('--help documents every flag and the live view', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--num-of-thinkers/);
    expect(r.stdout).toMatch(/--\[no-\]path-acceptance/);
    expect(r.stdout).toMatch(/quality {4}the path's raw score rescaled/);
  });
});

describe('interruptions (spawned)', () => {
  it('Ctrl-C during loading exits 130 without a stack trace', async () => {
    const cli = start(['--show-thinkers', '-d', 'cpu', '12+34=']);
    await cli.waitFor('stderr', /^Loading/);
    cli.child.kill('SIGINT');
    const { code } = await cli.exit;
    expect(code).toBe(130);
    expect(cli.output.stdout).toBe('');
    expect(cli.output.stderr).toMatch(/reasonflow: interrupted/);
    expect(cli.output.stderr).not.toMatch(STACK_TRACE);
  });

  it('Ctrl-C during generation prints what was committed and exits 130', async () => {
    const full = run(LONG);
    expect(full.status).toBe(0);
    const cli = start(LONG);
    await cli.waitFor('stdout', /./);
    cli.child.kill('SIGINT');
    const { code } = await cli.exit;
    expect(code).toBe(130);
    expect(cli.output.stderr).toMatch(/stop: aborted/);
    expect(cli.output.stderr).not.toMatch(STACK_TRACE);
    // What stdout got is exactly the committed prefix of the uninterrupted answer.
    const committed = Number(/^(\d+) tokens,/m.exec(cli.output.stderr)![1]);
    expect(committed).toBeGreaterThan(0);
    expect(cli.output.stdout.length).toBeGreaterThan(0);
    expect(cli.output.stdout.length).toBeLessThan(full.stdout.length);
    expect(full.stdout.startsWith(cli.output.stdout)).toBe(true);
  });

  it('a reader that closes stdout early (| head -c 1) ends the run quietly with exit 0', async () => {
    const cli = start(LONG);
    await cli.waitFor('stdout', /./);
    cli.child.stdout.destroy();
    const { code, signal } = await cli.exit;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(cli.output.stderr).not.toMatch(/EPIPE|Error/);
    expect(cli.output.stderr).not.toMatch(/stop: /); // it stopped early, not after generating everything
  });
});

describe('--strategy: every library strategy (spawned)', () => {
  const COUNTDOWN = 'C:3,5,7>22=';
  for (const strategy of ['greedy', 'sample', 'best-of-n', 'self-consistency', 'reasonflow', 'guided', 'deepconf']) {
    it(`${strategy} exits 0 with the answer on stdout`, () => {
      const r = run(['-d', 'cpu', '-s', strategy, '-x', '80', COUNTDOWN]);
      expect(r.status).toBe(0);
      expect(r.stdout.trim().length).toBeGreaterThan(0);
      expect(r.stdout).not.toContain('row-positions');
    });
  }

  it('guided search with the step checker solves a Countdown prompt that greedy gets wrong', () => {
    // From a non-evaluation seed (generateExamples('countdown', 'hard', 77, 40)).
    const prompt = 'C:10,12,8>16=';
    const greedy = run(['-d', 'cpu', '-s', 'greedy', prompt]);
    expect(greedy.status).toBe(0);
    expect(checkAnswer(prompt, greedy.stdout)).toBe(false);
    const guided = run(['-d', 'cpu', '-s', 'guided', '--scorer', 'checker', '--samples', '8', prompt]);
    expect(guided.status).toBe(0);
    expect(checkAnswer(prompt, guided.stdout)).toBe(true);
    expect(guided.stderr).toMatch(/\d+ scorer calls .*; guided N=8; stop: /);
  });

  it('--show-thinkers prints the particles: one line per resampling round, then the candidates', () => {
    const r = run(['-d', 'cpu', '-s', 'guided', '-n', '8', '--scorer', 'checker', '--show-thinkers', 'C:10,12,8>16=']);
    expect(r.status).toBe(0);
    const rounds = r.stderr.match(/^round \d+ · \d\/8 live particles · \d+ finished · resampled \[[\d,]+\] · scores .+$/gm) ?? [];
    expect(rounds.length).toBeGreaterThan(2);
    expect(r.stderr).toMatch(/=-inf|=0\.00/);
    expect(r.stderr).toMatch(/^★ trace \d+ · weight [\d.]+ · eos · /m);
    const deepconf = run(['-d', 'cpu', '-s', 'deepconf', '-n', '4', '--show-thinkers', '-x', '80', 'C:3,5,7>22=']);
    expect(deepconf.stderr).toMatch(/^wave 0 · warm-up · 0:\w+/m);
  });

  it('self-consistency votes on the extracted answer (--json)', () => {
    const r = run(['-d', 'cpu', '-s', 'self-consistency', '--samples', '4', '--json', '-x', '80', 'C:3,5,7>22=']);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { answer: string; candidates: { answer: string | null }[]; stats: { rowsComputed: number } };
    expect(json.candidates).toHaveLength(4);
    const votes = json.candidates.filter((c) => c.answer === json.answer).length;
    for (const c of json.candidates) expect(json.candidates.filter((d) => d.answer === c.answer).length).toBeLessThanOrEqual(votes);
    expect(json.stats.rowsComputed).toBeGreaterThan(0);
  });

  it.each([
    [['-s', 'best-of-n', '--scorer', 'checker', 'x'], /--scorer only applies to --strategy guided/],
    [['-s', 'greedy', '--samples', '4', 'x'], /--samples only applies to/],
    [['-s', 'guided', '--samples', '0', 'x'], /--samples expects a whole number ≥ 1/],
    [['-s', 'guided', '--samples', '4', '-n', '4', 'x'], /--samples and -n both set N/],
    [['-s', 'guided', '--scorer', 'oracle', 'x'], /--scorer must be one of checker, confidence/],
    [['-s', 'guided', '--scorer', 'checker', 'Once upon a time'], /--scorer checker needs an embedded-model task prompt/],
    [['-s', 'guided', '--scorer', 'checker', '-m', '/nonexistent', 'x'], /not available with --model/],
    [['-s', 'self-consistency', '-m', '/nonexistent', 'x'], /vote over final answers.*not available with --model/],
    [['-s', 'guided', '--step-delimiter', '/[/', 'x'], /--step-delimiter "\/\[\/": expected a valid \/regex\/ \(Invalid regular expression/],
    [['-s', 'guided', '--step-delimiter', '', 'x'], /--step-delimiter "": expected a non-empty delimiter\./],
    [['-s', 'best-of-n', '--step-delimiter', ';', 'x'], /--step-delimiter only applies to --strategy guided or deepconf/],
    [['-s', 'deepconf', '-t', '4', 'x'], /is not ReasonFlow; -t\/--num-of-thoughts only apply to --strategy reasonflow/],
    [['-s', 'guided', '--repetition-penalty', '1.2', 'x'], /--repetition-penalty does not apply to --strategy guided/],
    [['-s', 'beam', 'x'], /--strategy must be one of greedy, sample, best-of-n, self-consistency, reasonflow, guided, deepconf/],
  ])('usage error %j', (args, message) => {
    const r = run(['-d', 'cpu', ...args]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});
