import { LogitsProcessorChain, type SamplingOptions } from '../logits-processors.js';
import { checkGenerationMemory, DEFAULT_MEMORY_LIMIT_BYTES, validateMemoryLimit } from '../memory-estimate.js';
import type { DecoderModel } from '../model.js';
import { checkPromptIds, type PromptIds } from '../prompt-ids.js';
import { SeededRandom } from '../random.js';
import { defaultTensorBackend } from '../simd/simd-backend.js';
import { RowBatch } from '../row-batch.js';
import { argmaxOf, sampleFromScores } from '../sampling.js';
import type { Tensor } from '../tensor-backend.js';
import { tokenConfidence } from './confidence.js';
import { Trace, TraceContext } from './trace-context.js';
import type {
  SamplingSettings,
  SearchCandidate,
  SearchEngineOptions,
  SearchOptions,
  SearchResult,
  SearchStats,
  SearchStopReason,
  StrategyKind,
} from './types.js';

export const DEFAULT_MAX_NEW_TOKENS = 128;
export const DEFAULT_SEED = 3407;
/** The particle-filtering paper's sampling temperature, used by every sampled strategy by default. */
export const DEFAULT_TEMPERATURE = 0.8;

/** Picks a row's next token from its log-probabilities: the argmax, or a seeded sample after the processors. */
export class TokenChooser {
  private readonly chain: LogitsProcessorChain | undefined;
  private readonly scratch: Float32Array;
  private readonly random: SeededRandom;

  constructor(vocab: number, sampling: SamplingOptions | undefined, seed: number) {
    this.chain = sampling ? new LogitsProcessorChain(vocab, sampling) : undefined;
    this.scratch = new Float32Array(vocab);
    this.random = new SeededRandom(seed);
  }

  choose(logProbs: Float32Array): number {
    if (!this.chain) return argmaxOf(logProbs);
    this.scratch.set(logProbs);
    this.chain.apply(this.scratch, EMPTY);
    return sampleFromScores(this.scratch, this.random.next());
  }
}

const EMPTY: number[] = [];

export function samplingOf(s: SamplingSettings): SamplingOptions {
  return { temperature: s.temperature ?? DEFAULT_TEMPERATURE, topK: s.topK ?? 0, topP: s.topP ?? 1, minP: s.minP ?? 0 };
}

/**
 * One strategy run over a RowBatch: checks the prompt and the memory, feeds the prompt, chooses every
 * live row's token per step, and assembles the result with the shared stats.
 */
// Re-exported: the strategy modules import Trace from here.
export { Trace };

export class SearchRun extends TraceContext {
  readonly batch: RowBatch;
  readonly promptIds: readonly number[];
  readonly maxNewTokens: number;
  readonly seed: number;
  private readonly eos: ReadonlySet<number>;
  private readonly maxTotalLength: number;
  private readonly started = performance.now();
  private activePositions = 0;
  private steps = 0;

  constructor(
    kind: StrategyKind,
    readonly model: DecoderModel,
    promptIds: PromptIds,
    readonly rows: number,
    options: SearchOptions,
    engine: SearchEngineOptions,
  ) {
    super(kind, options);
    const { vocabSize, maxSequenceLength } = model.info;
    this.promptIds = checkPromptIds(promptIds, vocabSize, maxSequenceLength);
    this.maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
    this.seed = options.seed ?? DEFAULT_SEED;
    this.maxTotalLength = maxSequenceLength;
    this.eos = new Set(options.eosTokenIds ?? model.info.eosTokenIds);
    const limit = validateMemoryLimit(engine.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES);
    checkGenerationMemory(model.info, { rows, thoughts: 1, promptLength: this.promptIds.length, maxNewTokens: this.maxNewTokens }, limit);
    this.batch = new RowBatch(model, engine.backend ?? defaultTensorBackend(), rows, engine.observer, options.signal);
  }

  get aborted(): boolean {
    return this.batch.aborted;
  }

  /** Starts the sequence and feeds the prompt to every row; undefined when aborted first. */
  async prefill(): Promise<Tensor | undefined> {
    await this.batch.start();
    if (this.aborted) return undefined;
    this.activePositions += this.promptIds.length;
    return this.batch.forwardShared(this.promptIds);
  }

  /**
   * Chooses the next token of every live trace from `logits` (log-softmaxed in place, then released)
   * and ends traces at EOS or length. With `confidenceTopK`, records each token's confidence.
   * @returns the tokens to feed (a dead row repeats the prompt's last token, its cache no longer matters)
   */
  choose(logits: Tensor, traces: readonly Trace[], choosers: (row: number) => TokenChooser, confidenceTopK = 0): Int32Array {
    const { backend, vocab } = this.batch;
    backend.logSoftmax(logits);
    const host = backend.toHost(logits);
    const top = confidenceTopK > 0 ? backend.topK(logits, confidenceTopK) : undefined;
    this.batch.release(logits);
    const tokens = new Int32Array(this.rows).fill(this.promptIds[this.promptIds.length - 1]!);
    const reported = new Array<number>(this.rows).fill(-1);
    traces.forEach((trace, r) => {
      if (!trace.live) return;
      const row = host.subarray(r * vocab, (r + 1) * vocab);
      const token = choosers(r).choose(row);
      trace.tokenIds.push(token);
      trace.logProbs.push(row[token]!);
      if (top) trace.confidences.push(tokenConfidence(top.values, r * confidenceTopK, confidenceTopK));
      tokens[r] = token;
      reported[r] = token;
      if (this.eos.has(token)) trace.finish = 'eos';
      else if (trace.tokenIds.length >= this.maxNewTokens) trace.finish = 'max-new-tokens';
      else if (this.promptIds.length + trace.tokenIds.length >= this.maxTotalLength) trace.finish = 'max-length';
    });
    this.options.onIteration?.({ kind: 'step', step: this.steps, tokens: reported });
    return tokens;
  }

  /** Feeds one token per row; `liveRows` rows are doing useful work (the rest idle). */
  async feed(tokens: Int32Array, liveRows: number): Promise<Tensor> {
    this.steps++;
    this.activePositions += liveRows;
    return this.batch.forwardTokens(tokens);
  }

  /** Releases the batch; builds the result (replaying the chosen tokens to onToken unless `streamed`). */
  async finish(
    chosen: readonly number[],
    answer: string | null,
    candidates: readonly SearchCandidate[],
    stopReason: SearchStopReason,
    extra: Partial<SearchStats> = {},
    streamed = false,
  ): Promise<SearchResult> {
    await this.batch.dispose();
    if (!streamed) for (const [index, tokenId] of chosen.entries()) this.options.onToken?.({ tokenId, index });
    const totalTimeMs = performance.now() - this.started;
    const stats = this.batch.stats;
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
        iterations: this.steps,
        ...stats,
        activeRowPositions: this.activePositions,
        scorerCalls: this.scorerCount,
        scorerTimeMs: this.scorerTime,
        engineTimeMs: totalTimeMs - stats.modelTimeMs - this.scorerTime,
        totalTimeMs,
        backend: this.batch.backend.name,
        ...extra,
      },
    };
  }

  async dispose(): Promise<void> {
    await this.batch.dispose();
  }
}
