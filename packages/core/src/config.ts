import { ConfigError } from './errors.js';
import { resolveOptionNames } from './option-names.js';

/** How a lookahead path is scored for quality. */
export type PathScoring =
  /** Ours: the model's own log-likelihood of the tokens the path took (sum of log-probabilities). */
  | 'log-likelihood'
  /**
   * The original's formula, kept for comparison: minus the summed cross-entropy between each step's
   * probabilities (treated as logits) and the argmax two steps ahead.
   */
  | 'original';

/** How the kept KV cache is formed when several thinkers are fused (topkThinkers > 1). */
export type KvMerge =
  /** Ours (default): keep the best selected row's cache; every row continues from it. */
  | 'best-row'
  /** The original: the mean of the selected rows' caches (mixes states of different token histories). */
  | 'mean';

/** How thinkers ≥ 1 choose their step-0 token. */
export type Branching =
  /** The original: the perturbation (swap or temperature scaling) decides, so thinkers often agree. */
  | 'none'
  /** Thinker i takes the i-th most probable token: no two thinkers start alike. */
  | 'ranked'
  /** Thinkers ≥ 1 take tokens sampled without replacement (excluding the argmax, thinker 0's). */
  | 'sampled';

/** ReasonFlow's algorithm settings. Defaults are the original project's (see README). */
export interface ReasonFlowConfig {
  /** N parallel rows ("thinkers") in one batch. */
  numOfThinkers: number;
  /** T lookahead forward steps per iteration; forced to 1 when N = 1 unless path acceptance is on. */
  numOfThoughts: number;
  /** K thinkers whose next-token distributions are fused. */
  topkThinkers: number;
  /** Base threshold for the top-token swap and the acceptance rate. */
  acceptanceThreshold: number;
  /** [tLow, tHigh] used by the per-thinker perturbation. */
  temperatures: readonly [number, number];
  /** w in combined = (1 - w)·quality + w·diversity. */
  diversityWeight: number;
  minTemperature: number;
  maxTemperature: number;
  /** Enables the temperature schedule. */
  dynamicTemperature: boolean;
  /** Above it the acceptance threshold is relaxed. */
  uncertaintyThreshold: number;
  minAcceptanceThreshold: number;
  maxAcceptanceThreshold: number;
  /** Feed argmax tokens to the next lookahead step; false feeds "soft thoughts" (needs inputs_embeds). */
  useTokens: boolean;
  /** Scale of the input-embedding noise of thinkers 1..N-1. */
  noiseScale: number;
  /** Base seed; thinker i uses seed + 1000·i for its noise. */
  seed: number;
  /** Ours: how lookahead paths are scored. */
  pathScoring: PathScoring;
  /** Ours: how the kept cache is formed for topkThinkers > 1. */
  kvMerge: KvMerge;
  /**
   * Ours: commit the winner's verified lookahead prefix at once while each of its tokens has a
   * log-probability ≥ `pathAcceptanceLogProb`. Off by default (the original commits one token).
   */
  pathAcceptance: boolean;
  /** Log-probability threshold for path acceptance (default ln 0.9 ≈ -0.105). */
  pathAcceptanceLogProb: number;
  /**
   * Ours (needs `pathAcceptance`): after an iteration in which every thinker took the same path and the
   * whole lookahead was accepted, decode with one row while each token's log-probability stays ≥
   * `pathAcceptanceLogProb`; the first token below it brings all thinkers back, from that position.
   * Saves the rows that would only repeat the winner's path. Off by default.
   */
  narrowWhenConfident: boolean;
  /** Soft thoughts mix the embeddings of this many most probable tokens (renormalised). */
  softThoughtTopK: number;
  /** Ours: make thinkers start from distinct step-0 tokens (default 'none', the original). */
  branching: Branching;
}

export const DEFAULT_CONFIG: Readonly<ReasonFlowConfig> = Object.freeze({
  numOfThinkers: 1,
  numOfThoughts: 3,
  topkThinkers: 1,
  acceptanceThreshold: 0.5,
  temperatures: Object.freeze([0.7, 1.3]) as readonly [number, number],
  diversityWeight: 0.3,
  minTemperature: 0.5,
  maxTemperature: 1.5,
  dynamicTemperature: true,
  uncertaintyThreshold: 0.7,
  minAcceptanceThreshold: 0.3,
  maxAcceptanceThreshold: 0.8,
  useTokens: true,
  noiseScale: 1.0,
  seed: 3407,
  pathScoring: 'log-likelihood',
  kvMerge: 'best-row',
  pathAcceptance: false,
  pathAcceptanceLogProb: Math.log(0.9),
  narrowWhenConfident: false,
  softThoughtTopK: 16,
  branching: 'none',
});

/**
 * The original Python project's snake_case names and the camelCase fields they map to, so a Python
 * `ReasonFlowConfig` serialised as JSON is accepted as is.
 */
export const SNAKE_CASE_FIELDS = Object.freeze({
  num_of_thinkers: 'numOfThinkers',
  num_of_thoughts: 'numOfThoughts',
  topk_thinkers: 'topkThinkers',
  acceptance_threshold: 'acceptanceThreshold',
  temperatures: 'temperatures',
  diversity_weight: 'diversityWeight',
  min_temperature: 'minTemperature',
  max_temperature: 'maxTemperature',
  dynamic_temperature: 'dynamicTemperature',
  uncertainty_threshold: 'uncertaintyThreshold',
  min_acceptance_threshold: 'minAcceptanceThreshold',
  max_acceptance_threshold: 'maxAcceptanceThreshold',
  use_tokens: 'useTokens',
  noise_scale: 'noiseScale',
  seed: 'seed',
  path_scoring: 'pathScoring',
  kv_merge: 'kvMerge',
  path_acceptance: 'pathAcceptance',
  path_acceptance_log_prob: 'pathAcceptanceLogProb',
  narrow_when_confident: 'narrowWhenConfident',
  soft_thought_top_k: 'softThoughtTopK',
  branching: 'branching',
} as const satisfies Record<string, keyof ReasonFlowConfig>);

/** What callers may pass: any subset of the fields, in camelCase or the original's snake_case. */
export type ReasonFlowConfigInput = Partial<ReasonFlowConfig> & {
  [K in keyof typeof SNAKE_CASE_FIELDS]?: ReasonFlowConfig[(typeof SNAKE_CASE_FIELDS)[K]];
};

const CAMEL_FIELDS = new Set<string>(Object.keys(DEFAULT_CONFIG));

/**
 * Hard cap on thinkers: each is a batch row of KV cache and logits, and far fewer already exhaust any
 * device. The per-run memory estimate (see `estimateGenerationMemory`) bounds it further.
 */
export const MAX_THINKERS = 1024;

/**
 * Merges `input` over the defaults, maps snake_case names, and validates every field.
 * @throws ConfigError naming the first offending field, its value and the allowed range.
 */
export function resolveConfig(input: ReasonFlowConfigInput | Record<string, unknown> = {}): ReasonFlowConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError('config', input, 'a plain object of ReasonFlowConfig fields');
  }
  const { values, given } = resolveOptionNames(input, CAMEL_FIELDS, SNAKE_CASE_FIELDS, 'config field');
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG, ...values };
  const config = merged as unknown as ReasonFlowConfig;
  validateConfig(config, given);
  return Object.freeze({ ...config, temperatures: Object.freeze([...config.temperatures]) as readonly [number, number] });
}

/**
 * `given` holds the fields the caller set: when a relation between fields fails (min ≤ base ≤ max),
 * the error names the field the caller changed rather than a default it collided with.
 */
function validateConfig(c: ReasonFlowConfig, given: ReadonlySet<string>): void {
  const blame = (preferred: string, other: string) => (given.has(other) && !given.has(preferred) ? other : preferred);
  integerInRange('numOfThinkers', c.numOfThinkers, 1, MAX_THINKERS);
  integerAtLeast('numOfThoughts', c.numOfThoughts, 1);
  integerAtLeast('topkThinkers', c.topkThinkers, 1);
  if (c.topkThinkers > c.numOfThinkers) {
    throw new ConfigError('topkThinkers', c.topkThinkers, `an integer in [1, numOfThinkers=${c.numOfThinkers}]`);
  }
  unitInterval('minAcceptanceThreshold', c.minAcceptanceThreshold);
  unitInterval('maxAcceptanceThreshold', c.maxAcceptanceThreshold);
  unitInterval('acceptanceThreshold', c.acceptanceThreshold);
  const thresholds = `minAcceptanceThreshold ≤ acceptanceThreshold ≤ maxAcceptanceThreshold (got ${c.minAcceptanceThreshold} ≤ ${c.acceptanceThreshold} ≤ ${c.maxAcceptanceThreshold})`;
  if (c.minAcceptanceThreshold > c.acceptanceThreshold || c.minAcceptanceThreshold > c.maxAcceptanceThreshold) {
    const field = given.has('minAcceptanceThreshold') ? 'minAcceptanceThreshold' : blame('acceptanceThreshold', 'maxAcceptanceThreshold');
    throw new ConfigError(field, c[field as keyof ReasonFlowConfig], thresholds);
  }
  if (c.acceptanceThreshold > c.maxAcceptanceThreshold) {
    const field = blame('acceptanceThreshold', 'maxAcceptanceThreshold');
    throw new ConfigError(field, c[field as keyof ReasonFlowConfig], thresholds);
  }
  unitInterval('uncertaintyThreshold', c.uncertaintyThreshold);
  unitInterval('diversityWeight', c.diversityWeight);
  positive('minTemperature', c.minTemperature);
  positive('maxTemperature', c.maxTemperature);
  if (c.minTemperature > c.maxTemperature) {
    const field = blame('minTemperature', 'maxTemperature');
    throw new ConfigError(field, c[field as keyof ReasonFlowConfig], `minTemperature ≤ maxTemperature (got ${c.minTemperature} > ${c.maxTemperature})`);
  }
  const t = c.temperatures as unknown;
  if (!Array.isArray(t) || t.length !== 2 || !t.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
    throw new ConfigError('temperatures', t, 'a pair [tLow, tHigh] of finite numbers > 0');
  }
  if (t[0] > t[1]) throw new ConfigError('temperatures', t, 'tLow ≤ tHigh');
  boolean('dynamicTemperature', c.dynamicTemperature);
  boolean('useTokens', c.useTokens);
  boolean('pathAcceptance', c.pathAcceptance);
  if (typeof c.noiseScale !== 'number' || !Number.isFinite(c.noiseScale) || c.noiseScale < 0) {
    throw new ConfigError('noiseScale', c.noiseScale, 'a finite number ≥ 0');
  }
  if (!Number.isSafeInteger(c.seed)) throw new ConfigError('seed', c.seed, 'a safe integer');
  oneOf('pathScoring', c.pathScoring, ['log-likelihood', 'original']);
  oneOf('kvMerge', c.kvMerge, ['best-row', 'mean']);
  if (typeof c.pathAcceptanceLogProb !== 'number' || !(c.pathAcceptanceLogProb <= 0) || !Number.isFinite(c.pathAcceptanceLogProb)) {
    throw new ConfigError('pathAcceptanceLogProb', c.pathAcceptanceLogProb, 'a finite log-probability ≤ 0');
  }
  boolean('narrowWhenConfident', c.narrowWhenConfident);
  if (c.narrowWhenConfident && !c.pathAcceptance) {
    throw new ConfigError('narrowWhenConfident', true, 'pathAcceptance: true as well (narrowing decodes the accepted confident tokens with one row)');
  }
  integerAtLeast('softThoughtTopK', c.softThoughtTopK, 1);
  oneOf('branching', c.branching, ['none', 'ranked', 'sampled']);
}

function integerInRange(field: string, value: unknown, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new ConfigError(field, value, `an integer in [${min}, ${max}]`);
  }
}

function integerAtLeast(field: string, value: unknown, min: number): void {
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new ConfigError(field, value, `an integer ≥ ${min}`);
  }
}

function unitInterval(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(field, value, 'a finite number in [0, 1]');
  }
}

function positive(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(field, value, 'a finite number > 0');
  }
}

function boolean(field: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new ConfigError(field, value, 'a boolean');
}

function oneOf(field: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new ConfigError(field, value, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
}

/** Lookahead steps actually run: the original forces T = 1 for a single thinker (no alternatives to
 * compare); path acceptance keeps T because the lookahead is what it commits. */
export function effectiveThoughts(config: ReasonFlowConfig): number {
  return config.numOfThinkers === 1 && !config.pathAcceptance ? 1 : config.numOfThoughts;
}
