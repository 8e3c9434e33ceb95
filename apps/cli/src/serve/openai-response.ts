/** The OpenAI response and stream-chunk shapes, plus the `reasonflow` extension object. */
import type { ReasonFlowConfig, StopReason, ThoughtsResult } from 'reasonflow';

export type FinishReason = 'stop' | 'length';

/** What every object of one response shares. */
export interface ResponseMeta {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** How ReasonFlow produced the answer; an extra field OpenAI clients ignore (or expose untyped). */
export interface ReasonFlowExtension {
  config: ReasonFlowConfig;
  stop_reason: StopReason;
  iterations: number;
  forward_steps: number;
  rows_computed: number;
  tokens_committed: number;
  best_thinkers_summary: readonly (readonly number[])[];
  queue_time_ms: number;
  model_time_ms: number;
  total_time_ms: number;
  execution_provider: string;
}

/** EOS and stop strings end an answer; the token budget and the context cut it short. */
export function finishReasonOf(stopReason: StopReason): FinishReason {
  return stopReason === 'max-new-tokens' || stopReason === 'max-length' ? 'length' : 'stop';
}

export function usageOf(result: ThoughtsResult): Usage {
  const { promptTokens, tokensCommitted } = result.stats;
  return { prompt_tokens: promptTokens, completion_tokens: tokensCommitted, total_tokens: promptTokens + tokensCommitted };
}

export function extensionOf(result: ThoughtsResult, config: ReasonFlowConfig, queueTimeMs: number): ReasonFlowExtension {
  const s = result.stats;
  return {
    config,
    stop_reason: result.stopReason,
    iterations: s.iterations,
    forward_steps: s.forwardSteps,
    rows_computed: s.rowsComputed,
    tokens_committed: s.tokensCommitted,
    best_thinkers_summary: result.bestThinkersSummary,
    queue_time_ms: queueTimeMs,
    model_time_ms: s.modelTimeMs,
    total_time_ms: s.totalTimeMs,
    execution_provider: s.executionProvider,
  };
}

export function completionResponse(meta: ResponseMeta, text: string, finish: FinishReason, usage: Usage, extension: ReasonFlowExtension) {
  return {
    id: meta.id,
    object: 'text_completion' as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
    usage,
    reasonflow: extension,
  };
}

export function chatResponse(meta: ResponseMeta, content: string, finish: FinishReason, usage: Usage, extension: ReasonFlowExtension) {
  return {
    id: meta.id,
    object: 'chat.completion' as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message: { role: 'assistant' as const, content, refusal: null }, logprobs: null, finish_reason: finish }],
    usage,
    reasonflow: extension,
  };
}

/** A streamed piece of a completion; the last one carries the finish reason (and the extension). */
export function completionChunk(meta: ResponseMeta, text: string, finish: FinishReason | null, extension?: ReasonFlowExtension) {
  return {
    id: meta.id,
    object: 'text_completion' as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
    ...(extension ? { reasonflow: extension } : {}),
  };
}

export function chatChunk(
  meta: ResponseMeta,
  delta: { role?: 'assistant'; content?: string },
  finish: FinishReason | null,
  extension?: ReasonFlowExtension,
) {
  return {
    id: meta.id,
    object: 'chat.completion.chunk' as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(extension ? { reasonflow: extension } : {}),
  };
}

/** The last chunk when the client asked for `stream_options.include_usage`: no choices, the usage. */
export function usageChunk(meta: ResponseMeta, object: 'text_completion' | 'chat.completion.chunk', usage: Usage) {
  return { id: meta.id, object, created: meta.created, model: meta.model, choices: [], usage };
}
