#!/usr/bin/env node
import { fstatSync, readFileSync } from 'node:fs';
import { extractAnswer, modelPath, parsePrompt, taskStepChecker } from '@reasonflow/model-tiny';
import { ConfigError, type IterationReport, ReasonFlow, ReasonFlowError, resolveConfig, type StrategyInput, type ThoughtsResult } from 'reasonflow';
import { InPlaceView } from './live-view.js';
import { type CliOptions, isSearchStrategy, parseCliOptions, type SearchStrategy, strategyConfig, UsageError, usage } from './options.js';
import { candidateLines, searchEventLine } from './search-view.js';
import { runServe } from './serve/command.js';
import { type LiveViewState, renderLiveView } from './thinker-panel.js';

const EXIT = { ok: 0, error: 1, usage: 2, interrupted: 130 } as const;
/** Columns assumed when stderr is not a terminal (forced --show-thinkers into a file or pipe). */
const PIPE_COLUMNS = 120;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // Only the newlines a shell or editor appends: other trailing whitespace may be part of the prompt.
  return Buffer.concat(chunks).toString('utf8').replace(/[\r\n]+$/, '');
}

/** The library strategy of a multi-path `--strategy`, with its flags. @throws UsageError */
function searchStrategy(options: CliOptions, strategy: SearchStrategy, prompt: string): StrategyInput {
  const { samples: n, scorer, stepDelimiter } = options.search;
  const sampling = options.sampling;
  const { repetitionPenalty: _unused, ...samplingSettings } = sampling;
  const taskPrompt = options.model === undefined && !options.chat && parsePrompt(prompt) !== null;
  const defaultDelimiter = () => stepDelimiter ?? (taskPrompt ? taskStepChecker(prompt).stepDelimiter : '\n');
  switch (strategy) {
    case 'best-of-n':
      return { kind: 'best-of-n', n, ...samplingSettings };
    case 'self-consistency':
      return { kind: 'self-consistency', n, ...samplingSettings };
    case 'deepconf':
      return { kind: 'deepconf', rows: n, ...(stepDelimiter !== undefined ? { stepDelimiter } : {}), ...samplingSettings };
    case 'guided': {
      if (scorer === 'checker') {
        if (!taskPrompt) throw new UsageError('--scorer checker needs an embedded-model task prompt (e.g. "C:3,5,7>22=" or "12+34=").');
        const checker = taskStepChecker(prompt);
        return { kind: 'guided', particles: n, stepDelimiter: stepDelimiter ?? checker.stepDelimiter, scoreStep: checker.scoreStep, ...samplingSettings };
      }
      return { kind: 'guided', particles: n, stepDelimiter: defaultDelimiter(), scoreStep: 'verifier-free', ...samplingSettings };
    }
  }
}

const isEpipe = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';

function summaryLine(result: ThoughtsResult, options: CliOptions, rf: ReasonFlow): string {
  const s = result.stats;
  const seconds = s.totalTimeMs / 1000;
  const setup =
    options.strategy === 'reasonflow'
      ? `reasonflow N=${rf.config.numOfThinkers} T=${rf.config.numOfThoughts} K=${rf.config.topkThinkers}${rf.config.pathAcceptance ? ' +path-acceptance' : ''}${rf.config.narrowWhenConfident ? ' +narrowing' : ''}`
      : options.strategy;
  return (
    `${s.tokensCommitted} tokens, ${s.iterations} iterations, ${s.forwardSteps} forward steps in ${seconds.toFixed(2)} s ` +
    `(${(s.tokensCommitted / Math.max(seconds, 1e-9)).toFixed(1)} tokens/s) on ${s.executionProvider}; ${setup}; stop: ${result.stopReason}`
  );
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'serve') return runServe(argv.slice(1));
  let options: CliOptions;
  try {
    options = parseCliOptions(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`reasonflow: ${error.message}\nTry 'reasonflow --help'.\n`);
      return EXIT.usage;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(usage());
    return EXIT.ok;
  }
  if (options.version) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return EXIT.ok;
  }
  const prompt = options.prompt ?? (process.stdin.isTTY ? undefined : await readStdin());
  if (!prompt) {
    process.stderr.write("reasonflow: no prompt given.\nTry 'reasonflow --help'.\n");
    return EXIT.usage;
  }

  const stderrIsTerminal = Boolean(process.stderr.isTTY);
  const liveView = options.showThinkers ?? (stderrIsTerminal && !options.json);
  const inPlace = liveView && stderrIsTerminal ? new InPlaceView(process.stderr) : undefined;
  // When stdout and the redrawn view share a terminal, streamed text would tear the frame apart: the
  // frame shows the answer as it grows, and stdout gets it once the view is gone.
  const holdStdout = !options.json && inPlace !== undefined && Boolean(process.stdout.isTTY);
  const { config, doSample } = strategyConfig(options);

  let answer = '';
  let answerWritten = holdStdout ? 0 : Number.POSITIVE_INFINITY;
  /** Writes what stdout has not got yet (held text), plus a newline for a terminal's prompt. */
  const finishStdout = () => {
    if (options.json) return;
    if (answerWritten < answer.length) process.stdout.write(answer.slice(answerWritten));
    answerWritten = answer.length;
    if ((process.stdout.isTTY || stdoutSharesStderr()) && answer && !answer.endsWith('\n')) process.stdout.write('\n');
  };

  const controller = new AbortController();
  let phase: 'loading' | 'generating' = 'loading';
  const interruptNow = () => {
    inPlace?.clear();
    finishStdout();
    process.stderr.write(`reasonflow: interrupted${phase === 'loading' ? ' while loading the model' : ''}.\n`);
    process.exit(EXIT.interrupted);
  };
  // The first Ctrl-C stops generation at the next forward step; during loading (which cannot be
  // stopped half-way) or on a second Ctrl-C the process ends at once.
  const onSigint = () => (phase === 'loading' || controller.signal.aborted ? interruptNow() : controller.abort());
  // `reasonflow … | head -c 1`: the reader is gone, so is the point of generating.
  const onStdoutError = (error: unknown) => {
    if (!isEpipe(error)) throw error;
    inPlace?.clear();
    process.exit(EXIT.ok);
  };
  // A closed stderr only loses the view and the summary; the answer still goes to stdout.
  const onStderrError = (error: unknown) => {
    if (!isEpipe(error)) throw error;
  };
  process.on('SIGINT', onSigint);
  process.stdout.on('error', onStdoutError);
  process.stderr.on('error', onStderrError);

  let rf: ReasonFlow | undefined;
  try {
    resolveConfig(config); // fail on bad settings before loading anything
    if (liveView) process.stderr.write(`Loading ${options.model ?? 'the embedded model'}…\n`);
    rf = await ReasonFlow.fromPretrained(options.model ?? modelPath, {
      device: options.device,
      config,
      onWarning: (message) => process.stderr.write(`${message}\n`),
      ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
    });
    phase = 'generating';
    if (isSearchStrategy(options.strategy)) {
      const strategy = searchStrategy(options, options.strategy, prompt);
      const result = await rf.search(options.chat ? [{ role: 'user', content: prompt }] : prompt, strategy, {
        maxNewTokens: options.maxNewTokens,
        ...(options.samplingSeed !== undefined ? { seed: options.samplingSeed } : options.config.seed !== undefined ? { seed: options.config.seed } : {}),
        ...(options.search.answer ? { extractAnswer } : {}),
        signal: controller.signal,
        onIteration: liveView
          ? (event) => {
              const line = searchEventLine(event);
              if (line) process.stderr.write(`${line}\n`);
            }
          : undefined,
      });
      answer = result.output;
      answerWritten = 0; // nothing was streamed: the chosen trace is known only now
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ prompt, output: result.output, answer: result.answer, tokenIds: result.tokenIds, candidates: result.candidates, stopReason: result.stopReason, stats: result.stats, strategy: options.strategy })}\n`,
        );
      } else {
        if (liveView) process.stderr.write(`${candidateLines(result).join('\n')}\n`);
        finishStdout();
        const s = result.stats;
        process.stderr.write(
          `${s.tokensCommitted} tokens, ${s.rowsComputed} row-positions, ${s.scorerCalls} scorer calls in ${(s.totalTimeMs / 1000).toFixed(2)} s on ${s.executionProvider}; ` +
            `${options.strategy} N=${options.search.samples}${result.answer === null ? '' : `; answer ${result.answer}`}; stop: ${result.stopReason}\n`,
        );
      }
      return result.stopReason === 'aborted' ? EXIT.interrupted : EXIT.ok;
    }
    const tokenizer = rf.tokenizer;
    const eosTokenIds = new Set(tokenizer.eosTokenIds ?? []);
    const startedAt = performance.now();
    let latest: IterationReport | undefined;
    let tokens = 0;
    let iterations = 0;
    const state = (): LiveViewState => ({
      report: latest,
      showThinkers: options.strategy === 'reasonflow',
      committedText: answer,
      tokens,
      iterations,
      elapsedMs: performance.now() - startedAt,
      maxNewTokens: options.maxNewTokens,
    });
    const frame = () =>
      renderLiveView(state(), {
        width: process.stderr.columns ?? PIPE_COLUMNS,
        // Room for the header, the answer and the progress line: the frame must fit on the screen.
        maxThinkerRows: Math.max(1, (process.stderr.rows ?? Number.POSITIVE_INFINITY) - 8),
        color: inPlace !== undefined,
        decode: (ids) => tokenizer.decode(ids),
        eosTokenIds,
      });
    const onIteration = (report: IterationReport) => {
      latest = report;
      iterations++;
      if (inPlace) inPlace.draw(frame);
      // Without a terminal, one frame per iteration for a log; greedy and sample have no thinkers to show.
      else if (options.strategy === 'reasonflow') process.stderr.write(`${frame().join('\n')}\n\n`);
    };

    const result = await rf.generateThoughts(options.chat ? [{ role: 'user', content: prompt }] : prompt, {
      maxNewTokens: options.maxNewTokens,
      doSample,
      ...options.sampling,
      ...(options.samplingSeed !== undefined ? { samplingSeed: options.samplingSeed } : {}),
      signal: controller.signal,
      stream: (chunk) => {
        answer += chunk.text;
        if (chunk.tokenId >= 0) tokens++;
        if (!options.json && !holdStdout) process.stdout.write(chunk.text);
      },
      onIteration: liveView ? onIteration : undefined,
    }).catch((error: unknown) => {
      // An abort that lands before the first token may surface as an error rather than a result.
      throw error;
    });
    inPlace?.clear();
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ prompt, output: result.output, tokenIds: result.tokenIds, bestThinkersSummary: result.bestThinkersSummary, stopReason: result.stopReason, stats: result.stats, strategy: options.strategy, config: rf.config })}\n`,
      );
    } else {
      finishStdout();
      process.stderr.write(`${summaryLine(result, options, rf)}\n`);
    }
    return result.stopReason === 'aborted' ? EXIT.interrupted : EXIT.ok;
  } catch (error) {
    inPlace?.clear();
    finishStdout();
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`reasonflow: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ReasonFlowError) {
      process.stderr.write(`reasonflow: ${error.name}: ${error.message}\n`);
      return EXIT.error;
    }
    process.stderr.write(`reasonflow: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.error;
  } finally {
    process.off('SIGINT', onSigint);
    await rf?.dispose();
  }
}

process.exitCode = await main(process.argv.slice(2));

/**
 * stdout and stderr lead to one file or pipe (`2>&1`): the summary line would otherwise be glued to the
 * end of the answer. Apart (`$(reasonflow …)`, `> answer.txt`), stdout stays exactly the answer.
 */
function stdoutSharesStderr(): boolean {
  try {
    const out = fstatSync(1);
    const err = fstatSync(2);
    return out.dev === err.dev && out.ino === err.ino;
  } catch {
    return false;
  }
}
