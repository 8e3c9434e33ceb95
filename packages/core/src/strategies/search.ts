import { callbackStream } from '../callback-stream.js';
import type { ReasonFlowConfig } from '../config.js';
import { ReasonFlowEngine } from '../engine.js';
import type { DecoderModel } from '../model.js';
import type { PromptIds } from '../prompt-ids.js';
import { runDeepConf } from './deepconf.js';
import { runGuidedSearch } from './guided-search.js';
import { requireAnswers, runBestOfN, runSelfConsistency, runSingle, singleTraceOutcome } from './sampled-traces.js';
import { SearchRun } from './search-run.js';
import type { SearchEngineOptions, SearchOptions, SearchOptionsInput, SearchResult, Strategy, StrategyInput } from './types.js';
import { resolveSearchOptions, resolveStrategy } from './validate.js';

/** Batch rows a strategy uses. */
function rowsOf(strategy: Strategy): number {
  switch (strategy.kind) {
    case 'best-of-n':
    case 'self-consistency':
      return strategy.n;
    case 'guided':
      return strategy.particles;
    case 'deepconf':
      return strategy.rows;
    default:
      return 1;
  }
}

/**
 * Decodes `promptIds` with a strategy: greedy, sampling, best-of-N, self-consistency, ReasonFlow,
 * guided search (particle filtering) or DeepConf. Every strategy runs its rows as one batch on the
 * same RowBatch machinery and returns one result shape. The strategy and options are validated
 * first (snake_case accepted; a bad field is a ConfigError naming it).
 *
 * ```ts
 * const result = await generateWith(model, promptIds, { kind: 'self-consistency', n: 8 }, { decode, extractAnswer });
 * ```
 */
export async function generateWith(
  model: DecoderModel,
  promptIds: PromptIds,
  strategyInput: StrategyInput,
  optionsInput: SearchOptionsInput = {},
  engine: SearchEngineOptions = {},
): Promise<SearchResult> {
  const strategy = resolveStrategy(strategyInput);
  const options = resolveSearchOptions(optionsInput);
  if (strategy.kind === 'reasonflow') return runReasonFlow(model, promptIds, strategy.config as ReasonFlowConfig, options, engine);
  const run = new SearchRun(strategy.kind, model, promptIds, rowsOf(strategy), options, engine);
  switch (strategy.kind) {
    case 'greedy':
    case 'sampling':
      return runSingle(run, strategy);
    case 'best-of-n':
      return runBestOfN(run, strategy);
    case 'self-consistency':
      return runSelfConsistency(run, strategy);
    case 'guided':
      return runGuidedSearch(run, strategy);
    case 'deepconf':
      requireAnswers(run);
      return runDeepConf(run, strategy);
  }
}

/**
 * Streams the final answer's tokens (live for greedy, sampling and ReasonFlow; once chosen for the
 * multi-answer strategies). The iterator's return value is the SearchResult; leaving early aborts.
 */
export function streamWith(
  model: DecoderModel,
  promptIds: PromptIds,
  strategy: StrategyInput,
  options: Omit<SearchOptionsInput, 'onToken'> = {},
  engine: SearchEngineOptions = {},
): AsyncGenerator<{ readonly tokenId: number; readonly index: number }, SearchResult, undefined> {
  return callbackStream((onToken, signal) => generateWith(model, promptIds, strategy, { ...options, signal, onToken }, engine), options.signal);
}

/** ReasonFlow as the engine defines it (branching included), in the strategies' result shape. */
async function runReasonFlow(
  model: DecoderModel,
  promptIds: PromptIds,
  config: ReasonFlowConfig,
  options: SearchOptions,
  engine: SearchEngineOptions,
): Promise<SearchResult> {
  const rf = new ReasonFlowEngine(model, { config, ...engine });
  const { decode, extractAnswer, seed, onToken, onIteration, ...rest } = options;
  const result = await rf.generate(promptIds, {
    ...rest,
    ...(decode ? { decode } : {}),
    ...(seed !== undefined ? { samplingSeed: seed } : {}),
    onToken: onToken ? (t) => onToken({ tokenId: t.tokenId, index: t.index }) : undefined,
    onIteration: onIteration ? (report) => onIteration({ kind: 'reasonflow', report }) : undefined,
  });
  const { stats } = result;
  return {
    ...singleTraceOutcome(result.tokenIds, result.stopReason, decode, extractAnswer),
    stats: {
      strategy: 'reasonflow',
      promptTokens: stats.promptTokens,
      tokensCommitted: stats.tokensCommitted,
      iterations: stats.iterations,
      forwardSteps: stats.forwardSteps,
      rowsComputed: stats.rowsComputed,
      modelTimeMs: stats.modelTimeMs,
      // Every ReasonFlow row works on a path (lookahead included): nothing idles.
      activeRowPositions: stats.rowsComputed,
      scorerCalls: 0,
      scorerTimeMs: 0,
      engineTimeMs: stats.engineTimeMs,
      totalTimeMs: stats.totalTimeMs,
      backend: stats.backend,
      duplicatePathShare: stats.duplicatePathShare,
    },
  };
}
