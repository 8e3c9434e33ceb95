import { ConfigError } from '../errors.js';
import { validateSamplingOptions } from '../logits-processors.js';
import { resolveOptionNames } from '../option-names.js';
import { MAX_THINKERS, resolveConfig } from '../config.js';
import {
  SNAKE_CASE_STRATEGY_FIELDS,
  type SearchOptions,
  type SearchOptionsInput,
  type Strategy,
  type StrategyInput,
  type StrategyKind,
} from './types.js';

const SAMPLING = ['temperature', 'topK', 'topP', 'minP'];

/** The fields each strategy kind accepts (camelCase). */
const STRATEGY_FIELDS: Readonly<Record<StrategyKind, readonly string[]>> = {
  greedy: [],
  sampling: SAMPLING,
  'best-of-n': ['n', 'scorer', ...SAMPLING],
  'self-consistency': ['n', ...SAMPLING],
  reasonflow: ['config'],
  guided: ['particles', 'stepDelimiter', 'scoreStep', 'weightTemperature', 'maxRetries', ...SAMPLING],
  deepconf: ['rows', 'warmupTraces', 'keepPercent', 'confidenceTopK', 'stepDelimiter', 'windowTokens', 'budget', 'consensus', ...SAMPLING],
};

const SEARCH_OPTION_NAMES = ['maxNewTokens', 'eosTokenIds', 'decode', 'extractAnswer', 'seed', 'signal', 'onToken', 'onIteration'];
const SNAKE_CASE_SEARCH_OPTIONS = { max_new_tokens: 'maxNewTokens', eos_token_ids: 'eosTokenIds', extract_answer: 'extractAnswer' };

/**
 * Maps snake_case names and validates a strategy, so that a misspelt field or an out-of-range value
 * is a ConfigError naming the field, the value and the allowed range.
 */
export function resolveStrategy(input: StrategyInput | Readonly<Record<string, unknown>>): Strategy {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError('strategy', input, `a strategy object { kind: ${Object.keys(STRATEGY_FIELDS).map((k) => JSON.stringify(k)).join(' | ')}, ... }`);
  }
  const { kind, ...rest } = input as Record<string, unknown>;
  if (typeof kind !== 'string' || !Object.hasOwn(STRATEGY_FIELDS, kind)) {
    throw new ConfigError('kind', kind, `one of ${Object.keys(STRATEGY_FIELDS).map((k) => JSON.stringify(k)).join(', ')}`);
  }
  const fields = STRATEGY_FIELDS[kind as StrategyKind];
  const aliases = Object.fromEntries(Object.entries(SNAKE_CASE_STRATEGY_FIELDS).filter(([, camel]) => fields.includes(camel)));
  const { values } = resolveOptionNames(rest, new Set(fields), aliases, `${kind} strategy field`);
  const s = { kind, ...values } as Record<string, unknown>;
  validateSamplingOptions(s);
  switch (kind as StrategyKind) {
    case 'best-of-n':
      integerInRange('n', s.n, 1, MAX_THINKERS);
      optionalFunction('scorer', s.scorer);
      break;
    case 'self-consistency':
      integerInRange('n', s.n, 1, MAX_THINKERS);
      break;
    case 'reasonflow':
      s.config = resolveConfig((s.config ?? {}) as Record<string, unknown>);
      break;
    case 'guided':
      integerInRange('particles', s.particles, 1, MAX_THINKERS);
      requiredDelimiter(s.stepDelimiter);
      if (s.scoreStep !== 'verifier-free' && typeof s.scoreStep !== 'function') {
        throw new ConfigError('scoreStep', s.scoreStep, "a step scorer function or 'verifier-free'");
      }
      positiveNumber('weightTemperature', s.weightTemperature);
      if (s.maxRetries !== undefined) integerInRange('maxRetries', s.maxRetries, 0, 1000);
      break;
    case 'deepconf':
      integerInRange('rows', s.rows, 1, MAX_THINKERS);
      if (s.warmupTraces !== undefined) integerInRange('warmupTraces', s.warmupTraces, 1, Number.MAX_SAFE_INTEGER);
      if (s.keepPercent !== undefined && !(typeof s.keepPercent === 'number' && s.keepPercent > 0 && s.keepPercent <= 100)) {
        throw new ConfigError('keepPercent', s.keepPercent, 'a number in (0, 100]');
      }
      if (s.confidenceTopK !== undefined) integerInRange('confidenceTopK', s.confidenceTopK, 1, Number.MAX_SAFE_INTEGER);
      if (s.stepDelimiter !== undefined) requiredDelimiter(s.stepDelimiter);
      if (s.windowTokens !== undefined) integerInRange('windowTokens', s.windowTokens, 1, Number.MAX_SAFE_INTEGER);
      if (s.budget !== undefined) integerInRange('budget', s.budget, 1, Number.MAX_SAFE_INTEGER);
      if (s.consensus !== undefined && !(typeof s.consensus === 'number' && s.consensus > 0.5 && s.consensus <= 1)) {
        throw new ConfigError('consensus', s.consensus, 'a share in (0.5, 1] (1 = off)');
      }
      break;
    default:
      break;
  }
  return s as unknown as Strategy;
}

/** Validates the options every strategy takes (snake_case accepted, unknown names refused). */
export function resolveSearchOptions(input: SearchOptionsInput | Readonly<Record<string, unknown>> | undefined): SearchOptions {
  if (input === undefined) return {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError('options', input, 'a plain object of search options');
  }
  const { values } = resolveOptionNames(input as Record<string, unknown>, new Set(SEARCH_OPTION_NAMES), SNAKE_CASE_SEARCH_OPTIONS, 'search option');
  const o = values as SearchOptions & Record<string, unknown>;
  if (o.maxNewTokens !== undefined) integerInRange('maxNewTokens', o.maxNewTokens, 1, Number.MAX_SAFE_INTEGER);
  if (o.eosTokenIds !== undefined && !(Array.isArray(o.eosTokenIds) && o.eosTokenIds.every((id) => Number.isSafeInteger(id) && id >= 0))) {
    throw new ConfigError('eosTokenIds', o.eosTokenIds, 'an array of token ids (integers ≥ 0)');
  }
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) throw new ConfigError('seed', o.seed, 'a safe integer');
  if (o.signal !== undefined && !(typeof o.signal === 'object' && o.signal !== null && typeof (o.signal as AbortSignal).aborted === 'boolean')) {
    throw new ConfigError('signal', o.signal, 'an AbortSignal');
  }
  for (const name of ['decode', 'extractAnswer', 'onToken', 'onIteration'] as const) optionalFunction(name, o[name]);
  return o;
}

function integerInRange(field: string, value: unknown, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new ConfigError(field, value, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`);
  }
}

function positiveNumber(field: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new ConfigError(field, value, 'a finite number > 0');
  }
}

function optionalFunction(field: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new ConfigError(field, value, 'a function');
}

function requiredDelimiter(value: unknown): void {
  const ok = (Number.isSafeInteger(value) && (value as number) >= 0) || (typeof value === 'string' && value.length > 0) || value instanceof RegExp;
  if (!ok) throw new ConfigError('stepDelimiter', value, 'a token id (integer ≥ 0), a non-empty string or a RegExp');
}
