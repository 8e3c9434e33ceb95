/**
 * Path requests on `/v1/completions` (token-id prompts, `logprobs: k`), answered the way vLLM answers
 * them: each prompt decoded by the model alone at the request's temperature, every generated token with
 * its log-probability and the top-k of the distribution it was drawn from. The decoding is core's
 * `DecoderPathSource` — the same code a local `generateOverPaths` runs — so a client running ReasonFlow
 * over this server (`@reasonflow/backend-remote`, vLLM dialect) sees exactly the local paths.
 */
import { randomInt } from 'node:crypto';
import { ContextLengthError, type DecoderPathSource, type PathRowResult } from '@reasonflow/core';
import type { TextTokenizer } from 'reasonflow';
import type { PathsRequest, RequestOptions } from './openai-request.js';
import type { FinishReason, Usage } from './openai-response.js';

/** OpenAI's legacy completion log-probabilities (vLLM fills them the same way). */
export interface CompletionLogprobs {
  text_offset: number[];
  /** `null` stands for −∞ (JSON has no infinities). */
  token_logprobs: (number | null)[];
  tokens: string[];
  top_logprobs: Record<string, number | null>[];
}

export interface PathChoice {
  index: number;
  text: string;
  logprobs: CompletionLogprobs | null;
  finish_reason: FinishReason;
}

export interface PathCompletion {
  choices: PathChoice[];
  usage: Usage;
}

/** What a path request needs from the server: the model's source, its tokenizer and the text encoder. */
export interface PathContext {
  readonly source: DecoderPathSource;
  readonly tokenizer: TextTokenizer;
  readonly encode: (text: string) => number[];
}

/**
 * Decodes every prompt of the request, one after another, and shapes the choices.
 * @throws ContextLengthError for a prompt longer than the model's context; the signal's reason when aborted
 */
export async function completePaths(
  context: PathContext,
  request: PathsRequest,
  options: RequestOptions,
  maxTokens: number,
  signal: AbortSignal,
): Promise<PathCompletion> {
  const { source, tokenizer } = context;
  const prompts = request.prompts.map((p) => (typeof p === 'string' ? context.encode(p) : p));
  for (const prompt of prompts) {
    // One more token than the context still gets generated from the last position's logits.
    if (prompt.length > source.maxSequenceLength) throw new ContextLengthError(prompt.length, source.maxSequenceLength);
  }
  const temperature = options.temperature ?? 0;
  const k = request.logprobs;
  // The source needs k ≥ 1; `logprobs: 0` (only the chosen token) asks for one and shows none of them.
  const topLogProbs = Math.min(Math.max(k ?? 1, 1), source.vocabSize);
  const eos = new Set(tokenizer.eosTokenIds ?? source.eosTokenIds);
  const choices: PathChoice[] = [];
  let promptTokens = 0;
  let completionTokens = 0;
  for (const [index, prompt] of prompts.entries()) {
    signal.throwIfAborted();
    // vLLM samples unseeded requests at random; the source's default seed would repeat itself.
    const seed = options.samplingSeed ?? (temperature > 0 ? randomInt(2 ** 31) : undefined);
    const row = { forced: [], steps: maxTokens, temperature, ...(seed !== undefined ? { seed } : {}) };
    const [path] = await source.extend(prompt, [row], { topLogProbs, signal });
    const { result, finish } = request.ignoreEos ? { result: path!, finish: 'length' as const } : cutAtEos(path!, eos);
    promptTokens += prompt.length;
    completionTokens += result.tokens.length;
    choices.push({
      index,
      text: result.tokens.length === 0 ? '' : tokenizer.decode(result.tokens, { skipSpecialTokens: request.skipSpecialTokens }),
      logprobs: k === undefined ? null : logprobsOf(result, k, request.tokensAsIds, tokenizer),
      finish_reason: finish,
    });
  }
  return { choices, usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } };
}

/** The path up to and including its first EOS token (vLLM returns the EOS's log-probability too). */
function cutAtEos(path: PathRowResult, eos: ReadonlySet<number>): { result: PathRowResult; finish: FinishReason } {
  const at = path.tokens.findIndex((token) => eos.has(token));
  if (at < 0) return { result: path, finish: 'length' };
  const end = at + 1;
  return { result: { tokens: path.tokens.slice(0, end), logProbs: path.logProbs.slice(0, end), top: path.top.slice(0, end) }, finish: 'stop' };
}

/**
 * vLLM's shape: per token its name, log-probability and a map of the top k (plus the chosen token when
 * it is not among them). Names are `token_id:N` with `return_tokens_as_token_ids`, else the token's text.
 */
function logprobsOf(path: PathRowResult, k: number, tokensAsIds: boolean, tokenizer: TextTokenizer): CompletionLogprobs {
  const nameOf = (id: number) => (tokensAsIds ? `token_id:${id}` : tokenizer.decode([id], { skipSpecialTokens: false }));
  const finite = (logProb: number) => (logProb === Number.NEGATIVE_INFINITY ? null : logProb);
  const tokens = path.tokens.map(nameOf);
  const textOffset: number[] = [];
  let offset = 0;
  for (const id of path.tokens) {
    textOffset.push(offset);
    offset += tokenizer.decode([id], { skipSpecialTokens: false }).length;
  }
  const top = path.top.map((step, i) => {
    const entries: Record<string, number | null> = {};
    step.ids.slice(0, k).forEach((id, j) => {
      entries[nameOf(id)] = finite(step.logProbs[j]!);
    });
    const chosen = nameOf(path.tokens[i]!);
    if (!(chosen in entries)) entries[chosen] = finite(path.logProbs[i]!);
    return entries;
  });
  return { text_offset: textOffset, token_logprobs: path.logProbs.map(finite), tokens, top_logprobs: top };
}
