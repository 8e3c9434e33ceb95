import type { PathRowResult } from '@reasonflow/core';
import { allOrNothing, postJson } from './http.js';
import { expectShape, isFiniteNumber, type ProtocolCall, topList } from './protocol.js';

interface LlamaProbability {
  id?: number;
  logprob?: number;
  prob?: number;
  top_logprobs?: { id?: number; logprob?: number }[];
  top_probs?: { id?: number; prob?: number }[];
}

/**
 * llama.cpp's `/completion`: one request per row, all concurrently (the server runs them in its
 * parallel slots). `cache_prompt: true` evaluates only the part of the prompt the slot has not seen.
 * `completion_probabilities[]` holds, per generated token, `id`, `logprob` and `top_logprobs`
 * (`prob` / `top_probs` when `post_sampling_probs` is on; both are read).
 */
export const llamaCppCompletion: ProtocolCall = async (context, rows, k, signal) => {
  const url = `${context.baseUrl}/completion`;
  return allOrNothing(
    signal,
    rows.map(({ prompt, request }, i) => async (rowSignal: AbortSignal): Promise<PathRowResult> => {
      const body = {
        prompt,
        n_predict: request.steps,
        temperature: request.temperature,
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        n_probs: k,
        cache_prompt: true,
        ignore_eos: true,
        return_tokens: true,
        post_sampling_probs: false,
        stream: false,
      };
      const answer = (await postJson(context.engine, url, body, context.http, rowSignal)) as {
        completion_probabilities?: unknown;
        tokens_cached?: number;
        timings?: { prompt_n?: number };
      };
      context.usage.requests++;
      const steps = answer?.completion_probabilities;
      expectShape(Array.isArray(steps), context, url, `completion_probabilities of row ${i}`, answer);
      context.usage.promptTokens += prompt.length;
      if (typeof answer.timings?.prompt_n === 'number') context.usage.cachedPromptTokens += prompt.length - answer.timings.prompt_n;
      const tokens: number[] = [];
      const logProbs: number[] = [];
      const top = (steps as LlamaProbability[]).map((step, t) => {
        const logProb = step.logprob ?? (isFiniteNumber(step.prob) ? Math.log(step.prob) : undefined);
        expectShape(Number.isInteger(step.id) && isFiniteNumber(logProb), context, url, `token ${t} of row ${i}`, step);
        tokens.push(step.id!);
        logProbs.push(logProb);
        const entries = step.top_logprobs
          ? step.top_logprobs.map((e) => ({ id: e.id!, logProb: e.logprob ?? Number.NaN }))
          : (step.top_probs ?? []).map((e) => ({ id: e.id!, logProb: Math.log(e.prob ?? Number.NaN) }));
        return topList(entries, k);
      });
      return { tokens, logProbs, top };
    }),
  );
};
