import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DecoderPathSource, type DecoderModel, type PathRowResult } from '@reasonflow/core';

export type FakeEngineKind = 'sglang' | 'vllm' | 'llama.cpp';

/** One generation the fake served: how many prompt tokens it had to prefill after its prefix cache. */
export interface ServedRequest {
  readonly promptLength: number;
  readonly cached: number;
  readonly prefill: number;
  /** llama.cpp: the slot that served it. */
  readonly slot?: number;
}

export interface FakeEngineOptions {
  model: DecoderModel;
  /** vLLM's --max-logprobs (default 20). */
  maxLogprobs?: number;
  /** llama.cpp's --parallel slots (default 4). */
  slots?: number;
  /** Holds every HTTP response back this long (ms). */
  delayMs?: number;
  /** Answers the n-th HTTP request (0-based) with this status at once, instead of generating. */
  failRequest?: { index: number; status: number };
}

export interface FakeEngine {
  readonly url: string;
  readonly served: ServedRequest[];
  /** HTTP requests received. */
  readonly httpRequests: number;
  /** Requests whose connection the client closed before the answer was sent. */
  readonly closedEarly: number;
  close(): Promise<void>;
}

const VLLM_BLOCK = 16;

/** The request fields the fakes read, as each server documents them. */
interface SglangBody {
  input_ids: number[][];
  sampling_params: { max_new_tokens: number; temperature: number; sampling_seed?: number }[];
  top_logprobs_num?: number;
}
interface VllmBody {
  model?: string;
  prompt: number[] | number[][];
  max_tokens: number;
  temperature: number;
  seed?: number;
  logprobs: number;
  return_tokens_as_token_ids?: boolean;
}
interface LlamaCppBody {
  prompt: number[];
  n_predict: number;
  n_probs: number;
  temperature: number;
  seed?: number;
  cache_prompt?: boolean;
}
type RequestBody = SglangBody & VllmBody & LlamaCppBody;

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/**
 * A protocol-faithful fake of SGLang `/generate`, vLLM `/v1/completions` or llama.cpp `/completion`
 * on 127.0.0.1, answering from a real local model in the documented response shapes and simulating
 * the server's prefix cache: SGLang's radix tree (token-granular), vLLM's automatic prefix caching
 * (full 16-token blocks only), llama.cpp's per-slot prompt cache. The last prompt token is always
 * computed (its logits are needed), as on the real servers.
 */
export async function startFakeEngine(kind: FakeEngineKind, options: FakeEngineOptions): Promise<FakeEngine> {
  const source = new DecoderPathSource(options.model);
  const vocab = options.model.info.vocabSize;
  const cachedSequences: number[][] = [];
  const slots = Array.from({ length: options.slots ?? 4 }, () => ({ tokens: [] as number[], busy: false }));
  const served: ServedRequest[] = [];
  let httpRequests = 0;
  let closedEarly = 0;

  /** Generates for one prompt and records what the prefix cache saved. */
  async function generate(prompt: number[], steps: number, k: number, temperature: number, seed: number | undefined, cachedPrefix: number, slot?: number) {
    const cached = Math.min(cachedPrefix, prompt.length - 1);
    served.push({ promptLength: prompt.length, cached, prefill: prompt.length - cached, ...(slot !== undefined ? { slot } : {}) });
    const [result] = await source.extend(prompt, [{ forced: [], steps, temperature, seed }], { topLogProbs: Math.min(k, vocab) });
    return result!;
  }

  function bestCached(prompt: number[]): number {
    return cachedSequences.reduce((best, seq) => Math.max(best, commonPrefix(seq, prompt)), 0);
  }

  /** The tokens whose KV a request leaves behind: the prompt and every output token but the last. */
  function remember(prompt: number[], result: PathRowResult): number[] {
    return [...prompt, ...result.tokens.slice(0, -1)];
  }

  async function sglang(body: SglangBody): Promise<unknown> {
    const k: number = body.top_logprobs_num ?? 0;
    const out = [];
    for (const [i, prompt] of (body.input_ids as number[][]).entries()) {
      const params = body.sampling_params[i]!;
      const cached = Math.min(bestCached(prompt), prompt.length - 1);
      const result = await generate(prompt, params.max_new_tokens, k, params.temperature, params.sampling_seed, cached);
      cachedSequences.push(remember(prompt, result));
      out.push({
        text: '',
        meta_info: {
          prompt_tokens: prompt.length,
          completion_tokens: result.tokens.length,
          cached_tokens: cached,
          finish_reason: { type: 'length', length: params.max_new_tokens },
          output_token_logprobs: result.tokens.map((id, t) => [result.logProbs[t], id, null]),
          output_top_logprobs: result.top.map((top) => top.ids.map((id, j) => [top.logProbs[j], id, null])),
        },
      });
    }
    return out;
  }

  async function vllm(body: VllmBody, res: ServerResponse): Promise<unknown> {
    const max = options.maxLogprobs ?? 20;
    if (body.logprobs > max) {
      res.statusCode = 400;
      return { object: 'error', message: `Requested sample logprobs of ${body.logprobs}, which is greater than max allowed: ${max}`, type: 'BadRequestError', param: null, code: 400 };
    }
    const prompts = (Array.isArray(body.prompt[0]) ? body.prompt : [body.prompt]) as number[][];
    const choices = [];
    let promptTokens = 0;
    let cachedTokens = 0;
    for (const [index, prompt] of prompts.entries()) {
      // Automatic prefix caching hashes full blocks: only whole 16-token blocks are reused.
      const cached = Math.floor(Math.min(bestCached(prompt), prompt.length - 1) / VLLM_BLOCK) * VLLM_BLOCK;
      const result = await generate(prompt, body.max_tokens, body.logprobs, body.temperature, body.seed, cached);
      cachedSequences.push(remember(prompt, result));
      promptTokens += prompt.length;
      cachedTokens += cached;
      const key = (id: number) => (body.return_tokens_as_token_ids ? `token_id:${id}` : `tok${id}`);
      choices.push({
        index,
        text: '',
        logprobs: {
          text_offset: result.tokens.map(() => 0),
          token_logprobs: result.logProbs,
          tokens: result.tokens.map(key),
          // vLLM adds the sampled token to the top list when it is not among the k.
          top_logprobs: result.top.map((top, t) => {
            const entries: Record<string, number> = Object.fromEntries(top.ids.map((id, j) => [key(id), top.logProbs[j]!]));
            entries[key(result.tokens[t]!)] = result.logProbs[t]!;
            return entries;
          }),
        },
        finish_reason: 'length',
        stop_reason: null,
      });
    }
    return {
      id: 'cmpl-fake',
      object: 'text_completion',
      created: 0,
      model: body.model,
      choices,
      usage: { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens, prompt_tokens_details: { cached_tokens: cachedTokens } },
    };
  }

  async function llamaCpp(body: LlamaCppBody): Promise<unknown> {
    const prompt: number[] = body.prompt;
    // The server picks the idle slot whose cached prompt is most similar.
    let slot = slots.filter((s) => !s.busy).sort((a, b) => commonPrefix(b.tokens, prompt) - commonPrefix(a.tokens, prompt))[0];
    while (!slot) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      slot = slots.find((s) => !s.busy);
    }
    slot.busy = true;
    try {
      const cached = body.cache_prompt === false ? 0 : Math.min(commonPrefix(slot.tokens, prompt), prompt.length - 1);
      const result = await generate(prompt, body.n_predict, body.n_probs, body.temperature, body.seed, cached, slots.indexOf(slot));
      slot.tokens = remember(prompt, result);
      await new Promise((resolve) => setTimeout(resolve, 2)); // a slot stays busy while it runs
      return {
        content: '',
        tokens: result.tokens,
        id_slot: slots.indexOf(slot),
        stop: true,
        tokens_predicted: result.tokens.length,
        tokens_evaluated: prompt.length,
        timings: { prompt_n: prompt.length - cached, predicted_n: result.tokens.length },
        completion_probabilities: result.tokens.map((id, t) => ({
          id,
          token: `<${id}>`,
          bytes: [],
          logprob: result.logProbs[t],
          top_logprobs: result.top[t]!.ids.map((topId, j) => ({ id: topId, token: `<${topId}>`, bytes: [], logprob: result.top[t]!.logProbs[j] })),
        })),
      };
    } finally {
      slot.busy = false;
    }
  }

  const routes: Record<FakeEngineKind, { path: string; handle: (body: RequestBody, res: ServerResponse) => Promise<unknown> }> = {
    sglang: { path: '/generate', handle: sglang },
    vllm: { path: '/v1/completions', handle: vllm },
    'llama.cpp': { path: '/completion', handle: llamaCpp },
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const index = httpRequests++;
    res.on('close', () => {
      if (!res.writableEnded) closedEarly++;
    });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const route = routes[kind];
    res.setHeader('content-type', 'application/json');
    if (req.method !== 'POST' || req.url !== route.path) {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: 'not found' }));
      return;
    }
    if (options.failRequest?.index === index) {
      // A failing request answers at once; the others are still held back by the delay.
      res.statusCode = options.failRequest.status;
      res.end(JSON.stringify({ error: { code: options.failRequest.status, message: 'simulated failure', type: 'server_error' } }));
      return;
    }
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (res.destroyed) return;
    const answer = await route.handle(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RequestBody, res);
    if (!res.destroyed) res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    get httpRequests() {
      return httpRequests;
    },
    get closedEarly() {
      return closedEarly;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
