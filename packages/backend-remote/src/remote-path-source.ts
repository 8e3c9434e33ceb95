import { ConfigError, type PathExtendOptions, type PathRowRequest, type PathRowResult, type PathSource } from '@reasonflow/core';
import type { RemoteEngineKind } from './errors.js';
import { llamaCppCompletion } from './llama-cpp.js';
import type { ProtocolCall, ProtocolContext, RemoteUsage } from './protocol.js';
import { sglangGenerate } from './sglang.js';
import { vllmCompletions } from './vllm.js';

export interface RemotePathSourceOptions {
  engine: RemoteEngineKind;
  /** e.g. `http://127.0.0.1:30000` (no trailing path). */
  baseUrl: string;
  /** The served model's name (vLLM's `model` field; required there). */
  model?: string;
  /** The model's vocabulary size (from its tokenizer or config). */
  vocabSize: number;
  /** The server's context length (vLLM `--max-model-len`, SGLang `--context-length`, llama.cpp `--ctx-size` per slot). */
  maxSequenceLength: number;
  eosTokenIds?: readonly number[];
  /** Most top log-probabilities the server returns per token (default: vLLM 20, the default `--max-logprobs`; others 64). */
  maxTopLogProbs?: number;
  /** Per-request timeout in ms (default 60 000; 0 = none). Requests are never retried. */
  timeoutMs?: number;
  /** Extra headers, e.g. `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
  /** Default: the global fetch (Node ≥ 20: undici, keep-alive). */
  fetch?: typeof fetch;
}

const PROTOCOLS: Record<RemoteEngineKind, ProtocolCall> = {
  sglang: sglangGenerate,
  vllm: vllmCompletions,
  'llama.cpp': llamaCppCompletion,
};

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * A PathSource backed by a remote inference server. Every `extend` is one iteration: all rows go out
 * at once (SGLang: one batched request; vLLM: one request per group of identical settings; llama.cpp:
 * one request per row, concurrently), token ids in and out. Each row's prompt is the committed prefix
 * plus its forced tokens, so iteration i + 1 extends what iteration i left in the server's prefix
 * cache: KV reuse needs no explicit cache calls.
 */
export class RemotePathSource implements PathSource {
  readonly name: string;
  readonly vocabSize: number;
  readonly maxSequenceLength: number;
  readonly eosTokenIds: readonly number[];
  readonly maxTopLogProbs: number;
  /** What the server reported: requests, prompt tokens sent, prompt tokens served from its cache. */
  readonly usage: RemoteUsage = { requests: 0, promptTokens: 0, cachedPromptTokens: 0 };
  private readonly context: ProtocolContext;
  private readonly call: ProtocolCall;

  constructor(options: RemotePathSourceOptions) {
    const { engine } = options;
    if (!(engine in PROTOCOLS)) throw new ConfigError('engine', engine, "'sglang', 'vllm' or 'llama.cpp'");
    let baseUrl: URL;
    try {
      baseUrl = new URL(options.baseUrl);
    } catch {
      throw new ConfigError('baseUrl', options.baseUrl, 'an absolute http(s) URL');
    }
    if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:') throw new ConfigError('baseUrl', options.baseUrl, 'an http(s) URL');
    if (engine === 'vllm' && !options.model) throw new ConfigError('model', options.model, "the served model's name (vLLM requires it)");
    positiveInteger('vocabSize', options.vocabSize);
    positiveInteger('maxSequenceLength', options.maxSequenceLength);
    this.maxTopLogProbs = options.maxTopLogProbs ?? (engine === 'vllm' ? 20 : 64);
    positiveInteger('maxTopLogProbs', this.maxTopLogProbs);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs >= 0)) throw new ConfigError('timeoutMs', timeoutMs, 'a number of ms ≥ 0 (0 = no timeout)');
    this.name = engine;
    this.vocabSize = options.vocabSize;
    this.maxSequenceLength = options.maxSequenceLength;
    this.eosTokenIds = options.eosTokenIds ?? [];
    this.call = PROTOCOLS[engine];
    this.context = {
      engine,
      baseUrl: baseUrl.href.replace(/\/+$/, ''),
      model: options.model,
      http: { timeoutMs, headers: options.headers ?? {}, fetch: options.fetch ?? globalThis.fetch },
      usage: this.usage,
    };
  }

  async extend(prefix: readonly number[], rows: readonly PathRowRequest[], options: PathExtendOptions): Promise<PathRowResult[]> {
    const k = options.topLogProbs;
    if (!Number.isInteger(k) || k < 1 || k > this.maxTopLogProbs) {
      throw new ConfigError('topLogProbs', k, `an integer in [1, ${this.maxTopLogProbs}] (this source's maxTopLogProbs)`);
    }
    if (rows.length === 0) return [];
    const prompts = rows.map((request) => ({ prompt: [...prefix, ...request.forced], request }));
    return this.call(this.context, prompts, k, options.signal);
  }
}

function positiveInteger(field: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw new ConfigError(field, value, 'an integer ≥ 1');
}
