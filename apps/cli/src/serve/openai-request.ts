/**
 * OpenAI request bodies → the facade's input, config and per-call options. Each OpenAI field is mapped
 * explicitly; fields that would change the answer in ways ReasonFlow cannot honour (n > 1, penalties,
 * tools) are refused rather than ignored, and unknown fields are refused with a suggestion.
 *
 * `/v1/completions` also speaks vLLM's dialect for clients that run the search themselves
 * (`@reasonflow/backend-remote`): token-id prompts (one or a batch) and `logprobs: k` make it a *path
 * request*, answered by plain decoding of the model with per-token top-k log-probabilities (see
 * path-completions.ts) instead of by a ReasonFlow generation.
 */
import { closestName, resolveGenerateOptions } from '@reasonflow/core';
import { type ChatMessage, ConfigError, type ReasonFlowConfig, resolveConfig } from 'reasonflow';
import { ApiError, invalidRequest } from './api-error.js';

export type Endpoint = 'completions' | 'chat';

/** The facade options a request sets (camelCase, before the facade validates them again). */
export interface RequestOptions {
  maxNewTokens?: number;
  doSample: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
  samplingSeed?: number;
  stopStrings?: string[];
}

export interface ParsedRequest {
  readonly endpoint: Endpoint;
  readonly input: string | readonly ChatMessage[];
  readonly stream: boolean;
  /** stream_options.include_usage: a last chunk with the usage. */
  readonly includeUsage: boolean;
  /** The request's `reasonflow` field over the library's defaults. */
  readonly config: ReasonFlowConfig;
  readonly options: RequestOptions;
  /** The request field an error about a facade option or config field points at. */
  readonly paramOf: (field: string) => string;
  /** Set for a path request (token-id prompts or `logprobs`); `input` is then unused. */
  readonly paths: PathsRequest | undefined;
}

/** A vLLM-style completion: each prompt decoded by the model alone, with log-probabilities. */
export interface PathsRequest {
  /** One choice per prompt, in order: token ids as given, or a text to encode. */
  readonly prompts: readonly (string | readonly number[])[];
  /** Top log-probabilities per generated token (`logprobs: k`); undefined: none returned. */
  readonly logprobs: number | undefined;
  /** vLLM's `return_tokens_as_token_ids`: tokens named `token_id:N` in the log-probabilities. */
  readonly tokensAsIds: boolean;
  /** vLLM's `ignore_eos`: generate `max_tokens` tokens even past EOS. */
  readonly ignoreEos: boolean;
  /** vLLM's `skip_special_tokens` for the returned text (default true). */
  readonly skipSpecialTokens: boolean;
}

/** Limits of the served model that a request is checked against. */
export interface RequestLimits {
  /** `--max-logprobs`: the largest `logprobs` accepted (default 20, vLLM's default). */
  readonly maxLogprobs?: number;
  /** Token ids in a prompt must be below it. */
  readonly vocabSize?: number;
}

/** vLLM's default `--max-logprobs`. */
export const DEFAULT_MAX_LOGPROBS = 20;

type Body = Readonly<Record<string, unknown>>;

/** Fields accepted and ignored: they do not change the generated text. */
const IGNORED = ['user', 'store', 'metadata', 'parallel_tool_calls', 'service_tier'];

/** Fields accepted only at the value that asks for nothing ReasonFlow lacks. */
const NEUTRAL: Record<string, { allowed: string; isNeutral: (value: unknown) => boolean }> = {
  n: { allowed: '1 (one choice per request)', isNeutral: (v) => v === 1 },
  best_of: { allowed: '1', isNeutral: (v) => v === 1 },
  echo: { allowed: 'false', isNeutral: (v) => v === false },
  top_logprobs: { allowed: '0', isNeutral: (v) => v === 0 },
  presence_penalty: { allowed: '0 (use repetition_penalty)', isNeutral: (v) => v === 0 },
  frequency_penalty: { allowed: '0 (use repetition_penalty)', isNeutral: (v) => v === 0 },
  logit_bias: { allowed: 'an empty object', isNeutral: (v) => isObject(v) && Object.keys(v).length === 0 },
  suffix: { allowed: 'an empty string', isNeutral: (v) => v === '' },
  response_format: { allowed: '{ "type": "text" }', isNeutral: (v) => isObject(v) && v.type === 'text' },
  tools: { allowed: 'an empty array (no tool calling)', isNeutral: (v) => Array.isArray(v) && v.length === 0 },
  tool_choice: { allowed: '"none"', isNeutral: (v) => v === 'none' },
  functions: { allowed: 'an empty array (no function calling)', isNeutral: (v) => Array.isArray(v) && v.length === 0 },
  function_call: { allowed: '"none"', isNeutral: (v) => v === 'none' },
  modalities: { allowed: '["text"]', isNeutral: (v) => Array.isArray(v) && v.length === 1 && v[0] === 'text' },
};

/** Sampling fields shared by both endpoints; top_k, min_p and repetition_penalty as vLLM extends them. */
const SAMPLING_FIELDS = {
  top_p: 'topP',
  top_k: 'topK',
  min_p: 'minP',
  repetition_penalty: 'repetitionPenalty',
  seed: 'samplingSeed',
} as const;

/** Chat's `logprobs` is a boolean (with `top_logprobs`); only `/v1/completions` returns log-probabilities. */
const CHAT_LOGPROBS = { allowed: 'null or false (log-probabilities are returned by /v1/completions only)', isNeutral: (v: unknown) => v === false };

/** vLLM's completion extensions used by path requests; on a ReasonFlow generation only at their defaults. */
const VLLM_PATH_FIELDS: Record<string, { allowed: string; isNeutral: (value: unknown) => boolean }> = {
  ignore_eos: { allowed: 'false (true needs logprobs or a token-id prompt)', isNeutral: (v) => v === false },
  skip_special_tokens: { allowed: 'true (false needs logprobs or a token-id prompt)', isNeutral: (v) => v === true },
  return_tokens_as_token_ids: { allowed: 'a boolean', isNeutral: (v) => typeof v === 'boolean' },
};

/** Sampling fields a path request (plain decoding) accepts only at the values that leave the model's distribution as is. */
const PATH_NEUTRAL_SAMPLING: Record<string, { allowed: string; isNeutral: (value: unknown) => boolean }> = {
  top_p: { allowed: '1', isNeutral: (v) => v === 1 },
  top_k: { allowed: '-1 or 0 (all tokens)', isNeutral: (v) => v === -1 || v === 0 },
  min_p: { allowed: '0', isNeutral: (v) => v === 0 },
  repetition_penalty: { allowed: '1', isNeutral: (v) => v === 1 },
};

const COMMON = ['model', 'stream', 'stream_options', 'temperature', 'stop', 'max_tokens', 'reasonflow', 'logprobs', ...Object.keys(SAMPLING_FIELDS)];
const KNOWN: Record<Endpoint, readonly string[]> = {
  completions: ['prompt', ...COMMON, ...IGNORED, ...Object.keys(NEUTRAL), ...Object.keys(VLLM_PATH_FIELDS)],
  chat: ['messages', 'max_completion_tokens', ...COMMON, ...IGNORED, ...Object.keys(NEUTRAL)],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const show = (value: unknown) => JSON.stringify(value) ?? String(value);

/**
 * Validates a request body for `/v1/completions` or `/v1/chat/completions`.
 * @throws ApiError (400, or 404 for another model's name)
 */
export function parseOpenAIRequest(endpoint: Endpoint, body: unknown, servedModel: string, limits: RequestLimits = {}): ParsedRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.', null, 'invalid_body');
  // OpenAI's nullable fields: null means "not given".
  const given: Body = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null && value !== undefined));
  for (const name of Object.keys(given)) {
    if (KNOWN[endpoint].includes(name)) continue;
    const suggestion = closestName(name, KNOWN[endpoint]);
    throw invalidRequest(
      `Unrecognized request argument supplied: ${name}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}.`,
      name,
      'unknown_parameter',
    );
  }
  const refuseUnlessNeutral = (rules: typeof NEUTRAL, why = '') => {
    for (const [name, rule] of Object.entries(rules)) {
      if (name in given && !rule.isNeutral(given[name])) {
        throw invalidRequest(`"${name}" is not supported by reasonflow serve${why}: got ${show(given[name])}, expected ${rule.allowed}.`, name, 'unsupported_parameter');
      }
    }
  };
  refuseUnlessNeutral(NEUTRAL);
  if (endpoint === 'chat') refuseUnlessNeutral({ logprobs: CHAT_LOGPROBS });
  if ('model' in given && given.model !== servedModel) {
    if (typeof given.model !== 'string') throw invalidRequest(`"model" must be a string, got ${show(given.model)}.`, 'model');
    throw new ApiError(404, `The model "${given.model}" does not exist; this server serves "${servedModel}".`, 'invalid_request_error', 'model', 'model_not_found');
  }

  const prompt = endpoint === 'chat' ? undefined : completionPrompt(given.prompt, limits.vocabSize);
  const logprobs = endpoint === 'chat' ? undefined : logprobsOf(given.logprobs, limits.maxLogprobs ?? DEFAULT_MAX_LOGPROBS);
  const isPaths = prompt !== undefined && (typeof prompt !== 'string' || logprobs !== undefined);
  let paths: PathsRequest | undefined;
  if (isPaths) {
    // Plain decoding of the model: ReasonFlow's search, stop strings and samplers other than temperature do not apply.
    const why = ' with logprobs or token-id prompts (they are answered by plain decoding of the model)';
    for (const name of ['reasonflow', 'stop', 'stream_options']) {
      if (name in given) throw invalidRequest(`"${name}" is not supported by reasonflow serve${why}.`, name, 'unsupported_parameter');
    }
    if (given.stream === true) throw invalidRequest(`"stream": true is not supported by reasonflow serve${why}.`, 'stream', 'unsupported_parameter');
    refuseUnlessNeutral(PATH_NEUTRAL_SAMPLING, why);
    for (const name of Object.keys(VLLM_PATH_FIELDS)) optionalBoolean(given, name);
    paths = {
      prompts: typeof prompt === 'string' ? [prompt] : prompt,
      logprobs,
      tokensAsIds: optionalBoolean(given, 'return_tokens_as_token_ids') ?? false,
      ignoreEos: optionalBoolean(given, 'ignore_eos') ?? false,
      skipSpecialTokens: optionalBoolean(given, 'skip_special_tokens') ?? true,
    };
  } else if (endpoint === 'completions') {
    refuseUnlessNeutral(VLLM_PATH_FIELDS);
  }
  const input = endpoint === 'chat' ? chatMessages(given.messages) : typeof prompt === 'string' ? prompt : '';
  const stream = optionalBoolean(given, 'stream') ?? false;
  let includeUsage = false;
  if ('stream_options' in given) {
    if (!stream) throw invalidRequest('"stream_options" is only allowed with "stream": true.', 'stream_options');
    const streamOptions = given.stream_options;
    if (!isObject(streamOptions) || Object.keys(streamOptions).some((key) => key !== 'include_usage')) {
      throw invalidRequest(`"stream_options" must be { "include_usage": boolean }, got ${show(streamOptions)}.`, 'stream_options');
    }
    includeUsage = optionalBoolean(streamOptions, 'include_usage', 'stream_options.include_usage') ?? false;
  }

  const maxTokensField = endpoint === 'chat' && 'max_completion_tokens' in given ? 'max_completion_tokens' : 'max_tokens';
  const paramNames: Record<string, string> = {
    maxNewTokens: maxTokensField,
    temperature: 'temperature',
    stopStrings: 'stop',
    input: endpoint === 'chat' ? 'messages' : 'prompt',
    ...Object.fromEntries(Object.entries(SAMPLING_FIELDS).map(([openai, facade]) => [facade, openai])),
  };
  const paramOf = (field: string) => paramNames[field] ?? `reasonflow.${field}`;

  const options: RequestOptions = { doSample: false };
  if (maxTokensField in given) options.maxNewTokens = given[maxTokensField] as number;
  // OpenAI's temperature 0 means greedy; ReasonFlow's temperature scales the fused distribution.
  if ('temperature' in given) {
    const temperature = given.temperature;
    if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) {
      throw invalidRequest(`"temperature" must be a number ≥ 0, got ${show(temperature)}.`, 'temperature');
    }
    if (temperature > 0) {
      options.doSample = true;
      options.temperature = temperature;
    }
  }
  for (const [openai, facade] of Object.entries(SAMPLING_FIELDS)) {
    if (openai in given) (options as unknown as Record<string, unknown>)[facade] = given[openai];
  }
  if ('stop' in given) {
    const stop = given.stop;
    options.stopStrings = typeof stop === 'string' ? [stop] : (stop as string[]);
  }
  try {
    resolveGenerateOptions(options as unknown as Record<string, unknown>);
  } catch (error) {
    throw apiErrorOf(error, paramOf) ?? error;
  }

  if ('reasonflow' in given && !isObject(given.reasonflow)) {
    throw invalidRequest(`"reasonflow" must be an object of ReasonFlow config fields, got ${show(given.reasonflow)}.`, 'reasonflow');
  }
  let config: ReasonFlowConfig;
  try {
    config = resolveConfig((given.reasonflow as Record<string, unknown> | undefined) ?? {});
  } catch (error) {
    throw apiErrorOf(error, (field) => `reasonflow.${field}`) ?? error;
  }
  return { endpoint, input, stream, includeUsage, config, options, paramOf, paths };
}

/**
 * `/v1/completions`' `logprobs`: null/false for none, else an integer k ≥ 0 up to `--max-logprobs`
 * (vLLM's check and wording, which clients such as backend-remote parse for the limit).
 */
function logprobsOf(value: unknown, maxLogprobs: number): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw invalidRequest(`"logprobs" must be null, false or an integer ≥ 0, got ${show(value)}.`, 'logprobs', 'invalid_value');
  }
  if ((value as number) > maxLogprobs) {
    throw invalidRequest(
      `Requested sample logprobs of ${value}, which is greater than max allowed: ${maxLogprobs} (start reasonflow serve with a larger --max-logprobs).`,
      'logprobs',
      'invalid_value',
    );
  }
  return value as number;
}

/**
 * The library's ConfigError as a 400 naming the request field; undefined for other errors.
 * Errors about a ReasonFlow config field keep the library's message (with its suggestion); errors
 * about an OpenAI field are reworded with the field's OpenAI name.
 */
export function apiErrorOf(error: unknown, paramOf: (field: string) => string): ApiError | undefined {
  if (!(error instanceof ConfigError)) return undefined;
  const param = paramOf(error.field);
  const message = param.startsWith('reasonflow.')
    ? `${error.message} (in the "reasonflow" field)`
    : `Invalid "${param}": got ${show(error.value)}, expected ${error.allowed}.`;
  return invalidRequest(message, param, 'invalid_value');
}

function optionalBoolean(body: Body, name: string, param = name): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(`"${param}" must be a boolean, got ${show(value)}.`, param);
  return value;
}

/** A text prompt, or token-id prompts (one array of ids, or a batch of them) as vLLM takes them. */
function completionPrompt(prompt: unknown, vocabSize: number | undefined): string | number[][] {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') return prompt[0];
  if (prompt === undefined) throw invalidRequest('"prompt" is required.', 'prompt', 'missing_required_parameter');
  const isIds = (value: unknown): value is number[] => Array.isArray(value) && value.length > 0 && value.every((id) => typeof id === 'number');
  const single = isIds(prompt);
  const batch = single ? [prompt] : Array.isArray(prompt) && prompt.length > 0 && prompt.every(isIds) ? (prompt as number[][]) : undefined;
  if (!batch) {
    throw invalidRequest(
      `"prompt" must be a string, an array of one string, a non-empty array of token ids or an array of them (no batches of strings), got ${show(prompt)}.`,
      'prompt',
    );
  }
  batch.forEach((ids, i) => {
    const bad = ids.find((id) => !Number.isSafeInteger(id) || id < 0 || (vocabSize !== undefined && id >= vocabSize));
    if (bad !== undefined) {
      const where = single ? 'prompt' : `prompt[${i}]`;
      throw invalidRequest(`${where} holds ${show(bad)}, not a token id (an integer in [0, ${vocabSize === undefined ? 'vocab size' : vocabSize - 1}]).`, where, 'invalid_value');
    }
  });
  return batch;
}

/** Chat messages with text content: a string, or text parts (`{ type: 'text', text }`) joined. */
function chatMessages(messages: unknown): ChatMessage[] {
  if (messages === undefined) throw invalidRequest('"messages" is required.', 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalidRequest(`"messages" must be a non-empty array, got ${show(messages)}.`, 'messages');
  }
  return messages.map((message, i) => {
    const param = `messages[${i}]`;
    if (!isObject(message) || typeof message.role !== 'string') {
      throw invalidRequest(`${param} must be an object with a string "role", got ${show(message)}.`, param);
    }
    const content = message.content;
    if (typeof content === 'string') return { role: message.role, content };
    const isTextPart = (part: unknown) => isObject(part) && part.type === 'text' && typeof part.text === 'string';
    if (Array.isArray(content) && content.every(isTextPart)) {
      return { role: message.role, content: content.map((part) => (part as { text: string }).text).join('') };
    }
    throw invalidRequest(
      `${param}.content must be a string or an array of text parts ({ "type": "text", "text": ... }), got ${show(content)}.`,
      `${param}.content`,
    );
  });
}
