import type { GenerateOptions } from './engine.js';
import { ConfigError } from './errors.js';
import { validateSamplingOptions } from './logits-processors.js';
import { resolveOptionNames } from './option-names.js';

/** Every per-call option `ReasonFlowEngine#generate` knows, in camelCase. */
export const GENERATE_OPTION_NAMES: readonly (keyof GenerateOptions)[] = Object.freeze([
  'maxNewTokens',
  'eosTokenIds',
  'stopStrings',
  'decode',
  'doSample',
  'samplingSeed',
  'signal',
  'onToken',
  'onIteration',
  'repetitionPenalty',
  'temperature',
  'topK',
  'topP',
  'minP',
] as const);

/** Python / Hugging Face spellings of the per-call options, accepted as in `resolveConfig`. */
export const SNAKE_CASE_GENERATE_OPTIONS = Object.freeze({
  max_new_tokens: 'maxNewTokens',
  eos_token_ids: 'eosTokenIds',
  stop_strings: 'stopStrings',
  do_sample: 'doSample',
  sampling_seed: 'samplingSeed',
  repetition_penalty: 'repetitionPenalty',
  top_k: 'topK',
  top_p: 'topP',
  min_p: 'minP',
} as const satisfies Record<string, keyof GenerateOptions>);

/** What callers may pass per call: the options in camelCase or snake_case. */
export type GenerateOptionsInput = GenerateOptions & {
  [K in keyof typeof SNAKE_CASE_GENERATE_OPTIONS]?: GenerateOptions[(typeof SNAKE_CASE_GENERATE_OPTIONS)[K]];
};

/** Options a caller layered over the engine (e.g. the facade's `stream`) adds to the known names. */
export interface ExtraOptionNames {
  readonly names: readonly string[];
  readonly snakeAliases?: Readonly<Record<string, string>>;
}

/**
 * Maps snake_case names and validates every per-call option, so that a misspelt or mistyped option
 * is an error instead of being silently ignored. Extra names pass through unvalidated (their owner
 * checks them).
 * @throws ConfigError naming the option (and the closest known name for an unknown one).
 */
export function resolveGenerateOptions(
  input: GenerateOptionsInput | Readonly<Record<string, unknown>> | undefined,
  extra: ExtraOptionNames = { names: [] },
): GenerateOptions & Record<string, unknown> {
  if (input === undefined) return {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError('options', input, 'a plain object of generate options');
  }
  const { values } = resolveOptionNames(
    input as Readonly<Record<string, unknown>>,
    new Set<string>([...GENERATE_OPTION_NAMES, ...extra.names]),
    { ...SNAKE_CASE_GENERATE_OPTIONS, ...extra.snakeAliases },
    'generate option',
  );
  const options = values as GenerateOptions & Record<string, unknown>;
  validateSamplingOptions(options);
  const { maxNewTokens, eosTokenIds, stopStrings, doSample, samplingSeed, signal } = options as Record<string, unknown>;
  if (maxNewTokens !== undefined && (!Number.isSafeInteger(maxNewTokens) || (maxNewTokens as number) < 1)) {
    throw new ConfigError('maxNewTokens', maxNewTokens, 'an integer ≥ 1');
  }
  if (eosTokenIds !== undefined && !(Array.isArray(eosTokenIds) && eosTokenIds.every((id) => Number.isSafeInteger(id) && id >= 0))) {
    throw new ConfigError('eosTokenIds', eosTokenIds, 'an array of token ids (integers ≥ 0)');
  }
  // An empty string would match after the first token; a bare string would be iterated by character.
  if (stopStrings !== undefined && !(Array.isArray(stopStrings) && stopStrings.every((s) => typeof s === 'string' && s.length > 0))) {
    throw new ConfigError('stopStrings', stopStrings, 'an array of non-empty strings');
  }
  if (doSample !== undefined && typeof doSample !== 'boolean') throw new ConfigError('doSample', doSample, 'a boolean');
  if (samplingSeed !== undefined && !Number.isSafeInteger(samplingSeed)) {
    throw new ConfigError('samplingSeed', samplingSeed, 'a safe integer');
  }
  if (signal !== undefined && !isAbortSignal(signal)) throw new ConfigError('signal', signal, 'an AbortSignal');
  for (const name of ['decode', 'onToken', 'onIteration'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new ConfigError(name, options[name], 'a function');
    }
  }
  return options;
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function'
  );
}
