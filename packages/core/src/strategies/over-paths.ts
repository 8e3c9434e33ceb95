import type { ReasonFlowConfig } from '../config.js';
import { ConfigError, UnsupportedFeatureError } from '../errors.js';
import { checkPromptIds, type PromptIds } from '../prompt-ids.js';
import type { PathRowRequest, PathRowResult, PathSource } from '../path-source.js';
import { generateOverPaths } from '../path-search.js';
import { mixSeeds, SeededRandom } from '../random.js';
import type { TensorBackend } from '../tensor-backend.js';
import { tokenConfidence } from './confidence.js';
import { DEFAULT_CONFIDENCE_TOP_K, deepConfChoice, deepConfSettings, endWave, WindowedTrace } from './deepconf.js';
import { collectFinished, copyParticle, DEFAULT_MAX_RETRIES, fresh, guidedChoice, guidedSettings, type Particle, RESAMPLING_STREAM, resampleRows, scoreCompletedSteps } from './guided-search.js';
import { chooseBestOfN, requireAnswers, singleTraceOutcome, stopOf, voteSelfConsistency } from './sampled-traces.js';
import { DEFAULT_MAX_NEW_TOKENS, DEFAULT_SEED, DEFAULT_TEMPERATURE } from './search-run.js';
import { Trace, TraceContext } from './trace-context.js';
import type {
  BestOfNStrategy,
  DeepConfStrategy,
  GreedyStrategy,
  GuidedSearchStrategy,
  SamplingSettings,
  SamplingStrategy,
  SearchCandidate,
  SearchOptions,
  SearchOptionsInput,
  SearchResult,
  SearchStopReason,
  SelfConsistencyStrategy,
  Strategy,
  StrategyInput,
  StrategyKind,
} from './types.js';
import { resolveSearchOptions, resolveStrategy } from './validate.js';

/** Tokens a row asks for per round trip unless told otherwise. */
const DEFAULT_CHUNK_TOKENS = 32;
/** ReasonFlow's default k over a path source (as `generateOverPaths`): vLLM's default `--max-logprobs`. */
const DEFAULT_REASONFLOW_TOP_LOG_PROBS = 20;

/** How a strategy talks to a PathSource. */
export interface PathStrategyOptions {
  /**
   * Tokens each row asks for per round trip (default 32). Sampled traces stop at EOS and guided-search
   * particles at the step delimiter inside a chunk; what the source generated past that point is
   * discarded (counted in `stats.tokensGenerated`, not in `activeRowPositions`). Larger chunks mean
   * fewer round trips and more discarded tokens. ReasonFlow ignores it (its chunk is numOfThoughts).
   */
  chunkTokens?: number;
  /**
   * Top log-probabilities asked per step. Default 1 (greedy, sampling, best-of-N, self-consistency,
   * guided search read only the chosen token's log-probability), DeepConf min(confidenceTopK, vocabulary),
   * ReasonFlow min(source.maxTopLogProbs, 20).
   */
  topLogProbs?: number;
  /** ReasonFlow only: the TensorBackend of its top-k columns. */
  backend?: TensorBackend;
}

/** What a strategy over a PathSource spent: the local `SearchStats`' counts, in round trips and tokens. */
export interface PathStrategyStats {
  readonly strategy: StrategyKind;
  readonly promptTokens: number;
  /** Tokens of the returned answer. */
  readonly tokensCommitted: number;
  /** Rounds of the search: `extend` calls (ReasonFlow: iterations). */
  readonly iterations: number;
  /** `PathSource.extend` calls; each carries every row that continues. */
  readonly roundTrips: number;
  /** Σ rows over every `extend` call. */
  readonly rowsRequested: number;
  /** Σ tokens the source generated, including those discarded past an EOS, a step end or a stop. */
  readonly tokensGenerated: number;
  /** Generated tokens kept in a trace (ReasonFlow: tokensGenerated); ≤ tokensGenerated. */
  readonly activeRowPositions: number;
  readonly scorerCalls: number;
  readonly scorerTimeMs: number;
  /** Time awaiting the source, ms. */
  readonly sourceTimeMs: number;
  readonly engineTimeMs: number;
  readonly totalTimeMs: number;
  /** The source's name, e.g. `sglang`. */
  readonly source: string;
  /** Guided search: resamplings; DeepConf: waves. */
  readonly rounds?: number;
  /** Guided search: rounds sampled again because every particle was rejected. */
  readonly retries?: number;
  /** DeepConf: traces stopped below the threshold. */
  readonly tracesStopped?: number;
  /** DeepConf: the threshold the warm-up set. */
  readonly threshold?: number;
  /** ReasonFlow: mean share of duplicate lookahead paths per iteration. */
  readonly duplicatePathShare?: number;
  /** ReasonFlow: fused decisions, and those the unseen top-k tail could have overturned. */
  readonly decisions?: number;
  readonly uncertifiedDecisions?: number;
}

/** What every strategy over a PathSource returns: `SearchResult` with path stats. */
export interface PathStrategyResult extends Omit<SearchResult, 'stats'> {
  readonly stats: PathStrategyStats;
}

/**
 * Runs a decoding strategy over a PathSource (a remote inference server or `DecoderPathSource`),
 * as `generateWith` runs it over a local model: the same strategy objects and options (validated
 * the same way), the same choosing, voting, confidence and resampling code, one result shape.
 *
 * Every round is one `extend` call carrying all the rows that continue (one round trip): each row's
 * prompt is the prompt plus its own trace so far, so the server's prefix cache holds what earlier
 * rounds computed. Rows ask for `chunkTokens` tokens a round; sampling happens on the server (per-row
 * temperature and seed), so `topK`, `topP` and `minP` other than off are refused
 * (UnsupportedFeatureError). Greedy over a path source gives exactly the local greedy tokens;
 * sampled strategies draw from the same distributions but not the same random streams as the local
 * ones. Guided search extends particles a chunk at a time, cuts each at its step's end, scores the
 * step and, once every live particle has completed one, resamples which prefixes continue. DeepConf
 * runs waves of `rows` traces and stops a trace at the first window below the threshold inside a chunk.
 *
 * ```ts
 * const result = await searchOverPaths(source, promptIds, { kind: 'self-consistency', n: 8 }, { decode, extractAnswer });
 * ```
 */
export async function searchOverPaths(
  source: PathSource,
  promptIds: PromptIds,
  strategyInput: StrategyInput,
  optionsInput: SearchOptionsInput = {},
  pathOptions: PathStrategyOptions = {},
): Promise<PathStrategyResult> {
  const strategy = resolveStrategy(strategyInput);
  const options = resolveSearchOptions(optionsInput);
  if (strategy.kind === 'reasonflow') return reasonFlowOverPaths(source, promptIds, strategy.config as ReasonFlowConfig, options, pathOptions);
  const run = new PathStrategyRun(strategy, source, promptIds, options, pathOptions);
  switch (strategy.kind) {
    case 'greedy':
    case 'sampling':
      return singleOverPaths(run, strategy);
    case 'best-of-n':
      return bestOfNOverPaths(run, strategy);
    case 'self-consistency':
      return selfConsistencyOverPaths(run, strategy);
    case 'guided':
      return guidedOverPaths(run, strategy);
    case 'deepconf':
      requireAnswers(run);
      return deepConfOverPaths(run, strategy);
  }
}

/** Rows a strategy uses (as the local `generateWith`). */
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

/** The server samples with a temperature only; the other samplers cannot be expressed in a PathRowRequest. */
function serverTemperature(strategy: SamplingSettings): number {
  for (const [field, off] of [
    ['topK', 0],
    ['topP', 1],
    ['minP', 0],
  ] as const) {
    const value = strategy[field];
    if (value !== undefined && value !== off) {
      throw new UnsupportedFeatureError(`${field} over a path source`, `a PathRowRequest carries a temperature only (the server samples); leave ${field} at ${off}`);
    }
  }
  return strategy.temperature ?? DEFAULT_TEMPERATURE;
}

/**
 * One strategy run over a PathSource: checks the prompt, asks for every live row's next chunk in one
 * `extend`, cuts traces at EOS, length or a strategy's stop, and assembles the result.
 */
class PathStrategyRun extends TraceContext {
  readonly rows: number;
  readonly promptIds: readonly number[];
  readonly maxNewTokens: number;
  readonly seed: number;
  readonly chunk: number;
  /** Top log-probabilities asked per step. */
  readonly k: number;
  private readonly eos: ReadonlySet<number>;
  private readonly started = performance.now();
  private roundTrips = 0;
  private rowsRequested = 0;
  private tokensGenerated = 0;
  private kept = 0;
  private sourceTime = 0;
  private steps = 0;

  constructor(
    strategy: Strategy,
    readonly source: PathSource,
    promptIds: PromptIds,
    options: SearchOptions,
    pathOptions: PathStrategyOptions,
  ) {
    super(strategy.kind, options);
    this.rows = rowsOf(strategy);
    this.promptIds = checkPromptIds(promptIds, source.vocabSize, source.maxSequenceLength);
    this.maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
    this.seed = options.seed ?? DEFAULT_SEED;
    this.eos = new Set(options.eosTokenIds ?? source.eosTokenIds);
    this.chunk = pathOptions.chunkTokens ?? DEFAULT_CHUNK_TOKENS;
    if (!Number.isSafeInteger(this.chunk) || this.chunk < 1) throw new ConfigError('chunkTokens', pathOptions.chunkTokens, 'an integer ≥ 1');
    let least = 1;
    let k = pathOptions.topLogProbs ?? 1;
    if (strategy.kind === 'deepconf') {
      // DeepConf's confidence reads the top-k of every token: k must reach confidenceTopK.
      const wanted = Math.min(strategy.confidenceTopK ?? DEFAULT_CONFIDENCE_TOP_K, source.vocabSize);
      if (strategy.confidenceTopK !== undefined && wanted > source.maxTopLogProbs) {
        throw new ConfigError('confidenceTopK', strategy.confidenceTopK, `at most the source's maxTopLogProbs (${source.maxTopLogProbs})`);
      }
      least = Math.min(wanted, source.maxTopLogProbs);
      k = pathOptions.topLogProbs ?? least;
    }
    if (!Number.isSafeInteger(k) || k < least || k > source.maxTopLogProbs) {
      throw new ConfigError('topLogProbs', k, `an integer in [${least}, ${source.maxTopLogProbs}] (at most the source's limit)`);
    }
    this.k = k;
  }

  get aborted(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  /** Generated tokens so far (discarded ones included): DeepConf's budget counts them. */
  get generated(): number {
    return this.tokensGenerated;
  }

  /**
   * One round trip: every row in `rows` (live traces) asks for its next chunk, sampled at
   * `temperature` (0 = greedy) with a seed of its own per round trip. Each row's tokens are appended
   * until EOS, `maxNewTokens`, the context or `stop(row, trace)` (called after each token, which may
   * also end the trace) cuts it; the rest of the chunk is discarded.
   * @param confidenceTopK records each token's confidence from its top-k (DeepConf)
   * @returns false when the run was aborted (the traces keep what they had)
   */
  async extendRows(
    traces: readonly Trace[],
    rows: readonly number[],
    temperature: number,
    stop?: (row: number, trace: Trace) => boolean,
    options: { maxSteps?: number; confidenceTopK?: number } = {},
  ): Promise<boolean> {
    if (this.aborted) return false;
    const prompt = this.promptIds.length;
    const limit = this.source.maxSequenceLength;
    const requests: PathRowRequest[] = rows.map((r) => {
      const trace = traces[r]!;
      const left = Math.min(this.maxNewTokens - trace.tokenIds.length, limit - prompt - trace.tokenIds.length);
      const steps = Math.max(1, Math.min(this.chunk, left, options.maxSteps ?? Number.POSITIVE_INFINITY));
      // A fresh seed per row and round trip: a retried or continued row must not replay its draws.
      const seed = temperature > 0 ? mixSeeds(mixSeeds(this.seed, r), this.roundTrips) : undefined;
      return { forced: [...trace.tokenIds], steps, temperature, ...(seed !== undefined ? { seed } : {}) };
    });
    if (requests.length === 0) return true;
    let results: PathRowResult[];
    const start = performance.now();
    try {
      this.roundTrips++;
      this.rowsRequested += requests.length;
      results = await this.source.extend(this.promptIds, requests, { topLogProbs: this.k, signal: this.options.signal });
    } catch (error) {
      // An abort surfaces from the source as a rejected request: the traces keep what they had.
      if (this.aborted) return false;
      throw error;
    } finally {
      this.sourceTime += performance.now() - start;
    }
    const chosen: number[][] = rows.map(() => []);
    rows.forEach((r, i) => {
      const trace = traces[r]!;
      const result = results[i]!;
      this.tokensGenerated += result.tokens.length;
      for (let t = 0; t < result.tokens.length && trace.live; t++) {
        const token = result.tokens[t]!;
        trace.tokenIds.push(token);
        trace.logProbs.push(result.logProbs[t]!);
        if (options.confidenceTopK) {
          const top = result.top[t]!.logProbs;
          trace.confidences.push(tokenConfidence(top, 0, Math.min(options.confidenceTopK, top.length)));
        }
        chosen[i]!.push(token);
        this.kept++;
        if (this.eos.has(token)) trace.finish = 'eos';
        else if (trace.tokenIds.length >= this.maxNewTokens) trace.finish = 'max-new-tokens';
        else if (prompt + trace.tokenIds.length >= limit) trace.finish = 'max-length';
        if (stop?.(r, trace)) break;
      }
      // A source returns fewer tokens only when the context is full.
      if (trace.live && result.tokens.length < requests[i]!.steps) trace.finish = 'max-length';
    });
    this.report(rows, chosen, traces.length);
    return true;
  }

  /** The local strategies' 'step' events, one per chunk position: each row's token, -1 for a row without one. */
  private report(rows: readonly number[], chosen: readonly number[][], width: number): void {
    const onIteration = this.options.onIteration;
    if (!onIteration) return;
    const longest = Math.max(0, ...chosen.map((c) => c.length));
    for (let t = 0; t < longest; t++) {
      const tokens = new Array<number>(width).fill(-1);
      rows.forEach((r, i) => {
        tokens[r] = chosen[i]![t] ?? -1;
      });
      onIteration({ kind: 'step', step: this.steps++, tokens });
    }
  }

  /** Builds the result (replaying the chosen tokens to onToken unless `streamed`). */
  finish(
    chosen: readonly number[],
    answer: string | null,
    candidates: readonly SearchCandidate[],
    stopReason: SearchStopReason,
    extra: Partial<PathStrategyStats> = {},
    streamed = false,
  ): PathStrategyResult {
    if (!streamed) for (const [index, tokenId] of chosen.entries()) this.options.onToken?.({ tokenId, index });
    const totalTimeMs = performance.now() - this.started;
    const text = this.text(chosen);
    return {
      tokenIds: [...chosen],
      ...(text !== undefined ? { text } : {}),
      answer,
      candidates,
      stopReason,
      stats: {
        strategy: this.kind,
        promptTokens: this.promptIds.length,
        tokensCommitted: chosen.length,
        iterations: this.roundTrips,
        roundTrips: this.roundTrips,
        rowsRequested: this.rowsRequested,
        tokensGenerated: this.tokensGenerated,
        activeRowPositions: this.kept,
        scorerCalls: this.scorerCount,
        scorerTimeMs: this.scorerTime,
        sourceTimeMs: this.sourceTime,
        engineTimeMs: totalTimeMs - this.sourceTime - this.scorerTime,
        totalTimeMs,
        source: this.source.name,
        ...extra,
      },
    };
  }
}

/** Extends every live trace, a chunk per round trip, until all have ended; false when aborted. */
async function runTraces(run: PathStrategyRun, temperature: number, onChunk?: (traces: readonly Trace[]) => void): Promise<{ traces: Trace[]; aborted: boolean }> {
  const traces = Array.from({ length: run.rows }, () => new Trace());
  for (;;) {
    const live = traces.flatMap((t, r) => (t.live ? [r] : []));
    if (live.length === 0) return { traces, aborted: false };
    if (!(await run.extendRows(traces, live, temperature))) {
      for (const t of traces) if (t.live) t.finish = 'aborted';
      return { traces, aborted: true };
    }
    onChunk?.(traces);
  }
}

/** Greedy or plain sampled decoding of one trace, streamed a chunk at a time. */
async function singleOverPaths(run: PathStrategyRun, strategy: GreedyStrategy | SamplingStrategy): Promise<PathStrategyResult> {
  const temperature = strategy.kind === 'sampling' ? serverTemperature(strategy) : 0;
  let streamed = 0;
  const { traces, aborted } = await runTraces(run, temperature, ([trace]) => {
    for (; streamed < trace!.tokenIds.length; streamed++) run.options.onToken?.({ tokenId: trace!.tokenIds[streamed]!, index: streamed });
  });
  const trace = traces[0]!;
  const candidate = run.candidate(trace, 1);
  return run.finish(trace.tokenIds, candidate.answer, [candidate], aborted ? 'aborted' : (trace.finish as SearchStopReason), {}, true);
}

async function bestOfNOverPaths(run: PathStrategyRun, strategy: BestOfNStrategy): Promise<PathStrategyResult> {
  const { traces, aborted } = await runTraces(run, serverTemperature(strategy));
  const { candidates, chosen } = await chooseBestOfN(run, traces, strategy);
  return run.finish(chosen.tokenIds, chosen.answer, candidates, aborted ? 'aborted' : stopOf(chosen));
}

async function selfConsistencyOverPaths(run: PathStrategyRun, strategy: SelfConsistencyStrategy): Promise<PathStrategyResult> {
  requireAnswers(run);
  const { traces, aborted } = await runTraces(run, serverTemperature(strategy));
  const { candidates, answer, chosen } = voteSelfConsistency(run, traces);
  return run.finish(chosen.tokenIds, answer, candidates, aborted ? 'aborted' : stopOf(chosen));
}

/** A row without a particle: never extended. */
const DEAD = (() => {
  const t = new Trace();
  t.finish = 'rejected';
  return t;
})();

/**
 * Guided search over a path source: each round trip extends the particles that have not completed a
 * step since the last resampling by a chunk, cut right after the step delimiter (or at EOS/length);
 * completed steps are scored as locally (−∞ rejects), and once every live particle has completed one,
 * systematic resampling chooses which prefixes the rows continue. Unlike the local run, a particle
 * that completed its step waits (its row is not sent) instead of sampling on: a row's prompt is its
 * particle's whole prefix, which the server's prefix cache already holds. Rejected rounds are sampled
 * again from the round's start (new seeds), up to `maxRetries` times.
 */
async function guidedOverPaths(run: PathStrategyRun, strategy: GuidedSearchStrategy): Promise<PathStrategyResult> {
  const { scorer, tau, boundary } = guidedSettings(strategy, run.options.decode);
  const temperature = serverTemperature(strategy);
  const resampler = new SeededRandom(mixSeeds(run.seed, RESAMPLING_STREAM));
  const rows = run.rows;
  const maxRetries = strategy.maxRetries ?? DEFAULT_MAX_RETRIES;
  const finished: { trace: Trace; lowest: number }[] = [];
  let particles: (Particle | undefined)[] = Array.from({ length: rows }, () => fresh(new Trace()));
  let snapshot = particles.map((p) => copyParticle(p!));
  let scored: { row: number; stepText: string; score: number }[] = [];
  let rounds = 0;
  let retries = 0;
  let retriesLeft = maxRetries;
  let stopReason: SearchResult['stopReason'] = 'eos';
  for (;;) {
    const extend = particles.flatMap((p, r) => (p?.trace.live && !p.completed ? [r] : []));
    const atStepEnd = (row: number, trace: Trace) => boundary.endsStep(trace.tokenIds.slice(particles[row]!.stepStart));
    if (!(await run.extendRows(particles.map((p) => p?.trace ?? DEAD), extend, temperature, atStepEnd))) {
      stopReason = 'aborted';
      break;
    }
    await scoreCompletedSteps(run, particles, boundary, scorer, scored);
    collectFinished(particles, finished);
    const live = particles.filter((p): p is Particle => p !== undefined);
    if (live.length === 0 && finished.length === 0 && retriesLeft > 0) {
      // Every particle was rejected: back to the round's start, sampled again with new seeds.
      retriesLeft--;
      retries++;
      particles = snapshot.map(copyParticle);
      scored = [];
      continue;
    }
    if (live.length === 0) {
      if (finished.length === 0) stopReason = 'rejected';
      break;
    }
    if (live.every((p) => p.completed)) {
      const sources = resampleRows(run, particles, tau, resampler.next(), rounds, scored, finished.length);
      scored = [];
      rounds++;
      particles = Array.from(sources, (source) => copyParticle(particles[source]!));
      snapshot = particles.map((p) => copyParticle(p!));
      retriesLeft = maxRetries;
    }
  }
  const choice = guidedChoice(run, finished, tau);
  if (!choice) return run.finish([], null, [], stopReason, { rounds, retries });
  const { candidates, answer, chosen } = choice;
  return run.finish(chosen.tokenIds, answer, candidates, stopReason === 'aborted' ? 'aborted' : stopOf(chosen), { rounds, retries });
}

/**
 * DeepConf over a path source: waves of `rows` traces from the prompt, a chunk per round trip, each
 * token's confidence from its top-k log-probabilities; after the warm-up a trace stops at the first
 * window below the threshold (the rest of its chunk is discarded). The budget counts row-positions as
 * the local run does, with the prompt once (the server caches it) and every generated token, discarded
 * ones included; a chunk is shortened so that the budget is never passed.
 */
async function deepConfOverPaths(run: PathStrategyRun, strategy: DeepConfStrategy): Promise<PathStrategyResult> {
  const rows = run.rows;
  const temperature = serverTemperature(strategy);
  const confidenceTopK = Math.min(strategy.confidenceTopK ?? DEFAULT_CONFIDENCE_TOP_K, run.source.vocabSize, run.k);
  const { boundary, windowTokens, budget } = deepConfSettings(strategy, run, rows, run.promptIds.length, run.maxNewTokens);
  const computed = () => rows * run.promptIds.length + run.generated;
  const done: { trace: Trace; lowest: number; warmup: boolean }[] = [];
  let threshold: number | undefined;
  let stopped = 0;
  let waves = 0;
  let stopReason: SearchResult['stopReason'] | undefined;
  while (stopReason === undefined) {
    if (computed() + rows > budget) {
      stopReason = 'budget';
      break;
    }
    const warmup = threshold === undefined;
    const traces = Array.from({ length: rows }, () => new WindowedTrace(boundary, windowTokens));
    const windowed = (row: number, trace: Trace) => {
      const window = traces[row]!.update();
      if (window !== undefined && threshold !== undefined && window < threshold && trace.live) {
        trace.finish = 'low-confidence';
        stopped++;
      }
      return false;
    };
    for (;;) {
      const live = traces.flatMap((t, r) => (t.trace.live ? [r] : []));
      if (live.length === 0) break;
      const allowed = budget - computed();
      if (allowed < live.length) {
        for (const t of traces) if (t.trace.live) t.trace.finish = 'budget';
        stopReason = 'budget';
        break;
      }
      const ok = await run.extendRows(
        traces.map((t) => t.trace),
        live,
        temperature,
        windowed,
        { maxSteps: Math.floor(allowed / live.length), confidenceTopK },
      );
      if (!ok) {
        stopReason = 'aborted';
        break;
      }
    }
    waves++;
    const ended = endWave(run, strategy, rows, done, traces, warmup, threshold, waves - 1, stopReason);
    threshold = ended.threshold;
    stopReason = ended.stopReason;
  }
  return run.finish(...deepConfChoice(run, done, threshold, stopReason), {
    rounds: waves,
    tracesStopped: stopped,
    ...(threshold !== undefined ? { threshold } : {}),
  });
}

/** ReasonFlow over a path source (`generateOverPaths`), in the strategies' result shape. */
async function reasonFlowOverPaths(
  source: PathSource,
  promptIds: PromptIds,
  config: ReasonFlowConfig,
  options: SearchOptions,
  pathOptions: PathStrategyOptions,
): Promise<PathStrategyResult> {
  const { decode, extractAnswer, seed, onToken, onIteration, ...rest } = options;
  const result = await generateOverPaths(
    source,
    promptIds,
    {
      ...rest,
      ...(decode ? { decode } : {}),
      ...(seed !== undefined ? { samplingSeed: seed } : {}),
      onToken: onToken ? (t) => onToken({ tokenId: t.tokenId, index: t.index }) : undefined,
      onIteration: onIteration ? (report) => onIteration({ kind: 'reasonflow', report }) : undefined,
    },
    {
      config,
      ...(pathOptions.backend ? { backend: pathOptions.backend } : {}),
      topLogProbs: pathOptions.topLogProbs ?? Math.min(source.maxTopLogProbs, DEFAULT_REASONFLOW_TOP_LOG_PROBS),
    },
  );
  const { stats } = result;
  return {
    ...singleTraceOutcome(result.tokenIds, result.stopReason, decode, extractAnswer),
    stats: {
      strategy: 'reasonflow',
      promptTokens: stats.promptTokens,
      tokensCommitted: stats.tokensCommitted,
      iterations: stats.iterations,
      roundTrips: stats.roundTrips,
      rowsRequested: stats.rowsRequested,
      tokensGenerated: stats.tokensGenerated,
      // Every lookahead token is scored: nothing is generated in vain.
      activeRowPositions: stats.tokensGenerated,
      scorerCalls: 0,
      scorerTimeMs: 0,
      sourceTimeMs: stats.sourceTimeMs,
      engineTimeMs: stats.engineTimeMs,
      totalTimeMs: stats.totalTimeMs,
      source: stats.source,
      duplicatePathShare: stats.duplicatePathShare,
      decisions: stats.decisions,
      uncertifiedDecisions: stats.uncertifiedDecisions,
    },
  };
}
