import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/serve/api-error.js';
import { servedModelId } from '../src/serve/command.js';
import { GenerationQueue, QueueClosedError, QueueFullError } from '../src/serve/generation-queue.js';
import { parseOpenAIRequest } from '../src/serve/openai-request.js';
import { parseServeOptions } from '../src/serve/serve-options.js';
import { applyStopSequences, StopSequenceFilter } from '../src/serve/stop-sequences.js';
import { UsageError } from '../src/options.js';

describe('stop sequences', () => {
  it('cut before the first stop, streamed or whole', () => {
    const text = 'alpha beta STOP gamma END';
    const stops = ['END', 'STOP'];
    expect(applyStopSequences(text, stops)).toBe('alpha beta ');
    for (const pieces of [text.split(''), text.split(' ').map((w, i) => (i ? ` ${w}` : w)), [text]]) {
      const filter = new StopSequenceFilter(stops);
      const shown = pieces.map((piece) => filter.push(piece));
      expect(shown.join('') + filter.finish()).toBe('alpha beta ');
      // Nothing beyond the stop was ever shown, not even a partial "S".
      expect(shown.join('')).not.toContain('S');
    }
  });

  it('release held-back text once it cannot start a stop, and all of it at the end', () => {
    const filter = new StopSequenceFilter(['###']);
    expect(filter.push('ab#')).toBe('a');
    expect(filter.push('#c')).toBe('b#');
    expect(filter.finish()).toBe('#c');
    expect(applyStopSequences('no stops here', [])).toBe('no stops here');
  });
});

describe('GenerationQueue', () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('runs one task at a time in arrival order, bounded, and refuses beyond the bound', async () => {
    const queue = new GenerationQueue(2, 1);
    const order: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const runs = gates.map((gate, i) =>
      queue.run(async () => {
        order.push(`start ${i}`);
        await gate.promise;
        order.push(`end ${i}`);
        return i;
      }),
    );
    await expect(queue.run(async () => 'too many')).rejects.toBeInstanceOf(QueueFullError);
    expect([queue.active, queue.queued]).toEqual([1, 2]);
    gates[2]!.resolve();
    gates[1]!.resolve();
    gates[0]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(order).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
    expect([queue.active, queue.queued]).toEqual([0, 0]);
  });

  it('takes an aborted waiter out of the queue; close() rejects the waiting and refuses new ones', async () => {
    const queue = new GenerationQueue(4, 1);
    const gate = deferred();
    const first = queue.run(() => gate.promise);
    const leaving = new AbortController();
    const left = queue.run(async () => 'never', leaving.signal);
    const waiting = queue.run(async () => 'never');
    leaving.abort(new Error('client left'));
    await expect(left).rejects.toThrow('client left');
    expect(queue.queued).toBe(1);
    queue.close();
    await expect(waiting).rejects.toBeInstanceOf(QueueClosedError);
    await expect(queue.run(async () => 'late')).rejects.toBeInstanceOf(QueueClosedError);
    let idle = false;
    const idlePromise = queue.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    gate.resolve();
    await first;
    await idlePromise;
    expect(idle).toBe(true);
  });
});

describe('serve options', () => {
  it('parses every flag, with defaults', () => {
    expect(parseServeOptions([])).toMatchObject({ host: '127.0.0.1', port: 8000, maxQueue: 16, maxConcurrent: 1, shutdownGraceMs: 10000, device: 'auto' });
    expect(
      parseServeOptions(['--model', '/m/qwen', '--port', '0', '--host', '0.0.0.0', '--max-queue', '0', '--max-concurrent', '2', '--shutdown-grace-ms', '50', '--model-id', 'q']),
    ).toMatchObject({ model: '/m/qwen', port: 0, host: '0.0.0.0', maxQueue: 0, maxConcurrent: 2, shutdownGraceMs: 50, modelId: 'q' });
    expect(servedModelId({ model: '/models/Qwen2.5-0.5B/', modelId: undefined })).toBe('Qwen2.5-0.5B');
    expect(servedModelId({ model: undefined, modelId: undefined })).toBe('reasonflow-tiny');
  });

  it('refuses bad values with a usage error', () => {
    for (const args of [['--port', '70000'], ['--port', 'x'], ['--max-concurrent', '0'], ['--max-queue', '-1'], ['--device', 'tpu'], ['hello'], ['-n', '4']]) {
      expect(() => parseServeOptions(args), args.join(' ')).toThrow(UsageError);
    }
  });
});

describe('OpenAI request mapping', () => {
  const parse = (body: unknown, endpoint: 'completions' | 'chat' = 'completions') => parseOpenAIRequest(endpoint, body, 'tiny');
  const failure = (body: unknown, endpoint: 'completions' | 'chat' = 'completions') => {
    try {
      parse(body, endpoint);
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      return error as ApiError;
    }
    throw new Error('expected an ApiError');
  };

  it('maps OpenAI fields to the facade options explicitly', () => {
    const r = parse({ model: 'tiny', prompt: ['hi'], max_tokens: 5, temperature: 0.7, top_p: 0.9, seed: 3, stop: 'x', user: 'me', n: 1, logprobs: null, reasonflow: { num_of_thinkers: 4, topkThinkers: 2 } });
    expect(r.input).toBe('hi');
    expect(r.options).toEqual({ maxNewTokens: 5, doSample: true, temperature: 0.7, topP: 0.9, samplingSeed: 3, stopStrings: ['x'] });
    expect([r.config.numOfThinkers, r.config.topkThinkers, r.config.numOfThoughts]).toEqual([4, 2, 3]);
    expect(parse({ prompt: 'hi', temperature: 0 }).options).toEqual({ doSample: false });
    const chat = parse({ messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }], max_completion_tokens: 7, stream: true, stream_options: { include_usage: true } }, 'chat');
    expect(chat.input).toEqual([{ role: 'user', content: 'ab' }]);
    expect([chat.options.maxNewTokens, chat.stream, chat.includeUsage]).toEqual([7, true, true]);
  });

  it('refuses what it cannot honour, naming the field', () => {
    const cases: [unknown, number, string | null, string | null][] = [
      [[1, 2], 400, null, 'invalid_body'],
      [{ prompt: 'a', n: 2 }, 400, 'n', 'unsupported_parameter'],
      // logprobs ≤ --max-logprobs (default 20) are served by plain decoding (serve-remote.test.ts).
      [{ prompt: 'a', logprobs: 21 }, 400, 'logprobs', 'invalid_value'],
      [{ prompt: 'a', max_tokns: 2 }, 400, 'max_tokns', 'unknown_parameter'],
      [{ prompt: 'a', model: 'gpt-4' }, 404, 'model', 'model_not_found'],
      [{ prompt: ['a', 'b'] }, 400, 'prompt', null],
      [{}, 400, 'prompt', 'missing_required_parameter'],
      [{ prompt: 'a', max_tokens: 0 }, 400, 'max_tokens', 'invalid_value'],
      [{ prompt: 'a', temperature: '1' }, 400, 'temperature', null],
      [{ prompt: 'a', top_p: 2 }, 400, 'top_p', 'invalid_value'],
      [{ prompt: 'a', stop: [''] }, 400, 'stop', 'invalid_value'],
      [{ prompt: 'a', seed: 1.5 }, 400, 'seed', 'invalid_value'],
      [{ prompt: 'a', stream_options: { include_usage: true } }, 400, 'stream_options', null],
      [{ prompt: 'a', reasonflow: { topk_thinkers: 3 } }, 400, 'reasonflow.topkThinkers', 'invalid_value'],
      [{ prompt: 'a', reasonflow: 4 }, 400, 'reasonflow', null],
    ];
    for (const [body, status, param, code] of cases) {
      const error = failure(body);
      expect([error.status, error.param, error.code], JSON.stringify(body)).toEqual([status, param, code]);
    }
    expect(failure({ prompt: 'a', max_tokns: 2 }).message).toContain('did you mean "max_tokens"');
    expect(failure({ prompt: 'a', reasonflow: { num_of_thinker: 4 } }).message).toContain('did you mean "num_of_thinkers"');
    expect(failure({ messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }, 'chat').param).toBe('messages[0].content');
    expect(failure({ messages: [{ role: 'user', content: 'x' }], max_completion_tokens: -1 }, 'chat').param).toBe('max_completion_tokens');
  });
});
