import type { ReasonFlowConfigInput } from '../config.js';
import type { EngineObserver } from '../engine-events.js';
import type { IterationReport } from '../engine.js';
import type { RowBatchStats } from '../row-batch.js';
import type { StopReason } from '../stop-conditions.js';
import type { TensorBackend } from '../tensor-backend.js';

/** Where a step ends: after a token id, after text ending with a string, or when the step's text matches a RegExp. */
export type StepDelimiter = number | string | RegExp;

/** One completed step of a particle, as a step scorer sees it. */
export interface StepToScore {
  /** Decoded text before the step (the prompt excluded; needs `decode`, else ''). */
  readonly prefixText: string;
  readonly stepText: string;
  /** Generated ids before the step (the prompt excluded). */
  readonly prefixIds: readonly number[];
  readonly stepIds: readonly number[];
  /** The model's log-probability of each step token (untempered). */
  readonly stepLogProbs: readonly number[];
  /** The particle's row. */
  readonly particle: number;
  /** True when the step ends the particle (EOS or length), not a delimiter. */
  readonly final: boolean;
}

/**
 * Scores a completed step as a log-weight: higher is better, `-Infinity` rejects the particle (it is
 * never returned and its row is refilled at the next resampling). Sync or async.
 */
export type StepScorer = (step: StepToScore) => number | Promise<number>;

/** A finished sample, as a best-of-N scorer sees it. */
export interface CandidateToScore {
  readonly tokenIds: readonly number[];
  /** Decoded text ('' without `decode`). */
  readonly text: string;
  readonly logProbs: readonly number[];
}

/** Scores a best-of-N candidate: the highest wins. Sync or async. */
export type CandidateScorer = (candidate: CandidateToScore) => number | Promise<number>;

/** Sampling of every multi-path strategy (applied with the LogitsProcessorChain). */
export interface SamplingSettings {
  /** Default 0.8 (the particle-filtering paper's). */
  temperature?: number;
  /** 0 = off (default). */
  topK?: number;
  /** 1 = off (default). */
  topP?: number;
  /** 0 = off (default). */
  minP?: number;
}

export interface GreedyStrategy {
  readonly kind: 'greedy';
}

export interface SamplingStrategy extends SamplingSettings {
  readonly kind: 'sampling';
}

export interface BestOfNStrategy extends SamplingSettings {
  readonly kind: 'best-of-n';
  /** Samples, drawn as rows of one batch. */
  n: number;
  /** Default: the candidate's mean log-probability. */
  scorer?: CandidateScorer;
}

export interface SelfConsistencyStrategy extends SamplingSettings {
  readonly kind: 'self-consistency';
  n: number;
}

export interface ReasonFlowStrategy {
  readonly kind: 'reasonflow';
  /** ReasonFlow's config (snake_case accepted), including `branching`. */
  config?: ReasonFlowConfigInput;
}

export interface GuidedSearchStrategy extends SamplingSettings {
  readonly kind: 'guided';
  /** Particles (batch rows). */
  particles: number;
  stepDelimiter: StepDelimiter;
  /** A step scorer, or `'verifier-free'`: the step's mean token log-probability under the model. */
  scoreStep: StepScorer | 'verifier-free';
  /** Resampling weights are softmax(score / weightTemperature); default 1 (0.2 for 'verifier-free'). */
  weightTemperature?: number;
  /** Times a round whose particles were all rejected is rolled back and sampled again (default 4). */
  maxRetries?: number;
}

export interface DeepConfStrategy extends SamplingSettings {
  readonly kind: 'deepconf';
  /** Traces run at once (batch rows). */
  rows: number;
  /** Traces run to completion to set the threshold (default: rows, one wave). */
  warmupTraces?: number;
  /** Share of warm-up traces the threshold keeps, in percent (default 90: threshold = 10th percentile). */
  keepPercent?: number;
  /** k of the token confidence −mean(top-k log-probs) (default min(20, vocab)). */
  confidenceTopK?: number;
  /** Window = one step; without it, a sliding window of `windowTokens`. */
  stepDelimiter?: StepDelimiter;
  /** Sliding window length when no step delimiter is given (default 16). */
  windowTokens?: number;
  /** Cap on row-positions computed (stats.rowsComputed), prompt included. Default rows × (prompt + 2 × maxNewTokens). */
  budget?: number;
  /** Stop once the leading answer holds this share of the weighted vote (after warm-up; default 0.95; 1 = off). */
  consensus?: number;
}

/** Every strategy a caller can run. */
export type Strategy =
  | GreedyStrategy
  | SamplingStrategy
  | BestOfNStrategy
  | SelfConsistencyStrategy
  | ReasonFlowStrategy
  | GuidedSearchStrategy
  | DeepConfStrategy;

export type StrategyKind = Strategy['kind'];

/** snake_case spellings accepted in strategy objects. */
export const SNAKE_CASE_STRATEGY_FIELDS = Object.freeze({
  top_k: 'topK',
  top_p: 'topP',
  min_p: 'minP',
  step_delimiter: 'stepDelimiter',
  score_step: 'scoreStep',
  weight_temperature: 'weightTemperature',
  max_retries: 'maxRetries',
  warmup_traces: 'warmupTraces',
  keep_percent: 'keepPercent',
  confidence_top_k: 'confidenceTopK',
  window_tokens: 'windowTokens',
} as const);

type Snake = typeof SNAKE_CASE_STRATEGY_FIELDS;
/** A strategy with its snake_case aliases allowed. */
type WithSnakeCase<S> = S & { [K in keyof Snake as Snake[K] extends keyof S ? K : never]?: S[Snake[K] & keyof S] };

/** What callers may pass: a strategy in camelCase or snake_case. */
export type StrategyInput =
  | GreedyStrategy
  | WithSnakeCase<SamplingStrategy>
  | WithSnakeCase<BestOfNStrategy>
  | WithSnakeCase<SelfConsistencyStrategy>
  | ReasonFlowStrategy
  | (Omit<WithSnakeCase<GuidedSearchStrategy>, 'stepDelimiter' | 'scoreStep'> &
      ({ stepDelimiter: StepDelimiter } | { step_delimiter: StepDelimiter }) &
      ({ scoreStep: GuidedSearchStrategy['scoreStep'] } | { score_step: GuidedSearchStrategy['scoreStep'] }))
  | WithSnakeCase<DeepConfStrategy>;

/** Options every strategy takes. */
export interface SearchOptions {
  /** Tokens per trace at most (default 128). */
  maxNewTokens?: number;
  /** Ids that end a trace (default: the model's). */
  eosTokenIds?: readonly number[];
  /** Turns ids into text: needed by extractAnswer, string/RegExp delimiters and scorers that read text. */
  decode?: (tokenIds: readonly number[]) => string;
  /** The final answer of a trace's text, or null when it has none (voting strategies need it). */
  extractAnswer?: (text: string) => string | null;
  /** Seed of every sampler (default 3407). */
  seed?: number;
  /** Stops between forward steps; the result holds what was committed, with stopReason 'aborted'. */
  signal?: AbortSignal;
  /** The final answer's tokens: live for greedy, sampling and ReasonFlow; replayed once chosen otherwise. */
  onToken?: (token: { readonly tokenId: number; readonly index: number }) => void;
  onIteration?: (event: SearchIteration) => void;
}

export type SearchOptionsInput = SearchOptions & {
  max_new_tokens?: number;
  eos_token_ids?: readonly number[];
  extract_answer?: SearchOptions['extractAnswer'];
};

/** Where the engine runs a strategy (as for `ReasonFlowEngine`). */
export interface SearchEngineOptions {
  backend?: TensorBackend;
  observer?: EngineObserver;
  /** Default 8 GiB (see `EngineOptions.memoryLimitBytes`). */
  memoryLimitBytes?: number;
}

/** Introspection events, one kind per strategy family. */
export type SearchIteration =
  /** One decode step of sampled traces: each row's token (-1 for an idle row). */
  | { readonly kind: 'step'; readonly step: number; readonly tokens: readonly number[] }
  /** A ReasonFlow iteration. */
  | { readonly kind: 'reasonflow'; readonly report: IterationReport }
  /** A guided-search resampling: row r continues particle `ancestors[r]`. */
  | {
      readonly kind: 'resample';
      readonly round: number;
      /** Normalised resampling weights of the live particles, by row (0 for rows that were not live). */
      readonly weights: readonly number[];
      readonly ancestors: readonly number[];
      /** Steps scored since the previous resampling (row, text, score). */
      readonly scored: readonly { readonly row: number; readonly stepText: string; readonly score: number }[];
      readonly finished: number;
    }
  /** A DeepConf wave ended. */
  | {
      readonly kind: 'wave';
      readonly wave: number;
      readonly warmup: boolean;
      /** Threshold in force (undefined during warm-up). */
      readonly threshold: number | undefined;
      readonly traces: readonly { readonly row: number; readonly lowestConfidence: number; readonly finish: CandidateFinish; readonly answer: string | null }[];
    };

/** How a candidate trace ended. */
export type CandidateFinish = StopReason | 'rejected' | 'low-confidence' | 'budget';

export interface SearchCandidate {
  readonly tokenIds: readonly number[];
  readonly text?: string;
  readonly answer: string | null;
  /** Its weight in the final choice (score for best-of-N, vote weight otherwise). */
  readonly weight: number;
  /** The model's mean log-probability of its tokens (untempered); NaN when unknown. */
  readonly meanLogProb: number;
  readonly finish: CandidateFinish;
  /** DeepConf: the lowest windowed confidence; guided search: the lowest step score. */
  readonly lowestScore?: number;
}

export type SearchStopReason = StopReason | 'rejected' | 'budget' | 'consensus';

export interface SearchStats extends RowBatchStats {
  readonly strategy: StrategyKind;
  readonly promptTokens: number;
  /** Tokens of the returned answer. */
  readonly tokensCommitted: number;
  /** Decode steps (ReasonFlow: iterations). */
  readonly iterations: number;
  /** Row-positions spent on live traces (rowsComputed less prompt copies and idle rows); ≤ rowsComputed. */
  readonly activeRowPositions: number;
  readonly scorerCalls: number;
  readonly scorerTimeMs: number;
  readonly engineTimeMs: number;
  readonly totalTimeMs: number;
  readonly backend: string;
  /** ReasonFlow: mean share of duplicate lookahead paths per iteration. */
  readonly duplicatePathShare?: number;
  /** Guided search: resamplings; DeepConf: waves. */
  readonly rounds?: number;
  /** Guided search: rounds rolled back and sampled again because every particle was rejected. */
  readonly retries?: number;
  /** DeepConf: traces stopped below the threshold. */
  readonly tracesStopped?: number;
  /** DeepConf: the threshold the warm-up set. */
  readonly threshold?: number;
}

/** What every strategy returns. */
export interface SearchResult {
  /** The chosen trace's ids (the prompt excluded). */
  readonly tokenIds: readonly number[];
  /** The chosen trace's text (with `decode`). */
  readonly text?: string;
  readonly answer: string | null;
  readonly candidates: readonly SearchCandidate[];
  readonly stopReason: SearchStopReason;
  readonly stats: SearchStats;
}
