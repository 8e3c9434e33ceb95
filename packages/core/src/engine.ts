import { acceptanceRate, uncertainty } from './uncertainty.js';
import { adaptAcceptanceThreshold } from './acceptance-threshold.js';
import { callbackStream } from './callback-stream.js';
import { effectiveThoughts, type ReasonFlowConfig, type ReasonFlowConfigInput, resolveConfig } from './config.js';
import { applyEmbeddingNoise, gumbelSubstitute } from './embedding-noise.js';
import { ConfigError, ContextLengthError, ModelError, UnsupportedFeatureError } from './errors.js';
import { fusionWeights } from './fusion.js';
import { type GenerateOptionsInput, resolveGenerateOptions } from './generate-options.js';
import { LogitsProcessorChain, type SamplingOptions } from './logits-processors.js';
import { checkGenerationMemory, DEFAULT_MEMORY_LIMIT_BYTES, validateMemoryLimit } from './memory-estimate.js';
import type { DecoderModel, DecoderSequence, StepInput } from './model.js';
import { accumulatePathLogLikelihood, originalPathQuality } from './path-scoring.js';
import { perturbThinker, perturbedArgmaxPosition, type Perturbation } from './perturbation.js';
import { SeededRandom } from './random.js';
import { ReferenceBackend } from './reference-backend.js';
import { argmaxOf, sampleFromScores } from './sampling.js';
import { selectThinkers } from './selection.js';
import { StopChecker, type StopReason } from './stop-conditions.js';
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
  /** Default: a new ReferenceBackend. */
  backend?: TensorBackend;
  /**
   * Largest estimated memory (KV cache + logits) one generation may need; larger settings are refused
   * before allocating. Default `DEFAULT_MEMORY_LIMIT_BYTES` (8 GiB); `Infinity` turns the check off.
   */
  memoryLimitBytes?: number;
}

const DEFAULT_MAX_NEW_TOKENS = 128;

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

  constructor(
    readonly model: DecoderModel,
    options: EngineOptions = {},
  ) {
    this.config = resolveConfig(options.config ?? {});
    this.backend = options.backend ?? new ReferenceBackend();
    this.memoryLimitBytes = validateMemoryLimit(options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES);
    if (!this.config.useTokens && model.info.embeddingSize === undefined) {
      throw new UnsupportedFeatureError(
        'Soft thoughts (useTokens: false)',
        'the model has no inputs_embeds graph; use useTokens: true or a model exported with embeddings',
      );
    }
  }

  /** Generates from `promptIds`; resolves when a stop condition (or the abort signal) ends it. */
  async generate(promptIds: readonly number[], options: GenerateOptionsInput = {}): Promise<GenerationResult> {
    const run = new GenerationRun(this.model, this.config, this.backend, promptIds, options, this.memoryLimitBytes);
    return run.execute();
  }

  /**
   * Streams committed tokens. The iterator's return value is the GenerationResult; leaving the loop
   * early aborts the generation and releases everything.
   */
  stream(
    promptIds: readonly number[],
    options: Omit<GenerateOptionsInput, 'onToken'> = {},
  ): AsyncGenerator<CommittedToken, GenerationResult, undefined> {
    return callbackStream(
      (onToken, signal) => this.generate(promptIds, { ...options, signal, onToken }),
      options.signal,
    );
  }
}

/** One generation's state; lives only for the duration of `execute`. */
class GenerationRun {
  private readonly thoughts: number;
  private readonly rows: number;
  private readonly vocab: number;
  private readonly promptLength: number;
  private readonly maxTotalLength: number;
  private readonly maxNewTokens: number;
  private readonly stop: StopChecker;
  private readonly processors: LogitsProcessorChain;
  private readonly sampler: SeededRandom;
  private readonly history: number[];
  private readonly generated: number[] = [];
  private readonly summary: number[][] = [];
  private readonly fused: Float32Array;
  private readonly live = new Set<Tensor>();
  private readonly options: GenerateOptions;
  private sequence: DecoderSequence | undefined;
  private modelTime = 0;
  private forwardSteps = 0;
  private rowsComputed = 0;
  private iterations = 0;

  constructor(
    private readonly model: DecoderModel,
    private readonly config: ReasonFlowConfig,
    private readonly backend: TensorBackend,
    promptIds: readonly number[],
    rawOptions: GenerateOptionsInput,
    memoryLimitBytes: number,
  ) {
    const { vocabSize, maxSequenceLength } = model.info;
    this.vocab = vocabSize;
    this.rows = config.numOfThinkers;
    this.thoughts = effectiveThoughts(config);
    const options = resolveGenerateOptions(rawOptions);
    this.options = options;
    const maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
    if (!Array.isArray(promptIds)) throw new ConfigError('promptIds', promptIds, 'an array of token ids');
    if (promptIds.length === 0) throw new ConfigError('promptIds', '[]', 'at least one token');
    for (const id of promptIds) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new ConfigError('promptIds', id, `token ids in [0, ${vocabSize})`);
      }
    }
    if (promptIds.length + 1 > maxSequenceLength) {
      throw new ContextLengthError(promptIds.length + 1, maxSequenceLength, `prompt of ${promptIds.length} tokens plus one new token`);
    }
    if (options.stopStrings?.length && !options.decode) {
      throw new ConfigError('decode', undefined, 'a decode function when stopStrings are given');
    }
    checkGenerationMemory(
      model.info,
      { rows: this.rows, thoughts: this.thoughts, promptLength: promptIds.length, maxNewTokens },
      memoryLimitBytes,
    );
    this.promptLength = promptIds.length;
    this.history = [...promptIds];
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
  }

  async execute(): Promise<GenerationResult> {
    const started = performance.now();
    let stopReason: StopReason | undefined;
    try {
      this.sequence = await this.timed(() => this.model.startSequence({ rows: this.rows, backend: this.backend }));
      if (this.config.kvMerge === 'mean' && this.config.topkThinkers > 1 && !this.sequence.mergeRows) {
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
      for (const t of this.live) this.backend.dispose(t);
      this.live.clear();
      await this.sequence?.dispose();
    }
    const totalTimeMs = performance.now() - started;
    return {
      tokenIds: this.generated,
      bestThinkersSummary: this.summary,
      stopReason,
      stats: {
        promptTokens: this.promptLength,
        tokensCommitted: this.generated.length,
        iterations: this.iterations,
        forwardSteps: this.forwardSteps,
        rowsComputed: this.rowsComputed,
        modelTimeMs: this.modelTime,
        engineTimeMs: totalTimeMs - this.modelTime,
        totalTimeMs,
        backend: this.backend.name,
      },
    };
  }

  private previousAcceptanceRate: number | undefined;
  private previousUncertainty: number | undefined;

  /** One ReasonFlow iteration starting from the step-0 logits `logits0` (owned, disposed here). */
  private async iterate(logits0: Tensor): Promise<{ stopReason?: StopReason; next?: Tensor }> {
    const { backend, config, rows } = this;
    const seq = this.sequence!;
    const iteration = this.iterations;
    const committedLength = seq.length;
    const temperatures = scheduleTemperatures(config, iteration, this.previousAcceptanceRate);
    const threshold = adaptAcceptanceThreshold(config, iteration, this.previousUncertainty, this.previousAcceptanceRate);
    // Lookahead must fit the context: steps 1..T-1 write positions committedLength..+T-2.
    const thoughts = Math.max(1, Math.min(this.thoughts, this.model.info.maxSequenceLength - committedLength + 1));

    // Step 0: noise substitute, log-softmax, perturbation of thinkers ≥ 1.
    if (rows > 1 && config.noiseScale > 0 && this.model.info.embeddingSize === undefined) {
      const { scales, seeds } = gumbelSubstitute(rows, committedLength, config.noiseScale, config.seed);
      backend.addGumbelNoise(logits0, scales, seeds);
    }
    backend.logSoftmax(logits0);
    const k = Math.min(Math.max(2, rows, this.config.useTokens ? 0 : config.softThoughtTopK), this.vocab);
    const top = backend.topK(logits0, k);
    const pathTokens: Int32Array[] = [new Int32Array(rows)];
    const pathLogProbs: Float32Array[] = [new Float32Array(rows)];
    const perturbations: (Perturbation | undefined)[] = [];
    const top1 = new Float32Array(rows);
    const top2 = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const values = top.values.subarray(r * k, r * k + k);
      const indices = top.indices.subarray(r * k, r * k + k);
      top1[r] = values[0]!;
      top2[r] = k > 1 ? values[1]! : Number.NEGATIVE_INFINITY;
      const p = r > 0 ? perturbThinker(r, values, indices, threshold, temperatures[0], temperatures[1]) : undefined;
      perturbations.push(p);
      const position = perturbedArgmaxPosition(r, values, p);
      pathTokens[0]![r] = indices[position]!;
      pathLogProbs[0]![r] = values[position]!;
    }
    this.applyPerturbations(logits0, perturbations);
    // Soft thoughts mix the perturbed step-0 distribution's top tokens.
    const softTop = config.useTokens ? undefined : backend.topK(logits0, k);
    const rawScores = new Float64Array(rows);
    accumulatePathLogLikelihood(rawScores, pathLogProbs[0]!);

    // Lookahead steps 1..T-1, batched over the rows. Step tensors stay alive until the commit: the
    // original's scoring reads them, and path acceptance reuses the winner's last accepted step.
    const canAcceptPath =
      config.pathAcceptance && config.useTokens && !(config.kvMerge === 'mean' && config.topkThinkers > 1);
    // A lone thinker's lookahead only serves acceptance: stop at its first unconfident token.
    const stopAtUnconfident = canAcceptPath && rows === 1;
    const steps: Tensor[] = [logits0];
    let softTopPrevious = softTop;
    const lastStep = stopAtUnconfident ? Math.min(thoughts, this.maxNewTokens - this.generated.length) : thoughts;
    for (let t = 1; t < lastStep; t++) {
      if (this.aborted()) return { stopReason: 'aborted' };
      const input = config.useTokens
        ? this.tokenInput(pathTokens[t - 1]!)
        : await this.softThoughtInput(softTopPrevious!, k);
      const logits = await this.forward(input);
      steps.push(logits);
      const greedy = backend.greedyLogProbs(logits);
      pathTokens.push(greedy.indices);
      pathLogProbs.push(greedy.values);
      accumulatePathLogLikelihood(rawScores, greedy.values);
      if (!config.useTokens && t + 1 < thoughts) {
        backend.logSoftmax(logits);
        softTopPrevious = backend.topK(logits, k);
      }
      if (stopAtUnconfident && greedy.values[0]! < config.pathAcceptanceLogProb) break;
    }

    // Scoring, selection, fusion.
    const quality =
      config.pathScoring === 'original' ? originalPathQuality(backend, steps, pathTokens, rows) : rawScores;
    const cosine =
      rows > 1 && config.diversityWeight >= 0.001 ? backend.probabilityCosineSimilarity(logits0) : undefined;
    const selection = selectThinkers(quality, cosine, config.diversityWeight, config.topkThinkers);
    const weights = fusionWeights(selection.combined, selection.selected);
    backend.mixLogProbs(logits0, selection.selected, weights, this.fused);
    this.processors.apply(this.fused, this.history);
    const token = this.options.doSample ? sampleFromScores(this.fused, this.sampler.next()) : argmaxOf(this.fused);

    // Commit: the token, plus (path acceptance) the winner's confident verified continuation.
    const winner = selection.selected[0]!;
    const committed = [token];
    const followsWinner = canAcceptPath && token === pathTokens[0]![winner];
    if (followsWinner) {
      for (let t = 1; t < pathTokens.length; t++) {
        if (pathLogProbs[t]![winner]! < config.pathAcceptanceLogProb) break;
        committed.push(pathTokens[t]![winner]!);
      }
    }
    let stopReason: StopReason | undefined;
    const accepted: number[] = [];
    for (const id of committed) {
      accepted.push(id);
      this.generated.push(id);
      this.history.push(id);
      this.options.onToken?.({ tokenId: id, index: this.generated.length - 1, iteration });
      stopReason = this.stop.check(this.generated);
      if (stopReason) break;
      if (this.history.length >= this.maxTotalLength) {
        stopReason = 'max-length';
        break;
      }
    }

    // The cache follows the winner and keeps exactly the committed prefix. When the winner's
    // lookahead already fed the last accepted token (path acceptance), its cache holds the whole
    // committed prefix and its next step's logits are the next distribution: no feed is needed.
    const m = accepted.length;
    const reuse = followsWinner && !stopReason && m < steps.length;
    const keptLength = committedLength + m - (reuse ? 0 : 1);
    await this.timed(() => seq.truncate(keptLength));
    if (rows > 1) {
      if (config.kvMerge === 'mean' && config.topkThinkers > 1) {
        await this.timed(() => seq.mergeRows!(selection.selected, weights));
      } else {
        await this.timed(() => seq.selectRows(new Int32Array(rows).fill(winner)));
      }
    }
    let next: Tensor | undefined;
    if (reuse) {
      next = rows === 1 ? steps[m]! : backend.gatherRows(steps[m]!, new Int32Array(rows).fill(winner));
      this.live.add(next);
    }
    for (const t of steps) if (t !== next) this.release(t);

    const currentUncertainty = uncertainty(top1, top2);
    const rate = acceptanceRate(selection.combined, selection.selected, threshold);
    this.previousUncertainty = currentUncertainty;
    this.previousAcceptanceRate = rate;
    this.iterations++;
    this.summary.push(Array.from(selection.selected));

    if (!stopReason && !next) {
      if (this.aborted()) stopReason = 'aborted';
      else next = await this.feed(Int32Array.of(accepted[m - 1]!), keptLength);
    }
    this.options.onIteration?.({
      iteration,
      thinkers: Array.from({ length: rows }, (_, r) => ({
        row: r,
        pathTokens: pathTokens.map((step) => step[r]!),
        pathLogProbs: pathLogProbs.map((step) => step[r]!),
        rawQuality: quality[r]!,
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
      cacheLength: seq.length,
    });
    return { stopReason, next };
  }

  /** Writes the perturbed entries of every thinker ≥ 1 into the step-0 log-probabilities. */
  private applyPerturbations(logProbs: Tensor, perturbations: readonly (Perturbation | undefined)[]): void {
    const edits = perturbations.filter((p): p is Perturbation => p !== undefined).length;
    if (edits === 0) return;
    const rowIds = new Int32Array(edits * 2);
    const columns = new Int32Array(edits * 2);
    const values = new Float32Array(edits * 2);
    const shifts = new Float32Array(this.rows);
    let e = 0;
    perturbations.forEach((p, r) => {
      if (!p) return;
      for (let j = 0; j < 2; j++) {
        rowIds[e] = r;
        columns[e] = p.columns[j]!;
        values[e] = p.logValues[j]!;
        e++;
      }
      shifts[r] = p.shift;
    });
    this.backend.setElements(logProbs, rowIds, columns, values);
    this.backend.shiftRows(logProbs, shifts);
  }

  /**
   * Feeds `tokens` (the same for every row) at `position`, with exact embedding noise for thinkers ≥ 1
   * when the model takes embeddings. Returns the next step-0 logits.
   */
  private async feed(tokens: Int32Array, position: number): Promise<Tensor> {
    const { rows, config, model } = this;
    if (rows > 1 && config.noiseScale > 0 && model.info.embeddingSize !== undefined) {
      const single = await this.timed(() => model.embedTokens!(tokens));
      const width = model.info.embeddingSize;
      if (single.length !== tokens.length * width) {
        throw new ModelError(`embedTokens returned ${single.length} values, expected ${tokens.length} × ${width}.`);
      }
      const embeddings = new Float32Array(rows * single.length);
      for (let r = 0; r < rows; r++) embeddings.set(single, r * single.length);
      applyEmbeddingNoise(embeddings, rows, tokens.length, position, config.noiseScale, config.seed);
      return this.forward({ kind: 'embeddings', embeddings, tokensPerRow: tokens.length });
    }
    const all = new Int32Array(rows * tokens.length);
    for (let r = 0; r < rows; r++) all.set(tokens, r * tokens.length);
    return this.forward({ kind: 'tokens', tokens: all, tokensPerRow: tokens.length });
  }

  private tokenInput(tokens: Int32Array): StepInput {
    return { kind: 'tokens', tokens, tokensPerRow: 1 };
  }

  /** Soft thought: each row's input is the probability-weighted mix of its top-k token embeddings. */
  private async softThoughtInput(top: { indices: Int32Array; values: Float32Array }, k: number): Promise<StepInput> {
    const { rows, model } = this;
    const width = model.info.embeddingSize!;
    const tokenEmbeddings = await this.timed(() => model.embedTokens!(top.indices));
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

  private async forward(input: StepInput): Promise<Tensor> {
    const seq = this.sequence!;
    const logits = await this.timed(() => seq.forward(input));
    this.live.add(logits);
    this.forwardSteps++;
    this.rowsComputed += this.rows * input.tokensPerRow;
    const [r, v] = logits.dims;
    if (r !== this.rows || v !== this.vocab) {
      throw new ModelError(`Model returned logits of shape [${r}, ${v}], expected [${this.rows}, ${this.vocab}].`);
    }
    return logits;
  }

  private release(tensor: Tensor): void {
    this.backend.dispose(tensor);
    this.live.delete(tensor);
  }

  private aborted(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  private async timed<T>(work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.modelTime += performance.now() - start;
    }
  }
}
