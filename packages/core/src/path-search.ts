import { adaptAcceptanceThreshold } from './acceptance-threshold.js';
import { effectiveThoughts, type ReasonFlowConfig, type ReasonFlowConfigInput, resolveConfig } from './config.js';
import { gumbelSubstitute } from './embedding-noise.js';
import type { CommittedToken, IterationReport } from './engine.js';
import { duplicatePathShare, pathsAgree } from './engine.js';
import { ConfigError, UnsupportedFeatureError } from './errors.js';
import { checkPromptIds, type PromptIds } from './prompt-ids.js';
import { fusionWeights } from './fusion.js';
import { type GenerateOptionsInput, resolveGenerateOptions } from './generate-options.js';
import { LogitsProcessorChain } from './logits-processors.js';
import type { PathRowRequest, PathRowResult, PathSource, TopLogProbs } from './path-source.js';
import { accumulatePathLogLikelihood } from './path-scoring.js';
import { applyPerturbations, type Perturbation, perturbedArgmaxPosition, perturbThinker } from './perturbation.js';
import { gumbelQuantile, mixSeeds, SeededRandom } from './random.js';
import { ReferenceBackend } from './reference-backend.js';
import { MIN_DIVERSITY_WEIGHT, selectThinkers } from './selection.js';
import { argmaxOf, sampleFromScores } from './sampling.js';
import { StopChecker, type StopReason } from './stop-conditions.js';
import { scheduleTemperatures } from './temperature-schedule.js';
import type { Tensor, TensorBackend } from './tensor-backend.js';
import { isCertified, type TopKColumns, topKColumns } from './top-k-distribution.js';
import { acceptanceRate, uncertainty } from './uncertainty.js';

const DEFAULT_MAX_NEW_TOKENS = 128;

export interface PathGenerationStats {
  readonly promptTokens: number;
  readonly tokensCommitted: number;
  readonly iterations: number;
  /** `PathSource.extend` calls: one per iteration, two when the fused token left every thinker's path. */
  readonly roundTrips: number;
  /** Σ rows over every `extend` call. */
  readonly rowsRequested: number;
  /** Σ tokens the source generated (every thinker's lookahead). */
  readonly tokensGenerated: number;
  /** Fused decisions made from top-k distributions. */
  readonly decisions: number;
  /**
   * Decisions whose fused argmax could change if the unseen tail mass (1 − Σ top-k) sat on one
   * unseen token: the measured cost of fusing top-k log-probabilities instead of the full vocabulary.
   */
  readonly uncertifiedDecisions: number;
  /** Time awaiting the source, ms. */
  readonly sourceTimeMs: number;
  readonly engineTimeMs: number;
  readonly totalTimeMs: number;
  readonly source: string;
  readonly duplicatePathShare: number;
}

export interface PathGenerationResult {
  readonly tokenIds: number[];
  readonly bestThinkersSummary: number[][];
  readonly stopReason: StopReason;
  readonly stats: PathGenerationStats;
}

export interface PathSearchOptions {
  config?: ReasonFlowConfigInput | ReasonFlowConfig;
  /** Works on the top-k columns (small tensors); default a new ReferenceBackend. */
  backend?: TensorBackend;
  /** Top log-probabilities asked per step (default: min(source.maxTopLogProbs, 20)). */
  topLogProbs?: number;
}

/** Default k: vLLM's default `--max-logprobs`. */
const DEFAULT_TOP_LOG_PROBS = 20;

/**
 * ReasonFlow over a PathSource: the local engine's iteration (noise substitute, per-thinker
 * perturbation, T-step lookahead, log-likelihood scoring, selection, fusion, path acceptance) with the
 * lookahead of all N thinkers asked for in one `extend` call, and every distribution known by its
 * top-k log-probabilities. With a top-k that covers the vocabulary, it commits the local engine's tokens.
 *
 * Differences, all refused with UnsupportedFeatureError rather than approximated silently: soft
 * thoughts (`useTokens: false`), `kvMerge: 'mean'` with K > 1 (a server cannot merge KV rows),
 * `pathScoring: 'original'` (needs full distributions), `branching` other than 'none'. Embedding
 * noise is replaced by the local engine's documented substitute for models without `inputs_embeds`:
 * seeded Gumbel noise on the step-0 log-probabilities of thinkers ≥ 1, applied here to the seen tokens
 * (unseen tokens keep their mass: exact when the top-k covers the vocabulary).
 */
export async function generateOverPaths(
  source: PathSource,
  promptIds: PromptIds,
  options: GenerateOptionsInput = {},
  searchOptions: PathSearchOptions = {},
): Promise<PathGenerationResult> {
  return new PathSearchRun(source, promptIds, options, searchOptions).execute();
}

/** One thinker's lookahead path in an iteration. */
interface ThinkerPath {
  readonly tokens: number[];
  readonly logProbs: number[];
  /** `after[m]`: the distribution after the first m path tokens (m ≥ 1), when the source returned it. */
  readonly after: (TopLogProbs | undefined)[];
}

class PathSearchRun {
  private readonly config: ReasonFlowConfig;
  private readonly backend: TensorBackend;
  /** Thinkers (N): the rows of a wide iteration. */
  private readonly rows: number;
  /** Rows this iteration asks for: N, or 1 while narrowed (`narrowWhenConfident`). */
  private width: number;
  private readonly canNarrow: boolean;
  private readonly thoughts: number;
  private readonly k: number;
  private readonly maxNewTokens: number;
  private readonly history: number[];
  private readonly generated: number[] = [];
  private readonly summary: number[][] = [];
  private readonly stop: StopChecker;
  private readonly processors: LogitsProcessorChain;
  private readonly sampler: SeededRandom;
  private readonly fused: Float32Array;
  private readonly options: ReturnType<typeof resolveGenerateOptions>;
  private readonly canAcceptPath: boolean;
  /** The distribution after the committed history, when an earlier answer already holds it. */
  private stepZero: TopLogProbs | undefined;
  private iterations = 0;
  private roundTrips = 0;
  private rowsRequested = 0;
  private tokensGenerated = 0;
  private decisions = 0;
  private uncertified = 0;
  private sourceTime = 0;
  private duplicateShareSum = 0;
  private previousAcceptanceRate: number | undefined;
  private previousUncertainty: number | undefined;

  constructor(
    private readonly source: PathSource,
    promptIds: PromptIds,
    rawOptions: GenerateOptionsInput,
    searchOptions: PathSearchOptions,
  ) {
    const config = resolveConfig(searchOptions.config ?? {});
    this.config = config;
    refuseInexpressible(config);
    this.backend = searchOptions.backend ?? new ReferenceBackend();
    this.rows = config.numOfThinkers;
    this.width = this.rows;
    this.thoughts = effectiveThoughts(config);
    this.options = resolveGenerateOptions(rawOptions);
    const { vocabSize, maxSequenceLength } = source;
    const k = searchOptions.topLogProbs ?? Math.min(source.maxTopLogProbs, DEFAULT_TOP_LOG_PROBS);
    // Thinker i perturbs with its (i+1)-th most probable token, so the top list must reach row N − 1.
    const least = Math.min(Math.max(2, this.rows), vocabSize);
    if (!Number.isInteger(k) || k < least || k > source.maxTopLogProbs) {
      throw new ConfigError('topLogProbs', k, `an integer in [${least}, ${source.maxTopLogProbs}] (at least max(2, numOfThinkers), at most the source's limit)`);
    }
    this.k = k;
    const prompt = checkPromptIds(promptIds, vocabSize, maxSequenceLength);
    if (this.options.stopStrings?.length && !this.options.decode) {
      throw new ConfigError('decode', undefined, 'a decode function when stopStrings are given');
    }
    this.maxNewTokens = this.options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
    this.history = prompt;
    this.canAcceptPath = config.pathAcceptance;
    this.canNarrow = config.narrowWhenConfident && this.canAcceptPath && this.rows > 1;
    this.stop = new StopChecker({
      eosTokenIds: this.options.eosTokenIds ?? source.eosTokenIds,
      maxNewTokens: this.maxNewTokens,
      stopStrings: this.options.stopStrings,
      decode: this.options.decode,
    });
    this.processors = new LogitsProcessorChain(vocabSize, this.options);
    this.sampler = new SeededRandom(this.options.samplingSeed ?? config.seed);
    this.fused = new Float32Array(vocabSize);
  }

  async execute(): Promise<PathGenerationResult> {
    const started = performance.now();
    let stopReason: StopReason | undefined;
    const signal = this.options.signal;
    try {
      while (stopReason === undefined) {
        if (signal?.aborted) stopReason = 'aborted';
        else stopReason = await this.iterate();
      }
    } catch (error) {
      // An abort surfaces from the source as a rejected request: the result keeps what was committed.
      if (!signal?.aborted) throw error;
      stopReason = 'aborted';
    }
    const totalTimeMs = performance.now() - started;
    return {
      tokenIds: this.generated,
      bestThinkersSummary: this.summary,
      stopReason,
      stats: {
        promptTokens: this.history.length - this.generated.length,
        tokensCommitted: this.generated.length,
        iterations: this.iterations,
        roundTrips: this.roundTrips,
        rowsRequested: this.rowsRequested,
        tokensGenerated: this.tokensGenerated,
        decisions: this.decisions,
        uncertifiedDecisions: this.uncertified,
        sourceTimeMs: this.sourceTime,
        engineTimeMs: totalTimeMs - this.sourceTime,
        totalTimeMs,
        source: this.source.name,
        duplicatePathShare: this.iterations > 0 ? this.duplicateShareSum / this.iterations : 0,
      },
    };
  }

  private async extend(rows: PathRowRequest[]): Promise<PathRowResult[]> {
    const start = performance.now();
    try {
      this.roundTrips++;
      this.rowsRequested += rows.length;
      const results = await this.source.extend(this.history, rows, { topLogProbs: this.k, signal: this.options.signal });
      for (const r of results) this.tokensGenerated += r.tokens.length;
      return results;
    } finally {
      this.sourceTime += performance.now() - start;
    }
  }

  private async iterate(): Promise<StopReason | undefined> {
    const { config } = this;
    const iteration = this.iterations;
    const committedLength = this.history.length;
    const temperatures = scheduleTemperatures(config, iteration, this.previousAcceptanceRate);
    const threshold = adaptAcceptanceThreshold(config, iteration, this.previousUncertainty, this.previousAcceptanceRate);
    // The local engine's context rule: lookahead steps 1..T−1 must fit.
    const thoughts = Math.max(1, Math.min(this.thoughts, this.source.maxSequenceLength - committedLength + 1));

    // Thinker 0 is clean (no noise, no perturbation): it can ask for its own step 0, which also
    // brings back the step-0 distribution when no earlier answer holds it.
    let leadPath: ThinkerPath | undefined;
    if (!this.stepZero) {
      const [lead] = await this.extend([{ forced: [], steps: thoughts, temperature: 0 }]);
      this.stepZero = lead!.top[0];
      leadPath = { tokens: [...lead!.tokens], logProbs: [...lead!.logProbs], after: [undefined, ...lead!.top.slice(1)] };
      if (this.options.signal?.aborted) return 'aborted';
    }
    const columns = topKColumns(this.stepZero!, this.source.vocabSize);
    let step0 = this.stepZeroTensor(columns, committedLength);
    try {
      let start = this.perturb(step0, columns, threshold, temperatures);
      if (this.width < this.rows && start.logProbs0[0]! < config.pathAcceptanceLogProb) {
        // Narrowed, the lone thinker goes on only while its next token is confident; otherwise every
        // thinker decides it (the distribution is known already: widening costs no round trip).
        this.width = this.rows;
        const wide = this.stepZeroTensor(columns, committedLength);
        this.backend.dispose(step0);
        step0 = wide;
        start = this.perturb(step0, columns, threshold, temperatures);
      }
      const rows = this.width;
      const { tokens0, logProbs0, perturbations, top1, top2 } = start;
      const paths = await this.lookahead(tokens0, logProbs0, thoughts, leadPath);
      const stepTokens = Array.from({ length: thoughts }, (_, t) => Int32Array.from(paths, (p) => p.tokens[t] ?? -1));
      const duplicates = duplicatePathShare(stepTokens, rows);
      this.duplicateShareSum += duplicates;

      // Step by step, as the local engine sums them (paths cut short by the context add nothing).
      const rawScores = new Float64Array(rows);
      for (let t = 0; t < thoughts; t++) accumulatePathLogLikelihood(rawScores, paths.map((p) => p.logProbs[t] ?? 0));
      const cosine = rows > 1 && config.diversityWeight >= MIN_DIVERSITY_WEIGHT ? this.backend.probabilityCosineSimilarity(step0) : undefined;
      const selection = selectThinkers(rawScores, cosine, config.diversityWeight, config.topkThinkers);
      const weights = fusionWeights(selection.combined, selection.selected);
      const token = this.fuse(step0, columns, selection.selected, weights);
      const winner = selection.selected[0]!;

      const committed = [token];
      if (this.canAcceptPath && token === paths[winner]!.tokens[0]) {
        const path = paths[winner]!;
        for (let t = 1; t < path.tokens.length; t++) {
          if (path.logProbs[t]! < config.pathAcceptanceLogProb) break;
          committed.push(path.tokens[t]!);
        }
      }
      let stopReason: StopReason | undefined;
      const accepted: number[] = [];
      for (const id of committed) {
        accepted.push(id);
        this.generated.push(id);
        this.history.push(id);
        this.options.onToken?.({ tokenId: id, index: this.generated.length - 1, iteration } satisfies CommittedToken);
        stopReason = this.stop.check(this.generated) ?? (this.history.length >= this.source.maxSequenceLength ? 'max-length' : undefined);
        if (stopReason) break;
      }
      this.stepZero = stopReason ? undefined : distributionAfter(paths, accepted);
      // The thinkers agreed on a path and all of it was accepted: one thinker goes on alone.
      if (this.canNarrow && rows > 1 && accepted.length === paths[winner]!.tokens.length && pathsAgree(stepTokens)) this.width = 1;

      const currentUncertainty = uncertainty(top1, top2);
      const rate = acceptanceRate(selection.combined, selection.selected, threshold);
      this.previousUncertainty = currentUncertainty;
      this.previousAcceptanceRate = rate;
      this.iterations++;
      this.summary.push(Array.from(selection.selected));
      this.options.onIteration?.({
        iteration,
        thinkers: paths.map((path, r) => ({
          row: r,
          pathTokens: path.tokens,
          pathLogProbs: path.logProbs,
          rawQuality: rawScores[r]!,
          quality: selection.quality[r]!,
          diversity: selection.diversity[r]!,
          combined: selection.combined[r]!,
          swapped: perturbations[r]?.swapped ?? false,
        })),
        selected: Array.from(selection.selected),
        fusionWeights: Array.from(weights),
        committed: accepted,
        temperatures,
        acceptanceThreshold: threshold,
        uncertainty: currentUncertainty,
        acceptanceRate: rate,
        cacheLength: this.history.length,
        duplicatePathShare: duplicates,
      } satisfies IterationReport);
      return stopReason;
    } finally {
      this.backend.dispose(step0);
    }
  }

  /** `[rows, width]` step-0 log-probabilities with the noise substitute on thinkers ≥ 1, renormalised. */
  private stepZeroTensor(columns: TopKColumns, committedLength: number): Tensor {
    const { width: rows, config } = this;
    const { width, ids } = columns;
    const data = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) {
      data.set(columns.logProbs, r * width);
      if (columns.hasTail) data[r * width + ids.length] = columns.tailLogProb;
    }
    if (rows > 1 && config.noiseScale > 0) {
      // The same counter-based Gumbel noise as the local substitute, keyed by token id (not column).
      const { scales, seeds } = gumbelSubstitute(rows, committedLength, config.noiseScale, config.seed);
      for (let r = 1; r < rows; r++) {
        for (let j = 0; j < ids.length; j++) {
          data[r * width + j] = data[r * width + j]! + scales[r]! * gumbelQuantile(mixSeeds(seeds[r]!, ids[j]!));
        }
      }
    }
    const tensor = this.backend.fromHost(data, [rows, width]);
    this.backend.logSoftmax(tensor);
    return tensor;
  }

  /** Each thinker's step-0 token: row 0 the argmax, rows ≥ 1 after the original's perturbation. */
  private perturb(step0: Tensor, columns: TopKColumns, threshold: number, temperatures: readonly [number, number]) {
    const { width: rows, backend } = this;
    const seen = columns.ids.length;
    const k = Math.min(Math.max(2, rows), seen);
    // The tail column is not a token: ask for one more and drop it.
    const top = backend.topK(step0, Math.min(columns.width, k + (columns.hasTail ? 1 : 0)));
    const stride = top.indices.length / rows;
    const tokens0 = new Int32Array(rows);
    const logProbs0 = new Float32Array(rows);
    const top1 = new Float32Array(rows);
    const top2 = new Float32Array(rows);
    const perturbations: (Perturbation | undefined)[] = [];
    for (let r = 0; r < rows; r++) {
      const indices: number[] = [];
      const values: number[] = [];
      for (let j = 0; j < stride && indices.length < k; j++) {
        const column = top.indices[r * stride + j]!;
        if (column >= seen) continue;
        indices.push(column);
        values.push(top.values[r * stride + j]!);
      }
      top1[r] = values[0]!;
      top2[r] = values.length > 1 ? values[1]! : Number.NEGATIVE_INFINITY;
      const p = r > 0 ? perturbThinker(r, values, indices, threshold, temperatures[0], temperatures[1]) : undefined;
      perturbations.push(p);
      const position = perturbedArgmaxPosition(r, values, p);
      tokens0[r] = columns.ids[indices[position]!]!;
      logProbs0[r] = values[position]!;
    }
    applyPerturbations(this.backend, step0, perturbations);
    return { tokens0, logProbs0, perturbations, top1, top2 };
  }

  /** Every thinker's path: step 0 chosen here, steps 1..T−1 from the source, all rows in one call. */
  private async lookahead(tokens0: Int32Array, logProbs0: Float32Array, thoughts: number, leadPath: ThinkerPath | undefined): Promise<ThinkerPath[]> {
    const paths: ThinkerPath[] = Array.from({ length: this.width }, (_, r) => ({
      tokens: [tokens0[r]!],
      logProbs: [logProbs0[r]!],
      after: [undefined],
    }));
    // Thinker 0's own answer already holds its lookahead (its step-0 token is the same argmax).
    const reuseLead = leadPath !== undefined && leadPath.tokens[0] === tokens0[0];
    const ask = paths.map((_, r) => r).filter((r) => thoughts > 1 && !(r === 0 && reuseLead));
    if (reuseLead) {
      paths[0]!.tokens.push(...leadPath.tokens.slice(1));
      paths[0]!.logProbs.push(...leadPath.logProbs.slice(1));
      paths[0]!.after.push(...leadPath.after.slice(1));
    }
    if (ask.length === 0) return paths;
    const results = await this.extend(ask.map((r) => ({ forced: [tokens0[r]!], steps: thoughts - 1, temperature: 0 })));
    ask.forEach((r, i) => {
      const result = results[i]!;
      const path = paths[r]!;
      path.tokens.push(...result.tokens);
      path.logProbs.push(...result.logProbs);
      path.after.push(...result.top);
    });
    return paths;
  }

  /** Fusion over the columns, the logits processors on the vocabulary, the commit rule, the certification. */
  private fuse(step0: Tensor, columns: TopKColumns, selected: Int32Array, weights: Float32Array): number {
    const mixed = new Float32Array(columns.width);
    this.backend.mixLogProbs(step0, selected, weights, mixed);
    this.fused.fill(Number.NEGATIVE_INFINITY);
    columns.ids.forEach((id, j) => {
      this.fused[id] = mixed[j]!;
    });
    this.processors.apply(this.fused, this.history);
    const best = argmaxOf(this.fused);
    const tailScore = columns.hasTail ? mixed[columns.ids.length]! : Number.NEGATIVE_INFINITY;
    this.decisions++;
    if (!isCertified(this.fused[best]!, tailScore, this.options.temperature ?? 1)) this.uncertified++;
    return this.options.doSample ? sampleFromScores(this.fused, this.sampler.next()) : best;
  }

}

/** The distribution after `accepted`, from any thinker whose path began with exactly those tokens. */
function distributionAfter(paths: readonly ThinkerPath[], accepted: readonly number[]): TopLogProbs | undefined {
  const m = accepted.length;
  for (const path of paths) {
    if (path.after[m] && accepted.every((id, i) => path.tokens[i] === id)) return path.after[m];
  }
  return undefined;
}

function refuseInexpressible(config: ReasonFlowConfig): void {
  if (!config.useTokens) {
    throw new UnsupportedFeatureError('Soft thoughts (useTokens: false)', 'a path source takes token ids, not embeddings');
  }
  if (config.kvMerge === 'mean' && config.topkThinkers > 1) {
    throw new UnsupportedFeatureError("kvMerge: 'mean'", "a path source cannot merge KV rows; use kvMerge: 'best-row'");
  }
  if (config.pathScoring === 'original') {
    throw new UnsupportedFeatureError("pathScoring: 'original'", 'it needs full distributions at every lookahead step; a path source returns top-k');
  }
  if (config.branching !== 'none') {
    throw new UnsupportedFeatureError(`branching: '${config.branching}'`, "not implemented over a path source yet; use branching: 'none'");
  }
}
