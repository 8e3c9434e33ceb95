import type { AddressInfo } from 'node:net';
import { modelPath } from '@reasonflow/model-tiny';
import OpenAI from 'openai';
import { ReasonFlow } from 'reasonflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReasonFlowServer } from '../src/serve/server.js';
import { type ErrorBody, type Json, postJson, postStream, streamedText } from './helpers/serve-client.js';

const MODEL = 'reasonflow-tiny';
const PROMPT = 'Once upon a time';
/** About 2 s on one core: 8 thinkers looking 8 steps ahead until EOS (59 tokens). */
const SLOW = { prompt: PROMPT, max_tokens: 200, temperature: 0, reasonflow: { num_of_thinkers: 8, num_of_thoughts: 8 } };

let rf: ReasonFlow;
const servers: ReasonFlowServer[] = [];

async function startServer(options: { maxQueue?: number; maxConcurrent?: number } = {}): Promise<{ server: ReasonFlowServer; base: string }> {
  const server = new ReasonFlowServer(rf, { modelId: MODEL, maxQueue: options.maxQueue ?? 16, maxConcurrent: options.maxConcurrent ?? 1 });
  const address: AddressInfo = await server.listen(0, '127.0.0.1');
  servers.push(server);
  return { server, base: `http://127.0.0.1:${address.port}` };
}

let base: string;
beforeAll(async () => {
  rf = await ReasonFlow.fromPretrained(modelPath, { device: 'cpu' });
  ({ base } = await startServer());
});

afterAll(async () => {
  for (const server of servers) await server.shutdown(0);
  await rf.dispose();
});

const status = async (url = base) => (await (await fetch(`${url}/v1/reasonflow/status`)).json()) as Json;

describe('reasonflow serve (in-process, embedded model)', () => {
  it('GET /v1/models lists the served model; /v1/models/{id} returns it or a 404', async () => {
    const list = await (await fetch(`${base}/v1/models`)).json();
    expect(list).toEqual({ object: 'list', data: [{ id: MODEL, object: 'model', created: expect.any(Number), owned_by: 'reasonflow' }] });
    expect(await (await fetch(`${base}/v1/models/${MODEL}`)).json()).toEqual(list.data[0]);
    const missing = await fetch(`${base}/v1/models/gpt-4`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorBody).error).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('POST /v1/completions answers in the OpenAI shape with usage and a reasonflow extension', async () => {
    const { status: code, json } = await postJson(base, '/v1/completions', { model: MODEL, prompt: PROMPT, max_tokens: 12, temperature: 0 });
    expect(code).toBe(200);
    expect(json).toMatchObject({ id: expect.stringMatching(/^cmpl-/), object: 'text_completion', created: expect.any(Number), model: MODEL });
    expect(json.choices).toHaveLength(1);
    expect(json.choices[0]).toEqual({ index: 0, text: expect.any(String), logprobs: null, finish_reason: 'length' });
    expect(json.choices[0].text.length).toBeGreaterThan(0);
    // The tiny model's tokenizer is character-level: BOS plus one token per character.
    expect(json.usage).toEqual({ prompt_tokens: PROMPT.length + 1, completion_tokens: 12, total_tokens: PROMPT.length + 13 });
    expect(json.reasonflow).toMatchObject({ stop_reason: 'max-new-tokens', tokens_committed: 12, iterations: 12, execution_provider: 'cpu' });
    expect(json.reasonflow.config.numOfThinkers).toBe(1);
  });

  it('POST /v1/chat/completions renders the messages with the chat template', async () => {
    const messages = [{ role: 'user', content: PROMPT }];
    const { json } = await postJson(base, '/v1/chat/completions', { model: MODEL, messages, max_tokens: 10, temperature: 0 });
    expect(json).toMatchObject({ id: expect.stringMatching(/^chatcmpl-/), object: 'chat.completion', model: MODEL });
    expect(json.choices[0]).toEqual({ index: 0, message: { role: 'assistant', content: expect.any(String), refusal: null }, logprobs: null, finish_reason: 'length' });
    expect(json.usage.prompt_tokens).toBe(rf.encode(messages).length);
    // The same as the library given the messages: the server adds nothing of its own.
    const direct = await rf.generateThoughts(messages, { maxNewTokens: 10 });
    expect(json.choices[0].message.content).toBe(direct.output);
    expect(json.usage.completion_tokens).toBe(direct.tokenIds.length);
  });

  it('streamed chunks concatenate to the non-streamed text (greedy), with SSE framing and [DONE]', async () => {
    for (const [path, body] of [
      ['/v1/completions', { prompt: PROMPT, max_tokens: 40, temperature: 0 }],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: PROMPT }], max_tokens: 40, temperature: 0 }],
      ['/v1/completions', { prompt: PROMPT, max_tokens: 80, temperature: 0, reasonflow: { num_of_thinkers: 4, num_of_thoughts: 4, path_acceptance: true } }],
    ] as const) {
      const whole = await postJson(base, path, body);
      const chat = path.includes('chat');
      const full: string = chat ? whole.json.choices[0].message.content : whole.json.choices[0].text;
      const streamed = await postStream(base, path, { ...body, stream_options: { include_usage: true } });
      expect(streamed.status).toBe(200);
      expect(streamed.contentType).toMatch(/^text\/event-stream/);
      const { events } = streamed;
      expect(events.at(-1)).toBe('[DONE]');
      expect(streamedText(events)).toBe(full);
      const chunks = events.slice(0, -1);
      expect(new Set(chunks.map((e) => e.id)).size).toBe(1);
      expect(chunks.every((e) => e.object === (chat ? 'chat.completion.chunk' : 'text_completion'))).toBe(true);
      // Content chunks, then one with the finish reason (and the extension), then the usage chunk.
      const finishChunk = chunks.at(-2);
      expect(finishChunk.choices[0].finish_reason).toBe(whole.json.choices[0].finish_reason);
      expect(finishChunk.reasonflow.tokens_committed).toBe(whole.json.reasonflow.tokens_committed);
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: whole.json.usage });
      expect(chunks.slice(0, -2).every((e) => e.choices[0].finish_reason === null)).toBe(true);
      if (chat) {
        expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
        expect(chunks.slice(1).every((e) => !('role' in (e.choices[0]?.delta ?? {})))).toBe(true);
      }
      expect(chunks.length).toBeGreaterThan(4); // streamed as it grew, not in one piece
    }
  });

  it('the reasonflow field sets the search: more rows computed, path acceptance commits several tokens per iteration', async () => {
    const body = { prompt: PROMPT, max_tokens: 40, temperature: 0 };
    const plain = (await postJson(base, '/v1/completions', body)).json.reasonflow;
    const searched = (await postJson(base, '/v1/completions', { ...body, reasonflow: { num_of_thinkers: 4, num_of_thoughts: 4, topkThinkers: 2 } })).json.reasonflow;
    const accepted = (await postJson(base, '/v1/completions', { ...body, reasonflow: { num_of_thinkers: 4, num_of_thoughts: 4, path_acceptance: true } })).json.reasonflow;
    expect(plain.config).toMatchObject({ numOfThinkers: 1, numOfThoughts: 3 });
    expect(searched.config).toMatchObject({ numOfThinkers: 4, numOfThoughts: 4, topkThinkers: 2 });
    expect(plain.iterations).toBe(plain.tokens_committed);
    expect(plain.rows_computed).toBeLessThan(plain.tokens_committed + PROMPT.length + 2);
    expect(searched.rows_computed).toBeGreaterThan(4 * plain.rows_computed);
    expect(searched.best_thinkers_summary.every((rows: number[]) => rows.length === 2)).toBe(true);
    expect(accepted.config.pathAcceptance).toBe(true);
    expect(accepted.iterations).toBeLessThan(accepted.tokens_committed);
  });

  it('stop sequences end the answer before the sequence, streamed or not; temperature > 0 samples reproducibly by seed', async () => {
    const reference = (await postJson(base, '/v1/completions', { prompt: PROMPT, max_tokens: 40, temperature: 0 })).json.choices[0].text as string;
    const stop = reference.slice(10, 13);
    const expected = reference.slice(0, reference.indexOf(stop));
    const body = { prompt: PROMPT, max_tokens: 40, temperature: 0, stop: [stop, '@@never@@'] };
    const cut = (await postJson(base, '/v1/completions', body)).json;
    expect(cut.choices[0]).toMatchObject({ text: expected, finish_reason: 'stop' });
    expect(cut.reasonflow.stop_reason).toBe('stop-string');
    expect(streamedText((await postStream(base, '/v1/completions', body)).events)).toBe(expected);

    const sample = async (seed: number) =>
      (await postJson(base, '/v1/completions', { prompt: PROMPT, max_tokens: 30, temperature: 1.5, seed })).json.choices[0].text as string;
    const samples = await Promise.all([1, 2, 3, 4].map(sample));
    expect(await sample(1)).toBe(samples[0]);
    expect(samples.some((text) => text !== reference.slice(0, text.length))).toBe(true);
  });

  it('bad requests get OpenAI-style 400s naming the field; unknown routes 404, wrong methods 405', async () => {
    const badJson = await postJson(base, '/v1/completions', '{"prompt": "x",');
    expect(badJson.status).toBe(400);
    expect(badJson.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null });

    const unknown = await postJson(base, '/v1/completions', { prompt: 'x', reasonflow: { num_of_thinker: 4 } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toContain('did you mean "num_of_thinkers"?');
    expect(unknown.json.error.param).toBe('reasonflow.num_of_thinker');

    const badValue = await postJson(base, '/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], reasonflow: { num_of_thinkers: 2, topk_thinkers: 3 } });
    expect(badValue.status).toBe(400);
    expect(badValue.json.error).toMatchObject({ type: 'invalid_request_error', param: 'reasonflow.topkThinkers', code: 'invalid_value' });
    expect(badValue.json.error.message).toContain('numOfThinkers=2');

    const badOption = await postJson(base, '/v1/completions', { prompt: 'x', top_p: 1.5 });
    expect(badOption.json.error).toMatchObject({ param: 'top_p', message: 'Invalid "top_p": got 1.5, expected a number in (0, 1].' });

    const tooLong = await postJson(base, '/v1/completions', { prompt: 'x'.repeat(300) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error.code).toBe('context_length_exceeded');

    const route = await fetch(`${base}/v1/embeddings`, { method: 'POST', body: '{}' });
    expect(route.status).toBe(404);
    expect(((await route.json()) as ErrorBody).error).toMatchObject({ type: 'invalid_request_error', code: 'not_found' });
    const method = await fetch(`${base}/v1/chat/completions`);
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('POST');
    expect(((await method.json()) as ErrorBody).error.code).toBe('method_not_allowed');
  });

  it('a client that disconnects mid-stream aborts its generation: the model is free at once, nothing left live', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/v1/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...SLOW, stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^data: /);
    controller.abort();
    const next = (await postJson(base, '/v1/completions', { prompt: PROMPT, max_tokens: 4, temperature: 0 })).json;
    expect(next.choices[0].text.length).toBeGreaterThan(0);
    // The slow generation takes ~2 s alone; had it run on, the next request would have queued behind it.
    expect(next.reasonflow.queue_time_ms).toBeLessThan(500);
    const after = await status();
    expect(after).toMatchObject({ active: 0, queued: 0, resources: { tensors: 0, sequences: 0, engineTensors: 0 } });
  });

  it('a full queue answers 429 at once; the admitted requests are served in order', async () => {
    const { base: small } = await startServer({ maxQueue: 1 });
    const first = postJson(small, '/v1/completions', SLOW);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = postJson(small, '/v1/completions', { ...SLOW, max_tokens: 5 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await status(small)).toMatchObject({ active: 1, queued: 1, max_queue: 1 });
    const third = await postJson(small, '/v1/completions', SLOW);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(third.json.error).toMatchObject({ type: 'rate_limit_exceeded', code: 'queue_full', param: null });
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.json.reasonflow.queue_time_ms).toBeGreaterThan(a.json.reasonflow.total_time_ms * 0.5);
  });

  it('--max-concurrent 2 runs two generations at once on the one model without crossing them', async () => {
    const { base: wide } = await startServer({ maxConcurrent: 2 });
    const bodies = [
      { ...SLOW, max_tokens: 24, reasonflow: { num_of_thinkers: 4, num_of_thoughts: 4 } },
      { ...SLOW, max_tokens: 24, reasonflow: { num_of_thinkers: 4, num_of_thoughts: 4 }, prompt: '4071+985=' },
    ];
    const alone = [];
    for (const body of bodies) alone.push((await postJson(wide, '/v1/completions', body)).json);
    const together = await Promise.all(bodies.map((body) => postJson(wide, '/v1/completions', body)));
    expect(together.map((r) => r.json.choices[0].text)).toEqual(alone.map((r) => r.choices[0].text));
    expect(alone[0].choices[0].text).not.toBe(alone[1].choices[0].text);
    // Both started at once: neither waited in the queue.
    expect(together.every((r) => r.json.reasonflow.queue_time_ms < 100)).toBe(true);
    expect(await status(wide)).toMatchObject({ active: 0, resources: { tensors: 0, sequences: 0 } });
  });

  it('works with the openai npm client unchanged: completions, chat, streaming, the reasonflow field, errors', async () => {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'x', maxRetries: 0 });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([MODEL]);

    const completion = await client.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 20, temperature: 0 });
    const direct = await postJson(base, '/v1/completions', { prompt: PROMPT, max_tokens: 20, temperature: 0 });
    expect(completion.choices[0]!.text).toBe(direct.json.choices[0].text);
    expect(completion.usage).toEqual(direct.json.usage);

    const settings = { num_of_thinkers: 4, num_of_thoughts: 4, path_acceptance: true };
    // An extra body field: the client's types do not know it (a spread escapes the excess-property
    // check), and the client forwards it as is.
    const extra = { reasonflow: settings };
    const chat = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: 30,
      temperature: 0,
      ...extra,
    });
    const extension = (chat as unknown as { reasonflow: { config: Record<string, unknown> } }).reasonflow;
    expect(extension.config).toMatchObject({ numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true });
    expect(chat.choices[0]!.message.role).toBe('assistant');

    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: 30,
      temperature: 0,
      stream: true,
      ...extra,
    });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(chat.choices[0]!.message.content);
    expect(finish).toBe(chat.choices[0]!.finish_reason);

    const completionStream = await client.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 20, temperature: 0, stream: true });
    let streamed = '';
    for await (const chunk of completionStream) streamed += chunk.choices[0]?.text ?? '';
    expect(streamed).toBe(completion.choices[0]!.text);

    const refused = await client.completions.create({ model: MODEL, prompt: PROMPT, n: 2 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused).toMatchObject({ status: 400, param: 'n', code: 'unsupported_parameter', type: 'invalid_request_error' });
    const wrongModel = await client.completions.create({ model: 'gpt-4o', prompt: PROMPT }).catch((error: unknown) => error);
    expect(wrongModel).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
