import type { PathRowResult } from '@reasonflow/core';
import { TopLogProbsLimitError } from './errors.js';
import { allOrNothing, postJson } from './http.js';
import { expectShape, logProbOf, type ProtocolCall, type RowPrompt, topList } from './protocol.js';

const TOKEN_KEY = /^token_id:(-?\d+)$/;

/**
 * vLLM's `/v1/completions`: one set of sampling settings per request, so rows are grouped by identical
 * settings and each group is one request with a batch of token-id prompts; groups run concurrently.
 * `return_tokens_as_token_ids` makes the log-probability keys `token_id:N`, so no detokenization is
 * involved. Asking for more `logprobs` than `--max-logprobs` is a 400, surfaced as TopLogProbsLimitError.
 */
export const vllmCompletions: ProtocolCall = async (context, rows, k, signal) => {
  const url = `${context.baseUrl}/v1/completions`;
  const groups = new Map<string, number[]>();
  rows.forEach(({ request }, i) => {
    const key = `${request.steps}|${request.temperature}|${request.seed ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const results: PathRowResult[] = new Array(rows.length);
  await allOrNothing(
    signal,
    [...groups.values()].map((members) => async (groupSignal: AbortSignal) => {
      const group = members.map((i) => rows[i]!);
      const answers = await requestGroup(context, url, group, k, groupSignal);
      members.forEach((row, j) => {
        results[row] = answers[j]!;
      });
    }),
  );
  return results;
};

async function requestGroup(
  context: Parameters<ProtocolCall>[0],
  url: string,
  group: readonly RowPrompt[],
  k: number,
  signal: AbortSignal,
): Promise<PathRowResult[]> {
  const { request } = group[0]!;
  const body = {
    ...(context.model !== undefined ? { model: context.model } : {}),
    prompt: group.map((r) => r.prompt),
    max_tokens: request.steps,
    temperature: request.temperature,
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    n: 1,
    logprobs: k,
    return_tokens_as_token_ids: true,
    ignore_eos: true,
    skip_special_tokens: false,
    stream: false,
  };
  const answer = (await postJson(context.engine, url, body, context.http, signal, ({ status, body: text }) => {
    if (status !== 400 || !/logprobs/i.test(text)) return undefined;
    const limit = (/max(?:imum)? allowed:?\s*(\d+)/i.exec(text) ?? /max[_ -]logprobs\D{0,20}(\d+)/i.exec(text))?.[1];
    return new TopLogProbsLimitError(context.engine, url, status, text, k, limit === undefined ? undefined : Number(limit));
  })) as { choices?: unknown; usage?: { prompt_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null } };
  context.usage.requests++;
  const choices = answer?.choices;
  expectShape(Array.isArray(choices) && choices.length === group.length, context, url, `${group.length} choices`, answer);
  context.usage.promptTokens += group.reduce((sum, r) => sum + r.prompt.length, 0);
  context.usage.cachedPromptTokens += answer.usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const byIndex = [...(choices as { index?: number }[])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  return byIndex.map((choice, i): PathRowResult => {
    const logprobs = (choice as { logprobs?: { tokens?: unknown; token_logprobs?: unknown; top_logprobs?: unknown } }).logprobs;
    const names = logprobs?.tokens;
    const chosen = logprobs?.token_logprobs;
    const tops = logprobs?.top_logprobs;
    expectShape(
      Array.isArray(names) && Array.isArray(chosen) && Array.isArray(tops) && names.length === chosen.length && names.length === tops.length,
      context,
      url,
      `logprobs of choice ${i}`,
      choice,
    );
    const idOf = (name: unknown): number => {
      const match = typeof name === 'string' ? TOKEN_KEY.exec(name) : null;
      expectShape(match, context, url, `a token_id:N key (is return_tokens_as_token_ids supported?), got ${JSON.stringify(name)}`, choice);
      return Number(match[1]);
    };
    const tokens = (names as unknown[]).map(idOf);
    const logProbs = (chosen as unknown[]).map((lp) => logProbOf(lp) ?? Number.NaN);
    const top = (tops as Record<string, unknown>[]).map((entries) =>
      topList(
        Object.entries(entries ?? {}).map(([name, lp]) => ({ id: idOf(name), logProb: logProbOf(lp) ?? Number.NaN })),
        k,
      ),
    );
    return { tokens, logProbs, top };
  });
}
