/**
 * `@reasonflow/backend-remote` (vLLM dialect) against `reasonflow serve` itself: the server's path
 * requests (token-id prompts, `logprobs`) must let a remote ReasonFlow commit exactly the tokens of the
 * local one over the same model.
 */
import type { AddressInfo } from 'node:net';
import { generateOverPaths, RemotePathSource, TopLogProbsLimitError } from '@reasonflow/backend-remote';
import { type DecoderModel, DecoderPathSource, type DecoderSequence, type ReasonFlowConfigInput } from '@reasonflow/core';
import { modelPath } from '@reasonflow/model-tiny';
import { ReasonFlow } from 'reasonflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../src/serve/api-error.js';
import { parseOpenAIRequest } from '../src/serve/openai-request.js';
import { parseServeOptions } from '../src/serve/serve-options.js';
import { ReasonFlowServer } from '../src/serve/server.js';
import { type Json, postJson } from './helpers/serve-client.js';

const MODEL = 'reasonflow-tiny';
const VOCAB = 100;

let rf: ReasonFlow;
let local: DecoderPathSource;
let eos: readonly number[];
const servers: ReasonFlowServer[] = [];

async function startServer(options: { maxLogprobs?: number; over?: ReasonFlow } = {}): Promise<string> {
  const server = new ReasonFlowServer(options.over ?? rf, {
    modelId: MODEL,
    maxQueue: 16,
    maxConcurrent: 1,
    ...(options.maxLogprobs !== undefined ? { maxLogprobs: options.maxLogprobs } : {}),
  });
  const address: AddressInfo = await server.listen(0, '127.0.0.1');
  servers.push(server);
  return `http://127.0.0.1:${address.port}`;
}

function remoteSource(base: string, maxTopLogProbs = VOCAB): RemotePathSource {
  return new RemotePathSource({ engine: 'vllm', baseUrl: base, model: MODEL, vocabSize: VOCAB, maxSequenceLength: 256, eosTokenIds: eos, maxTopLogProbs });
}

const status = async (base: string) => (await (await fetch(`${base}/v1/reasonflow/status`)).json()) as Json;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let base: string;
beforeAll(async () => {
  rf = await ReasonFlow.fromPretrained(modelPath, { device: 'cpu' });
  local = new DecoderPathSource(rf.model);
  eos = rf.tokenizer.eosTokenIds ?? rf.model.info.eosTokenIds;
  base = await startServer({ maxLogprobs: VOCAB });
}, 60_000);

afterAll(async () => {
  for (const server of servers) await server.shutdown(0);
  await rf.dispose();
});

describe('reasonflow serve, vLLM dialect of /v1/completions', () => {
  it('token-id prompts (batched) with logprobs answer with the local PathSource paths, keys token_id:N', async () => {
    const prompts = [rf.encode('4071+985='), rf.encode('The cat')];
    const { status: code, json } = await postJson(base, '/v1/completions', {
      model: MODEL,
      prompt: prompts,
      max_tokens: 6,
      temperature: 0,
      n: 1,
      logprobs: 5,
      return_tokens_as_token_ids: true,
      ignore_eos: true,
      skip_special_tokens: false,
      stream: false,
    });
    expect(code).toBe(200);
    expect(json).toMatchObject({ object: 'text_completion', model: MODEL });
    expect(json.choices).toHaveLength(2);
    expect(json.usage).toEqual({ prompt_tokens: prompts[0]!.length + prompts[1]!.length, completion_tokens: 12, total_tokens: prompts[0]!.length + prompts[1]!.length + 12 });
    for (const [i, prompt] of prompts.entries()) {
      const [want] = await local.extend(prompt, [{ forced: [], steps: 6, temperature: 0 }], { topLogProbs: 5 });
      const choice = json.choices[i];
      expect(choice.index).toBe(i);
      expect(choice.finish_reason).toBe('length');
      expect(choice.text).toBe(rf.tokenizer.decode(want!.tokens, { skipSpecialTokens: false }));
      expect(choice.logprobs.tokens).toEqual(want!.tokens.map((id) => `token_id:${id}`));
      expect(choice.logprobs.token_logprobs).toEqual(want!.logProbs);
      expect(choice.logprobs.text_offset).toEqual([0, 1, 2, 3, 4, 5]); // character-level tokenizer
      // Greedy: the chosen token is the most probable, so each map holds exactly the top 5.
      expect(choice.logprobs.top_logprobs).toEqual(want!.top.map((t) => Object.fromEntries(t.ids.map((id, j) => [`token_id:${id}`, t.logProbs[j]]))));
    }
  });

  it('temperature and seed sample as the local source does; text prompts and logprobs 0 work; EOS ends a path unless ignore_eos', async () => {
    const prompt = rf.encode('Once upon a time');
    const sampled = await postJson(base, '/v1/completions', { prompt, max_tokens: 12, temperature: 1.5, seed: 11, logprobs: 0, ignore_eos: true });
    const [want] = await local.extend(prompt, [{ forced: [], steps: 12, temperature: 1.5, seed: 11 }], { topLogProbs: 1 });
    const choice = sampled.json.choices[0];
    expect(choice.logprobs.token_logprobs).toEqual(want!.logProbs);
    // logprobs: 0 names only the chosen token, by its text when token ids were not asked for.
    expect(choice.logprobs.top_logprobs).toEqual(want!.tokens.map((id, i) => ({ [rf.tokenizer.decode([id], { skipSpecialTokens: false })]: want!.logProbs[i] })));
    expect(choice.text).toBe(rf.tokenizer.decode(want!.tokens, { skipSpecialTokens: true }));
    const greedy = await local.extend(prompt, [{ forced: [], steps: 12, temperature: 0 }], { topLogProbs: 1 });
    expect(want!.tokens).not.toEqual(greedy[0]!.tokens);

    // A text prompt is encoded with BOS, as the ReasonFlow path does.
    const text = await postJson(base, '/v1/completions', { prompt: 'Once upon a time', max_tokens: 12, temperature: 0, logprobs: 2 });
    expect(text.json.usage.prompt_tokens).toBe(prompt.length);
    expect(text.json.choices[0].logprobs.token_logprobs).toEqual(greedy[0]!.logProbs);
    // Without logprobs, a token-id prompt still answers (plain decoding), logprobs null.
    const plain = await postJson(base, '/v1/completions', { prompt, max_tokens: 12 });
    expect(plain.json.choices[0]).toEqual({ index: 0, text: rf.tokenizer.decode(greedy[0]!.tokens, { skipSpecialTokens: true }), logprobs: null, finish_reason: 'length' });

    // Greedy decoding of this prompt meets EOS at token 59 (index 58).
    const [long] = await local.extend(prompt, [{ forced: [], steps: 70, temperature: 0 }], { topLogProbs: 1 });
    const eosAt = long!.tokens.findIndex((id) => eos.includes(id));
    expect(eosAt).toBeGreaterThan(0);
    const stopped = (await postJson(base, '/v1/completions', { prompt, max_tokens: 70, logprobs: 1, return_tokens_as_token_ids: true })).json.choices[0];
    expect(stopped.finish_reason).toBe('stop');
    expect(stopped.logprobs.tokens).toEqual(long!.tokens.slice(0, eosAt + 1).map((id) => `token_id:${id}`));
    const ignored = (await postJson(base, '/v1/completions', { prompt, max_tokens: 70, logprobs: 1, ignore_eos: true })).json.choices[0];
    expect([ignored.finish_reason, ignored.logprobs.tokens.length]).toEqual(['length', 70]);
  });

  it('refuses what plain decoding cannot honour, and logprobs above --max-logprobs with vLLM wording', async () => {
    const capped = await startServer();
    const over = await postJson(capped, '/v1/completions', { prompt: [5, 6], logprobs: 21 });
    expect(over.status).toBe(400);
    expect(over.json.error).toMatchObject({ param: 'logprobs', code: 'invalid_value' });
    expect(over.json.error.message).toContain('Requested sample logprobs of 21, which is greater than max allowed: 20');
    expect((await postJson(capped, '/v1/completions', { prompt: [5, 6], logprobs: 20, max_tokens: 1 })).status).toBe(200);
    const cases: [unknown, string | null, string | null][] = [
      [{ prompt: [5, VOCAB] }, 'prompt', 'invalid_value'],
      [{ prompt: [[5], [6, -1]] }, 'prompt[1]', 'invalid_value'],
      [{ prompt: [[5], []] }, 'prompt', null],
      [{ prompt: [5], reasonflow: { num_of_thinkers: 4 } }, 'reasonflow', 'unsupported_parameter'],
      [{ prompt: 'a', logprobs: 2, stop: 'x' }, 'stop', 'unsupported_parameter'],
      [{ prompt: [5], stream: true }, 'stream', 'unsupported_parameter'],
      [{ prompt: [5], top_p: 0.5 }, 'top_p', 'unsupported_parameter'],
      [{ prompt: 'a', logprobs: -1 }, 'logprobs', 'invalid_value'],
      [{ prompt: 'a', logprobs: true }, 'logprobs', 'invalid_value'],
      [{ prompt: 'a', ignore_eos: true }, 'ignore_eos', 'unsupported_parameter'],
      [{ prompt: [5], ignore_eos: 'yes' }, 'ignore_eos', null],
      [{ prompt: Array.from({ length: 257 }, () => 5), logprobs: 1 }, null, 'context_length_exceeded'],
    ];
    for (const [body, param, code] of cases) {
      const { status: got, json } = await postJson(capped, '/v1/completions', body);
      expect([got, json.error.param, json.error.code], JSON.stringify(body).slice(0, 80)).toEqual([400, param, code]);
    }
    // Chat keeps refusing log-probabilities; neutral vLLM fields leave a ReasonFlow request as it was.
    const chat = await postJson(capped, '/v1/chat/completions', { messages: [{ role: 'user', content: 'a' }], logprobs: true });
    expect([chat.status, chat.json.error.param, chat.json.error.code]).toEqual([400, 'logprobs', 'unsupported_parameter']);
    const neutral = parseOpenAIRequest('completions', { prompt: 'a', logprobs: false, ignore_eos: false, skip_special_tokens: true, return_tokens_as_token_ids: true }, MODEL);
    expect([neutral.paths, neutral.input]).toEqual([undefined, 'a']);
    expect(() => parseOpenAIRequest('completions', { prompt: 'a', logprobs: 3 }, MODEL, { maxLogprobs: 2 })).toThrow(ApiError);
    expect(parseServeOptions([]).maxLogprobs).toBe(20);
    expect(parseServeOptions(['--max-logprobs', '100']).maxLogprobs).toBe(100);
  });
});

describe('RemotePathSource (vLLM) against reasonflow serve', () => {
  // A prompt on which ReasonFlow N=4 T=4 leaves the greedy path at its second token.
  const promptIds = () => rf.encode('Once upon a time');
  const cases: [string, ReasonFlowConfigInput][] = [
    ['greedy', { numOfThinkers: 1 }],
    ['N=4 T=4', { numOfThinkers: 4, numOfThoughts: 4 }],
    ['N=4 T=4 K=2', { numOfThinkers: 4, numOfThoughts: 4, topkThinkers: 2 }],
    ['N=4 T=4 path acceptance', { numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true }],
    ['N=4 T=4 path acceptance + narrowing', { numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true, narrowWhenConfident: true }],
  ];
  const greedyTokens: number[][] = [];
  const rowsRequested = new Map<string, number>();

  for (const [name, config] of cases) {
    it(`${name}: remote ReasonFlow commits exactly the local tokens (top-k = vocabulary), no uncertified decisions`, async () => {
      const remote = remoteSource(base);
      const options = { maxNewTokens: 24, eosTokenIds: eos };
      const search = { config, topLogProbs: VOCAB };
      const there = await generateOverPaths(remote, promptIds(), options, search);
      const here = await generateOverPaths(local, promptIds(), options, search);
      expect(there.tokenIds).toEqual(here.tokenIds);
      expect(there.bestThinkersSummary).toEqual(here.bestThinkersSummary);
      expect(there.stopReason).toBe(here.stopReason);
      expect(there.tokenIds.length).toBeGreaterThan(0);
      expect([there.stats.uncertifiedDecisions, here.stats.uncertifiedDecisions]).toEqual([0, 0]);
      expect(there.stats.decisions).toBe(here.stats.decisions);
      // Every round trip was answered over HTTP, one request per group of identical row settings.
      expect(remote.usage.requests).toBeGreaterThanOrEqual(there.stats.roundTrips);
      expect(there.stats.rowsRequested).toBe(here.stats.rowsRequested);
      rowsRequested.set(name, there.stats.rowsRequested);
      if (name === 'greedy') greedyTokens.push(there.tokenIds);
      else if (name === 'N=4 T=4') expect(there.tokenIds).not.toEqual(greedyTokens[0]);
      // Narrowing asks the server for one row while the tokens are confident.
      if (config.narrowWhenConfident) expect(there.stats.rowsRequested).toBeLessThan(rowsRequested.get('N=4 T=4 path acceptance')!);
    }, 120_000);
  }

  it('topLogProbs above the server\'s --max-logprobs is a TopLogProbsLimitError naming the limit', async () => {
    const capped = await startServer({ maxLogprobs: 20 });
    const run = generateOverPaths(remoteSource(capped), promptIds(), { maxNewTokens: 4 }, { config: { numOfThinkers: 2 }, topLogProbs: 50 });
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TopLogProbsLimitError);
    expect(error).toMatchObject({ requested: 50, limit: 20, status: 400 });
  });

  it('aborting mid-run cancels the request on the server: it stops decoding, nothing left live', async () => {
    const controller = new AbortController();
    let forwards = 0;
    // The served model is the embedded one, slowed to 40 ms a forward pass, aborting the client at the third.
    const slow = slowed(rf.model, 40, () => {
      forwards++;
      if (forwards === 3) controller.abort();
    });
    const slowBase = await startServer({ maxLogprobs: VOCAB, over: new ReasonFlow(rf.config, slow, rf.tokenizer) });
    const started = performance.now();
    const result = await generateOverPaths(remoteSource(slowBase), promptIds(), { maxNewTokens: 40, signal: controller.signal }, {
      config: { numOfThinkers: 4, numOfThoughts: 8 },
      topLogProbs: VOCAB,
    });
    expect(result.stopReason).toBe('aborted');
    expect(result.tokenIds).toEqual([]);
    expect(performance.now() - started).toBeLessThan(5_000);
    let after = await status(slowBase);
    for (let i = 0; i < 100 && after.active > 0; i++) {
      await sleep(20);
      after = await status(slowBase);
    }
    expect(after).toMatchObject({ active: 0, queued: 0, resources: { tensors: 0, sequences: 0, engineTensors: 0, pathTensors: 0 } });
    // The first request asks for one 8-step path (8 forward passes); the server gave up after the disconnect.
    const seen = forwards;
    expect(seen).toBeLessThan(8);
    await sleep(200);
    expect(forwards).toBe(seen);
  });
});

/** The model with every forward pass delayed, `onForward` told before each. */
function slowed(model: DecoderModel, delayMs: number, onForward: () => void): DecoderModel {
  return {
    info: model.info,
    ...(model.embedTokens ? { embedTokens: (tokens: Int32Array) => model.embedTokens!(tokens) } : {}),
    ...(model.resources ? { resources: () => model.resources!() } : {}),
    async startSequence(options): Promise<DecoderSequence> {
      const sequence = await model.startSequence(options);
      return {
        get rows() {
          return sequence.rows;
        },
        get length() {
          return sequence.length;
        },
        async forward(input) {
          onForward();
          await sleep(delayMs);
          return sequence.forward(input);
        },
        selectRows: (rows) => sequence.selectRows(rows),
        truncate: (length) => sequence.truncate(length),
        dispose: () => sequence.dispose(),
      };
    },
  };
}
