import { acceptanceRate, uncertainty } from './uncertainty.js';
import { adaptAcceptanceThreshold } from './acceptance-threshold.js';
import { callbackStream } from './callback-stream.js';
import { effectiveThoughts, type ReasonFlowConfig, type ReasonFlowConfigInput, resolveConfig } from './config.js';
import { applyEmbeddingNoise, gumbelSubstitute } from './embedding-noise.js';
import { ConfigError, ModelError, UnsupportedFeatureError } from './errors.js';
import { fusionWeights } from './fusion.js';
import { type GenerateOptionsInput, resolveGenerateOptions } from './generate-options.js';
import { LogitsProcessorChain, type SamplingOptions } from './logits-processors.js';
import { checkGenerationMemory, DEFAULT_MEMORY_LIMIT_BYTES, validateMemoryLimit } from './memory-estimate.js';
import type { EngineObserver } from './engine-events.js';
import type { DecoderModel, StepInput } from './model.js';
import { accumulatePathLogLikelihood, originalPathQuality } from './path-scoring.js';
import { checkPromptIds, type PromptIds } from './prompt-ids.js';
import { applyPerturbations, type Perturbation, perturbedArgmaxPosition, perturbThinker } from './perturbation.js';
import { mixSeeds, SeededRandom } from './random.js';
import { RowBatch } from './row-batch.js';
import { argmaxOf, sampleFromScores } from './sampling.js';
import { MIN_DIVERSITY_WEIGHT, type Selection, selectThinkers } from './selection.js';
import { StopChecker, type StopReason } from './stop-conditions.js';
import { defaultTensorBackend } from './simd/simd-backend.js';
import { scheduleTemperatures } from './temperature-schedule.js';
import type { Tensor, TensorBackend } from './tensor-backend.js';

export interface GenerateOptions extends SamplingOptions {
  /** Tokens to generate at most (default 128). */
  maxNewTokens?: number;
  /** Ids that end generation (default: the model's). The EOS token is included in the output. */
  eosTokenIds?: readonly number[];
  /** Strings that end generation once they appear in the decoded output (needs `decode`). */
  stopStrings?: readonly string[];
  decode?: (tokenIds: readonly number[]) => string;
  /** Sample the committed token instead of taking the fused argmax (default false). */
  doSample?: boolean;
  /** Seed of the sampler (default: the config's seed). */
  samplingSeed?: number;
  /** Stops between forward steps; the result holds what was committed, with stopReason 'aborted'. */
  signal?: AbortSignal;
  /** Called for every committed token, in order. */
  onToken?: (token: CommittedToken) => void;
  /** Called after every iteration with the search's details (thinkers, scores, winners). */
  onIteration?: (report: IterationReport) => void;
}

export interface CommittedToken {
  readonly tokenId: number;
  /** 0-based position in the generated output. */
  readonly index: number;
  readonly iteration: number;
}

export interface ThinkerReport {
  readonly row: number;
  /** Tokens of the row's lookahead path (step 0 first). */
  readonly pathTokens: readonly number[];
  /** The model's log-probability of each path token. */
  readonly pathLogProbs: readonly number[];
  readonly rawQuality: number;
  readonly quality: number;
  readonly diversity: number;
  readonly combined: number;
  readonly swapped: boolean;
}

export interface IterationReport {
  readonly iteration: number;
  readonly thinkers: readonly ThinkerReport[];
  /** Selected rows, best first. */
  readonly selected: readonly number[];
  readonly fusionWeights: readonly number[];
  /** Tokens committed by this iteration (more than one with path acceptance). */
  readonly committed: readonly number[];
  readonly temperatures: readonly [number, number];
  readonly acceptanceThreshold: number;
  readonly uncertainty: number;
  readonly acceptanceRate: number;
  /** Positions in the kept KV cache after the iteration: prompt + committed tokens. */
  readonly cacheLength: number;
  /** Share of thinkers whose lookahead path repeats an earlier thinker's (compute spent on duplicates). */
  readonly duplicatePathShare: number;
}

export interface GenerationStats {
  readonly promptTokens: number;
  readonly tokensCommitted: number;
  readonly iterations: number;
  /** Model forward calls. */
  readonly forwardSteps: number;
  /** Σ rows × positions over all forward calls: the model compute spent. */
  readonly rowsComputed: number;
  /** Time awaiting the model (forward passes and KV operations), ms. */
  readonly modelTimeMs: number;
  /** Everything else: ReasonFlow's own work, ms. */
  readonly engineTimeMs: number;
  readonly totalTimeMs: number;
  readonly backend: string;
  /** Mean over iterations of the share of thinkers whose lookahead path duplicated another's (0 for N = 1). */
  readonly duplicatePathShare: number;
}

export interface GenerationResult {
  /** Generated token ids (the prompt excluded). */
  readonly tokenIds: number[];
  /** Per iteration, the selected thinker rows (the original's "best thinkers summary"). */
  readonly bestThinkersSummary: number[][];
  readonly stopReason: StopReason;
  readonly stats: GenerationStats;
}

export interface EngineOptions {
  config?: ReasonFlowConfigInput | ReasonFlowConfig;
  /**
   * Default: `defaultTensorBackend()` (SimdBackend where WebAssembly SIMD exists, else ReferenceBackend).
   * The engine owns the logits; models never see the backend.
   */
  backend?: TensorBackend;
  /** Hooks that see every model call the engine makes (forward passes, KV operations) and their timing. */
  observer?: EngineObserver;
  /**
   * Largest estimated memory (KV cache + logits) one generation may need; larger settings are refused
   * before allocating. Default `DEFAULT_MEMORY_LIMIT_BYTES` (8 GiB); `Infinity` turns the check off.
   */
  memoryLimitBytes?: number;
}

const DEFAULT_MAX_NEW_TOKENS = 128;
/** Candidates a 'sampled' branching draws from (the rest of the vocabulary holds negligible mass). */
const BRANCH_CANDIDATES = 64;
/** Seed stream of the branching sampler, apart from the noise and the commit sampler. */
const BRANCHING_STREAM = 0xb4a9c4;
/**
 * The greedy shortcut needs the raw top-2 gap to exceed this share of the log-probabilities' magnitude:
 * 8 float32 ulps, so rounding in the log-softmax cannot tie the argmax with the runner-up.
 */
const GREEDY_GAP_SHARE = 2 ** -20;

/** The perturbation that swaps a row's argmax with its branch token (a swap needs no renormalisation). */
function forcedSwap(top: number, topLogProb: number, branch: { column: number; logProb: number }): Perturbation {
  return { swapped: true, columns: [top, branch.column], logValues: [branch.logProb, topLogProb], shift: 0 };
}

/** Share of rows whose whole path (every step's token) equals an earlier row's path. */
export function duplicatePathShare(stepTokens: readonly Int32Array[], rows: number): number {
  const seen = new Set<string>();
  let duplicates = 0;
  for (let r = 0; r < rows; r++) {
    const key = stepTokens.map((step) => step[r]).join(',');
    if (seen.has(key)) duplicates++;
    else seen.add(key);
  }
  return duplicates / rows;
}

/** @internal Whether every row took the same token at every step (the path search narrows on it too). */
export function pathsAgree(stepTokens: readonly Int32Array[]): boolean {
  return stepTokens.every((step) => step.every((token) => token === step[0]));
}

/**
 * ReasonFlow decoding over a DecoderModel. One iteration: step-0 distributions of every thinker
 * (noisy for rows ≥ 1), per-thinker perturbation, T − 1 batched lookahead steps, scoring and
 * selection, fusion, commit, then the KV cache follows the winner and is rolled back to exactly the
 * committed prefix before the committed token is fed (which yields the next step-0 distributions).
 */
export class ReasonFlowEngine {
  readonly config: ReasonFlowConfig;
  readonly backend: TensorBackend;
  readonly memoryLimitBytes: number;
  private readonly observer: EngineObserver | undefined;

  constructor(
    readonly model: DecoderModel,
    options: EngineOptions = {},
  ) {
    this.config = resolveConfig(options.config ?? {});
    this.backend = options.backend ?? defaultTensorBackend();
    this.observer = options.observer;
    this.memoryLimitBytes = validateMemoryLimit(options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES);
    if (!this.config.useTokens && model.info.embeddingSize === undefined) {
      throw new UnsupportedFeatureError(
        'Soft thoughts (useTokens: false)',
        'the model has no inputs_embeds graph; use useTokens: true or a model exported with embeddings',
      );
    }
  }

  /** Generates from `promptIds`; resolves when a stop condition (or the abort signal) ends it. */
  async generate(promptIds: PromptIds, options: GenerateOptionsInput = {}): Promise<GenerationResult> {
    const run = new GenerationRun(this.model, this.config, this.backend, promptIds, options, this.observer, this.memoryLimitBytes);
    return run.execute();
  }

  /**
   * Streams committed tokens. The iterator's return value is the GenerationResult; leaving the loop
   * early aborts the generation and releases everything.
   */
  stream(
    promptIds: PromptIds,
    options: Omit<GenerateOptionsInput, 'onToken'> = {},
  ): AsyncGenerator<CommittedToken, GenerationResult, undefined> {
    return callbackStream(
      (onToken, signal) => this.generate(promptIds, { ...options, signal, onToken }),
      options.signal,
    );
  }
}

/** Step 0 and the lookahead of every thinker in one iteration. */
interface ThinkerPaths {
  /** Per lookahead step, each row's token (step 0 first). */
  readonly tokens: Int32Array[];
  /** Per lookahead step, each row's log-probability of its token. */
  readonly logProbs: Float32Array[];
  /** Per lookahead step, the logits tensors (step 0: perturbed log-probabilities). */
  readonly steps: Tensor[];
  readonly perturbations: readonly (Perturbation | undefined)[];
  /** Each row's summed log-likelihood of its path so far. */
  readonly rawScores: Float64Array;
  /** Top-1 and top-2 step-0 log-probabilities per row, for the uncertainty estimate. */
  readonly top1: Float32Array;
  readonly top2: Float32Array;
  /** Set by the greedy shortcut: the token the full fusion and argmax would commit (step 0 left raw). */
  readonly greedyToken?: number;
}

/** The search's choice in one iteration. */
interface Decision {
  readonly quality: Float64Array | Float32Array;
  readonly selection: Selection;
  readonly weights: Float32Array;
  readonly token: number;
  readonly winner: number;
}

/** One generation's state; lives only for the duration of `execute`. */
class GenerationRun {
  private readonly thoughts: number;
  /** Thinkers (N): the batch's rows while it is wide. */
  private readonly rows: number;
  /** Rows the batch holds now: N, or 1 while narrowed (see `narrowWhenConfident`). */
  private width: number;
  /** `narrowWhenConfident` applies: path acceptance with several thinkers over token inputs. */
  private readonly canNarrow: boolean;
  private readonly vocab: number;
  private readonly promptLength: number;
  private readonly maxTotalLength: number;
  private readonly maxNewTokens: number;
  /** K > 1 rows merged into one cache (the original's mean), instead of the winner's row. */
  private readonly mergesKv: boolean;
  /** Path acceptance can commit the winner's verified lookahead. */
  private readonly canAcceptPath: boolean;
  /** Soft-thought inputs mix the top `topK` tokens; the step-0 top-k covers every thinker's rank too. */
  private readonly topK: number;
  private readonly stop: StopChecker;
  private readonly processors: LogitsProcessorChain;
  private readonly sampler: SeededRandom;
  private readonly history: number[];
  private readonly generated: number[] = [];
  private readonly summary: number[][] = [];
  private readonly fused: Float32Array;
  private readonly options: GenerateOptions;
  private readonly batch: RowBatch;
  private iterations = 0;
  private duplicateShareSum = 0;
  private readonly branchRandom: SeededRandom;
  /** One thinker, no lookahead, argmax of unprocessed scores: step 0 needs no full log-softmax. */
  private readonly greedyShortcut: boolean;
  private previousAcceptanceRate: number | undefined;
  private previousUncertainty: number | undefined;

  constructor(
    private readonly model: DecoderModel,
    private readonly config: ReasonFlowConfig,
    private readonly backend: TensorBackend,
    promptIds: PromptIds,
    rawOptions: GenerateOptionsInput,
    observer: EngineObserver | undefined,
    memoryLimitBytes: number,
  ) {
    const { vocabSize, maxSequenceLength } = model.info;
    this.vocab = vocabSize;
    this.rows = config.numOfThinkers;
    this.width = this.rows;
    this.thoughts = effectiveThoughts(config);
    const options = resolveGenerateOptions(rawOptions);
    this.options = options;
    const maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
    const prompt = checkPromptIds(promptIds, vocabSize, maxSequenceLength);
    if (options.stopStrings?.length && !options.decode) {
      throw new ConfigError('decode', undefined, 'a decode function when stopStrings are given');
    }
    checkGenerationMemory(
      model.info,
      { rows: this.rows, thoughts: this.thoughts, promptLength: prompt.length, maxNewTokens },
      memoryLimitBytes,
    );
    this.mergesKv = config.kvMerge === 'mean' && config.topkThinkers > 1;
    this.canAcceptPath = config.pathAcceptance && config.useTokens && !this.mergesKv;
    this.canNarrow = config.narrowWhenConfident && this.canAcceptPath && this.rows > 1;
    this.topK = Math.min(Math.max(2, this.rows, config.useTokens ? 0 : config.softThoughtTopK), vocabSize);
    this.promptLength = prompt.length;
    this.history = prompt;
    this.maxTotalLength = maxSequenceLength;
    this.maxNewTokens = maxNewTokens;
    this.stop = new StopChecker({
      eosTokenIds: options.eosTokenIds ?? model.info.eosTokenIds,
      maxNewTokens,
      stopStrings: options.stopStrings,
      decode: options.decode,
    });
    this.processors = new LogitsProcessorChain(vocabSize, options);
    this.sampler = new SeededRandom(options.samplingSeed ?? config.seed);
    this.fused = new Float32Array(vocabSize);
    this.branchRandom = new SeededRandom(mixSeeds(config.seed, BRANCHING_STREAM));
    this.batch = new RowBatch(model, backend, this.rows, observer, options.signal);
    this.greedyShortcut = this.rows === 1 && this.thoughts === 1 && !options.doSample && this.processors.isIdentity;
  }

  async execute(): Promise<GenerationResult> {
    const started = performance.now();
    let stopReason: StopReason | undefined;
    try {
      const sequence = await this.batch.start();
      if (this.mergesKv && !sequence.mergeRows) {
        throw new UnsupportedFeatureError("kvMerge: 'mean'", 'the model cannot merge cache rows (no mergeRows)');
      }
      if (this.aborted()) {
        stopReason = 'aborted';
      } else {
        let next = await this.feed(Int32Array.from(this.history), 0);
        while (stopReason === undefined) {
          const outcome = await this.iterate(next);
          stopReason = outcome.stopReason;
          if (outcome.next) next = outcome.next;
        }
      }
    } finally {
      await this.batch.dispose();
    }
    const totalTimeMs = performance.now() - started;
    const { forwardSteps, rowsComputed, modelTimeMs } = this.batch.stats;
    return {
      tokenIds: this.generated,
      bestThinkersSummary: this.summary,
      stopReason,
      stats: {
        promptTokens: this.promptLength,
        tokensCommitted: this.generated.length,
        iterations: this.iterations,
        forwardSteps,
        rowsComputed,
        modelTimeMs,
        engineTimeMs: totalTimeMs - modelTimeMs,
        totalTimeMs,
        backend: this.backend.name,
        duplicatePathShare: this.iterations > 0 ? this.duplicateShareSum / this.iterations : 0,
      },
    };
  }

  /** One ReasonFlow iteration starting from the step-0 logits `logits0` (owned, disposed here). */
  private async iterate(logits0: Tensor): Promise<{ stopReason?: StopReason; next?: Tensor }> {
    const { config } = this;
    const iteration = this.iterations;
    const committedLength = this.batch.length;
    const temperatures = scheduleTemperatures(config, iteration, this.previousAcceptanceRate);
    const threshold = adaptAcceptanceThreshold(config, iteration, this.previousUncertainty, this.previousAcceptanceRate);

    let paths = this.startPaths(logits0, committedLength, threshold, temperatures);
    if (this.width < this.rows && paths.logProbs[0]![0]! < config.pathAcceptanceLogProb) {
      // The lone row is unsure of its next token: every thinker decides it.
      this.batch.release(logits0);
      if (this.aborted()) return { stopReason: 'aborted' };
      paths = this.startPaths(await this.widen(), committedLength, threshold, temperatures);
    }
    if (!(await this.lookahead(paths, committedLength))) return { stopReason: 'aborted' };
    const width = this.width;
    const duplicates = duplicatePathShare(paths.tokens, width);
    this.duplicateShareSum += duplicates;
    const decision = this.decide(paths);
    const { accepted, stopReason: committedStop } = this.commit(decision, paths, iteration);
    let stopReason = committedStop;
    const narrow = this.canNarrow && width > 1 && accepted.length === paths.tokens.length && pathsAgree(paths.tokens);
    let next = await this.followWinner(decision, paths, committedLength, accepted.length, stopReason, narrow ? 1 : width);

    const currentUncertainty = uncertainty(paths.top1, paths.top2);
    const rate = acceptanceRate(decision.selection.combined, decision.selection.selected, threshold);
    this.previousUncertainty = currentUncertainty;
    this.previousAcceptanceRate = rate;
    this.iterations++;
    this.summary.push(Array.from(decision.selection.selected));

    if (!stopReason && !next) {
      if (this.aborted()) stopReason = 'aborted';
      else next = await this.feed(Int32Array.of(accepted[accepted.length - 1]!), this.batch.length);
    }
    this.options.onIteration?.({
      iteration,
      thinkers: Array.from({ length: width }, (_, r) => ({
        row: r,
        pathTokens: paths.tokens.map((step) => step[r]!),
        pathLogProbs: paths.logProbs.map((step) => step[r]!),
        rawQuality: decision.quality[r]!,
        quality: decision.selection.quality[r]!,
        diversity: decision.selection.diversity[r]!,
        combined: decision.selection.combined[r]!,
        swapped: paths.perturbations[r]?.swapped ?? false,
      })),
      selected: Array.from(decision.selection.selected),
      fusionWeights: Array.from(decision.weights),
      committed: accepted,
      temperatures,
      acceptanceThreshold: threshold,
      uncertainty: currentUncertainty,
      acceptanceRate: rate,
      cacheLength: this.batch.length,
      duplicatePathShare: duplicates,
    });
    return { stopReason, next };
  }

  /** Step 0: noise substitute, log-softmax, and the perturbation of thinkers ≥ 1. */
  private startPaths(
    logits0: Tensor,
    committedLength: number,
    threshold: number,
    temperatures: readonly [number, number],
  ): ThinkerPaths {
    const { backend, config, width: rows, topK: k } = this;
    const shortcut = this.greedyShortcut ? this.greedyStart(logits0) : undefined;
    if (shortcut) return shortcut;
    if (rows > 1 && config.noiseScale > 0 && this.model.info.embeddingSize === undefined) {
      const { scales, seeds } = gumbelSubstitute(rows, committedLength, config.noiseScale, config.seed);
      backend.addGumbelNoise(logits0, scales, seeds);
    }
    backend.logSoftmax(logits0);
    const top = backend.topK(logits0, k);
    const branches = this.branchTokens(logits0);
    const tokens = new Int32Array(rows);
    const logProbs = new Float32Array(rows);
    const perturbations: (Perturbation | undefined)[] = [];
    const top1 = new Float32Array(rows);
    const top2 = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const values = top.values.subarray(r * k, r * k + k);
      const indices = top.indices.subarray(r * k, r * k + k);
      top1[r] = values[0]!;
      top2[r] = k > 1 ? values[1]! : Number.NEGATIVE_INFINITY;
      const branch = branches?.[r];
      if (branch !== undefined) {
        // The branch token swaps places with the argmax, so the row's distribution (and fusion) follow it.
        perturbations.push(branch.column === indices[0] ? undefined : forcedSwap(indices[0]!, values[0]!, branch));
        tokens[r] = branch.column;
        logProbs[r] = branch.logProb;
        continue;
      }
      const p = r > 0 ? perturbThinker(r, values, indices, threshold, temperatures[0], temperatures[1]) : undefined;
      perturbations.push(p);
      const position = perturbedArgmaxPosition(r, values, p);
      tokens[r] = indices[position]!;
      logProbs[r] = values[position]!;
    }
    applyPerturbations(this.backend, logits0, perturbations);
    const rawScores = new Float64Array(rows);
    accumulatePathLogLikelihood(rawScores, logProbs);
    return { tokens: [tokens], logProbs: [logProbs], steps: [logits0], perturbations, rawScores, top1, top2 };
  }

  /**
   * The greedy shortcut's step 0: with one thinker, no lookahead, no processors and no sampling, the
   * committed token is the argmax of the log-softmax, which is the raw logits' argmax whenever their
   * top-2 gap is too wide for float32 rounding to close. Then an argmax and one log-sum-exp replace the
   * full log-softmax, top-k, fusion and argmax. Undefined (use the full path) when the gap is too narrow.
   */
  private greedyStart(logits0: Tensor): ThinkerPaths | undefined {
    if (this.vocab < 2) return undefined;
    const top = this.backend.topK(logits0, 2);
    const best = top.values[0]!;
    const gap = best - top.values[1]!;
    const greedy = this.backend.greedyLogProbs(logits0);
    const logProb = greedy.values[0]!;
    const separated = gap === Number.POSITIVE_INFINITY || gap > GREEDY_GAP_SHARE * (Math.abs(logProb) + gap);
    if (!Number.isFinite(best) || !Number.isFinite(logProb) || !separated) return undefined;
    const token = top.indices[0]!;
    const rawScores = new Float64Array(1);
    accumulatePathLogLikelihood(rawScores, [logProb]);
    return {
      tokens: [Int32Array.of(token)],
      logProbs: [Float32Array.of(logProb)],
      steps: [logits0],
      perturbations: [undefined],
      rawScores,
      top1: Float32Array.of(logProb),
      top2: Float32Array.of(logProb - gap),
      greedyToken: token,
    };
  }

  /**
   * With branching, the step-0 token of every thinker ≥ 1 (index r of the result; undefined for row 0):
   * distinct tokens, by rank or sampled without replacement (Gumbel top-k over the row's
   * BRANCH_CANDIDATES most probable tokens). A row whose list runs out keeps the original perturbation.
   */
  private branchTokens(logProbs: Tensor): ({ column: number; logProb: number } | undefined)[] | undefined {
    const { branching } = this.config;
    const rows = this.width;
    if (branching === 'none' || rows === 1) return undefined;
    // Branch tokens come from thinker 0's clean ranking, so they are distinct from each other and from its argmax.
    const k = Math.min(this.vocab, branching === 'ranked' ? rows : Math.max(rows, BRANCH_CANDIDATES));
    const top = this.backend.topK(logProbs, k);
    let positions: number[];
    if (branching === 'ranked') {
      positions = Array.from({ length: k - 1 }, (_, j) => j + 1);
    } else {
      // Gumbel top-k: the largest perturbed keys are a sample without replacement.
      const keys: { position: number; key: number }[] = [];
      for (let j = 1; j < k; j++) {
        const lp = top.values[j]!;
        if (lp !== Number.NEGATIVE_INFINITY) keys.push({ position: j, key: lp - Math.log(-Math.log(1 - this.branchRandom.next())) });
      }
      keys.sort((x, y) => y.key - x.key);
      positions = keys.map((x) => x.position);
    }
    const columns = new Int32Array(rows);
    for (let r = 1; r < rows; r++) columns[r] = top.indices[positions[r - 1] ?? 0]!;
    const own = this.backend.gather(logProbs, columns);
    return Array.from({ length: rows }, (_, r) =>
      r === 0 || positions[r - 1] === undefined ? undefined : { column: columns[r]!, logProb: own[r]! },
    );
  }

  /**
   * Lookahead steps 1..T-1, batched over the rows. Step tensors stay alive until the commit: the
   * original's scoring reads them, and path acceptance reuses the winner's last accepted step.
   * Returns false when aborted.
   */
  private async lookahead(paths: ThinkerPaths, committedLength: number): Promise<boolean> {
    const { backend, config } = this;
    // Lookahead must fit the context: steps 1..T-1 write positions committedLength..+T-2.
    const thoughts = Math.max(1, Math.min(this.thoughts, this.model.info.maxSequenceLength - committedLength + 1));
    // A lone thinker's lookahead only serves acceptance: stop at its first unconfident token.
    const stopAtUnconfident = this.canAcceptPath && this.width === 1;
    const lastStep = stopAtUnconfident ? Math.min(thoughts, this.maxNewTokens - this.generated.length) : thoughts;
    // Soft thoughts mix the perturbed step-0 distribution's top tokens.
    let softTop = config.useTokens ? undefined : backend.topK(paths.steps[0]!, this.topK);
    for (let t = 1; t < lastStep; t++) {
      if (this.aborted()) return false;
      const input = config.useTokens ? this.tokenInput(paths.tokens[t - 1]!) : await this.softThoughtInput(softTop!);
      const logits = await this.batch.forward(input);
      paths.steps.push(logits);
      const greedy = backend.greedyLogProbs(logits);
      paths.tokens.push(greedy.indices);
      paths.logProbs.push(greedy.values);
      accumulatePathLogLikelihood(paths.rawScores, greedy.values);
      if (!config.useTokens && t + 1 < thoughts) {
        backend.logSoftmax(logits);
        softTop = backend.topK(logits, this.topK);
      }
      if (stopAtUnconfident && greedy.values[0]! < config.pathAcceptanceLogProb) break;
    }
    return true;
  }

  /** Scoring, selection, fusion, and the token to commit. */
  private decide(paths: ThinkerPaths): Decision {
    const { backend, config, width: rows } = this;
    const logits0 = paths.steps[0]!;
    const quality = config.pathScoring === 'original' ? originalPathQuality(backend, paths.steps, paths.tokens, rows) : paths.rawScores;
    const cosine = rows > 1 && config.diversityWeight >= MIN_DIVERSITY_WEIGHT ? backend.probabilityCosineSimilarity(logits0) : undefined;
    const selection = selectThinkers(quality, cosine, config.diversityWeight, config.topkThinkers);
    const weights = fusionWeights(selection.combined, selection.selected);
    if (paths.greedyToken !== undefined) return { quality, selection, weights, token: paths.greedyToken, winner: selection.selected[0]! };
    backend.mixLogProbs(logits0, selection.selected, weights, this.fused);
    this.processors.apply(this.fused, this.history);
    const token = this.options.doSample ? sampleFromScores(this.fused, this.sampler.next()) : argmaxOf(this.fused);
    return { quality, selection, weights, token, winner: selection.selected[0]! };
  }

  /** Commits the token, plus (path acceptance) the winner's confident verified continuation. */
  private commit(decision: Decision, paths: ThinkerPaths, iteration: number): { accepted: number[]; stopReason?: StopReason } {
    const { token, winner } = decision;
    const committed = [token];
    if (this.followsWinnerPath(decision, paths)) {
      for (let t = 1; t < paths.tokens.length; t++) {
        if (paths.logProbs[t]![winner]! < this.config.pathAcceptanceLogProb) break;
        committed.push(paths.tokens[t]![winner]!);
      }
    }
    const accepted: number[] = [];
    for (const id of committed) {
      accepted.push(id);
      this.generated.push(id);
      this.history.push(id);
      this.options.onToken?.({ tokenId: id, index: this.generated.length - 1, iteration });
      const stopReason = this.stop.check(this.generated) ?? (this.history.length >= this.maxTotalLength ? 'max-length' : undefined);
      if (stopReason) return { accepted, stopReason };
    }
    return { accepted };
  }

  private followsWinnerPath(decision: Decision, paths: ThinkerPaths): boolean {
    return this.canAcceptPath && decision.token === paths.tokens[0]![decision.winner];
  }

  /**
   * The cache follows the winner and keeps exactly the committed prefix, in `nextWidth` rows. When the
   * winner's lookahead already fed the last accepted token (path acceptance), its cache holds the whole
   * committed prefix and its next step's logits are the next distribution: they are returned, and no feed is needed.
   */
  private async followWinner(
    decision: Decision,
    paths: ThinkerPaths,
    committedLength: number,
    acceptedCount: number,
    stopReason: StopReason | undefined,
    nextWidth: number,
  ): Promise<Tensor | undefined> {
    const { width: rows, batch } = this;
    const m = acceptedCount;
    const reuse = this.followsWinnerPath(decision, paths) && !stopReason && m < paths.steps.length;
    const keptLength = committedLength + m - (reuse ? 0 : 1);
    await batch.truncate(keptLength);
    if (rows > 1) {
      if (this.mergesKv) await batch.mergeRows(decision.selection.selected, decision.weights);
      else await batch.selectRows(new Int32Array(nextWidth).fill(decision.winner));
      this.width = nextWidth;
    }
    let next: Tensor | undefined;
    if (reuse) {
      const step = paths.steps[m]!;
      next = rows === 1 ? step : this.backend.gatherRows(step, new Int32Array(nextWidth).fill(decision.winner));
      batch.adopt(next);
    }
    for (const t of paths.steps) if (t !== next) batch.release(t);
    return next;
  }


  /**
   * Brings every thinker back after narrowing: the lone row's last committed token is rolled back and
   * fed again to all rows (with each thinker's noise), as after any wide iteration. Returns the step-0 logits.
   */
  private async widen(): Promise<Tensor> {
    const last = this.batch.length - 1;
    await this.batch.truncate(last);
    await this.batch.selectRows(new Int32Array(this.rows));
    this.width = this.rows;
    return this.feed(Int32Array.of(this.history[last]!), last);
  }

  /**
   * Feeds `tokens` (the same for every row) at `position`, with exact embedding noise for thinkers ≥ 1
   * when the model takes embeddings. Returns the next step-0 logits.
   */
  private async feed(tokens: Int32Array, position: number): Promise<Tensor> {
    const { width: rows, config, model } = this;
    if (rows > 1 && config.noiseScale > 0 && model.info.embeddingSize !== undefined) {
      const single = await this.batch.timed(() => model.embedTokens!(tokens));
      const width = model.info.embeddingSize;
      if (single.length !== tokens.length * width) {
        throw new ModelError(`embedTokens returned ${single.length} values, expected ${tokens.length} × ${width}.`);
      }
      const embeddings = new Float32Array(rows * single.length);
      for (let r = 0; r < rows; r++) embeddings.set(single, r * single.length);
      applyEmbeddingNoise(embeddings, rows, tokens.length, position, config.noiseScale, config.seed);
      return this.batch.forward({ kind: 'embeddings', embeddings, tokensPerRow: tokens.length });
    }
    return this.batch.forwardShared(tokens);
  }

  private tokenInput(tokens: Int32Array): StepInput {
    return { kind: 'tokens', tokens, tokensPerRow: 1 };
  }

  /** Soft thought: each row's input is the probability-weighted mix of its top-k token embeddings. */
  private async softThoughtInput(top: { indices: Int32Array; values: Float32Array }): Promise<StepInput> {
    const { width: rows, model, topK: k } = this;
    const width = model.info.embeddingSize!;
    const tokenEmbeddings = await this.batch.timed(() => model.embedTokens!(top.indices));
    const embeddings = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) {
      let total = 0;
      for (let j = 0; j < k; j++) total += Math.exp(top.values[r * k + j]!);
      for (let j = 0; j < k; j++) {
        const w = Math.exp(top.values[r * k + j]!) / total;
        const offset = (r * k + j) * width;
        for (let h = 0; h < width; h++) embeddings[r * width + h]! += w * tokenEmbeddings[offset + h]!;
      }
    }
    return { kind: 'embeddings', embeddings, tokensPerRow: 1 };
  }

  private aborted(): boolean {
    return this.batch.aborted;
  }
}
