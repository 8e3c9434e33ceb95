import type { PathRowResult } from '@reasonflow/core';
import { postJson } from './http.js';
import { expectShape, logProbOf, type ProtocolCall, topList } from './protocol.js';

/**
 * SGLang's native `/generate`: one batched request for every row, with a per-item
 * `sampling_params` list. `logprob_start_len: -1` asks for the outputs' log-probabilities only.
 * Response items carry `meta_info.output_token_logprobs` ([logprob, token_id, text] per token) and
 * `meta_info.output_top_logprobs` (a list of such triples per token).
 */
export const sglangGenerate: ProtocolCall = async (context, rows, k, signal) => {
  const url = `${context.baseUrl}/generate`;
  const body = {
    input_ids: rows.map((r) => r.prompt),
    sampling_params: rows.map(({ request }) => ({
      max_new_tokens: request.steps,
      temperature: request.temperature,
      ignore_eos: true,
      skip_special_tokens: false,
      ...(request.seed !== undefined ? { sampling_seed: request.seed } : {}),
    })),
    return_logprob: true,
    top_logprobs_num: k,
    logprob_start_len: -1,
    stream: false,
  };
  const answer = await postJson(context.engine, url, body, context.http, signal ?? new AbortController().signal);
  context.usage.requests++;
  expectShape(Array.isArray(answer) && answer.length === rows.length, context, url, `a list of ${rows.length} results`, answer);
  return answer.map((item: unknown, i): PathRowResult => {
    const meta = (item as { meta_info?: Record<string, unknown> })?.meta_info;
    const chosen = meta?.output_token_logprobs;
    const tops = meta?.output_top_logprobs;
    expectShape(Array.isArray(chosen) && Array.isArray(tops) && chosen.length === tops.length, context, url, `meta_info log-probabilities of item ${i}`, item);
    context.usage.promptTokens += rows[i]!.prompt.length;
    context.usage.cachedPromptTokens += typeof meta!.cached_tokens === 'number' ? meta!.cached_tokens : 0;
    const tokens: number[] = [];
    const logProbs: number[] = [];
    const top = (tops as unknown[]).map((step, t) => {
      const [lp, id] = (chosen as unknown[][])[t] ?? [];
      const logProb = logProbOf(lp);
      expectShape(Number.isInteger(id) && logProb !== undefined && Array.isArray(step), context, url, `token ${t} of item ${i}`, item);
      tokens.push(id as number);
      logProbs.push(logProb);
      return topList(
        (step as unknown[][]).map(([stepLp, stepId]) => ({ id: stepId as number, logProb: logProbOf(stepLp) ?? Number.NaN })),
        k,
      );
    });
    return { tokens, logProbs, top };
  });
};
