#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { modelPath } from '@reasonflow/model-tiny';
import { ConfigError, ReasonFlow, ReasonFlowError, resolveConfig, type ThoughtsResult } from 'reasonflow';
import { type CliOptions, parseCliOptions, strategyConfig, UsageError, usage } from './options.js';
import { formatIteration } from './thinker-view.js';

const EXIT = { ok: 0, error: 1, usage: 2, interrupted: 130 } as const;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function summaryLine(result: ThoughtsResult, options: CliOptions, rf: ReasonFlow): string {
  const s = result.stats;
  const seconds = s.totalTimeMs / 1000;
  const setup =
    options.strategy === 'reasonflow'
      ? `reasonflow N=${rf.config.numOfThinkers} T=${rf.config.numOfThoughts} K=${rf.config.topkThinkers}${rf.config.pathAcceptance ? ' +path-acceptance' : ''}`
      : options.strategy;
  return (
    `${s.tokensCommitted} tokens, ${s.iterations} iterations, ${s.forwardSteps} forward steps in ${seconds.toFixed(2)} s ` +
    `(${(s.tokensCommitted / Math.max(seconds, 1e-9)).toFixed(1)} tokens/s) on ${s.executionProvider}; ${setup}; stop: ${result.stopReason}`
  );
}

export async function main(argv: readonly string[]): Promise<number> {
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

  const tty = Boolean(process.stderr.isTTY);
  const showThinkers = options.showThinkers ?? (tty && !options.json);
  const { config, doSample } = strategyConfig(options);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let rf: ReasonFlow | undefined;
  try {
    resolveConfig(config); // fail on bad settings before loading anything
    if (tty && !options.json) process.stderr.write(`Loading ${options.model ?? 'the embedded model'}…\n`);
    rf = await ReasonFlow.fromPretrained(options.model ?? modelPath, {
      device: options.device,
      config,
      onWarning: (message) => process.stderr.write(`${message}\n`),
      ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
    });
    const tokenizer = rf.tokenizer;
    const result = await rf.generateThoughts(options.chat ? [{ role: 'user', content: prompt }] : prompt, {
      maxNewTokens: options.maxNewTokens,
      doSample,
      ...options.sampling,
      ...(options.samplingSeed !== undefined ? { samplingSeed: options.samplingSeed } : {}),
      signal: controller.signal,
      stream: options.json ? undefined : (chunk) => process.stdout.write(chunk.text),
      onIteration: showThinkers
        ? (report) => process.stderr.write(`${formatIteration(report, (id) => tokenizer.decode([id]))}\n`)
        : undefined,
    });
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ prompt, output: result.output, tokenIds: result.tokenIds, bestThinkersSummary: result.bestThinkersSummary, stopReason: result.stopReason, stats: result.stats, strategy: options.strategy, config: rf.config })}\n`,
      );
    } else {
      process.stdout.write('\n');
      process.stderr.write(`${summaryLine(result, options, rf)}\n`);
    }
    return result.stopReason === 'aborted' ? EXIT.interrupted : EXIT.ok;
  } catch (error) {
    if (error instanceof ConfigError) {
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
