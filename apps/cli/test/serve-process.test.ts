import { afterEach, describe, expect, it } from 'vitest';
import { type Json, postJson, postStream, streamedText } from './helpers/serve-client.js';
import { type SpawnedServer, spawnServer } from './helpers/spawn-server.js';

const PROMPT = 'Once upon a time';
/** About 2 s on one core: 8 thinkers looking 8 steps ahead until EOS (59 tokens). */
const SLOW = { prompt: PROMPT, max_tokens: 200, temperature: 0, reasonflow: { num_of_thinkers: 8, num_of_thoughts: 8 } };

let running: SpawnedServer | undefined;
afterEach(() => {
  running?.child.kill('SIGKILL');
  running = undefined;
});

const status = async (base: string) => (await (await fetch(`${base}/v1/reasonflow/status`)).json()) as Json;

/** Opens a streamed request and resolves once its first event arrived; `done` has the whole stream. */
async function openStream(base: string, body: unknown) {
  const response = await fetch(`${base}/v1/completions`, { method: 'POST', body: JSON.stringify({ ...(body as object), stream: true }) });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value);
  const done = (async () => {
    for (let part = await reader.read(); !part.done; part = await reader.read()) text += decoder.decode(part.value);
    return text.split('\n\n').filter(Boolean).map((block) => block.slice('data: '.length)).map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
  })();
  return { status: response.status, done };
}

describe('reasonflow serve (spawned)', () => {
  it('SIGTERM: stops accepting, finishes the in-flight request, answers the queued one 503, exits 0', async () => {
    const server = (running = await spawnServer([]));
    const alone = (await postJson(server.base, '/v1/completions', SLOW)).json.choices[0].text as string;
    const inFlight = await openStream(server.base, SLOW);
    const queued = postJson(server.base, '/v1/completions', { prompt: PROMPT, max_tokens: 5 });
    await expect.poll(async () => (await status(server.base)).queued).toBe(1);
    server.child.kill('SIGTERM');
    await server.waitForStderr(/SIGTERM: shutting down/);
    await expect(fetch(`${server.base}/v1/models`)).rejects.toThrow(); // no longer listening
    const waiting = await queued;
    expect(waiting.status).toBe(503);
    expect(waiting.json.error).toMatchObject({ code: 'shutting_down', type: 'server_error' });
    const events = await inFlight.done;
    expect(events.at(-1)).toBe('[DONE]');
    expect(streamedText(events)).toBe(alone);
    expect(events.at(-2).choices[0].finish_reason).toBe('stop');
    expect(await server.exit).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toMatch(/stopped\.\n$/);
  });

  it('SIGTERM past the grace period aborts the in-flight stream with an error event, then exits 0', async () => {
    const server = (running = await spawnServer(['--shutdown-grace-ms', '100']));
    const inFlight = await openStream(server.base, SLOW);
    server.child.kill('SIGTERM');
    const events = await inFlight.done;
    expect(events.at(-1)).toMatchObject({ error: { code: 'shutting_down', type: 'server_error' } });
    // Cut short: no chunk with a finish reason, no [DONE].
    expect(events.some((e) => e === '[DONE]' || e.choices?.[0]?.finish_reason)).toBe(false);
    expect(await server.exit).toEqual({ code: 0, signal: null });
  });

  it('load: 50 concurrent streamed requests, each equal to the same request alone, in bounded time, memory flat', async () => {
    const server = (running = await spawnServer(['--max-queue', '64']));
    const requests = Array.from({ length: 50 }, (_, i) => ({
      prompt: `${(i * 7919) % 1000}+${(i * 104729) % 1000}=`,
      max_tokens: 8 + (i % 5) * 4,
      temperature: 0,
      ...(i % 5 === 0 ? { reasonflow: { num_of_thinkers: 4, num_of_thoughts: 2 } } : {}),
    }));
    const alone: string[] = [];
    for (const body of requests) alone.push((await postJson(server.base, '/v1/completions', body)).json.choices[0].text);
    expect(new Set(alone).size).toBeGreaterThan(25); // different answers, so crossed outputs would show

    const round = async () => {
      const started = performance.now();
      const results = await Promise.all(requests.map((body) => postStream(server.base, '/v1/completions', body)));
      const elapsedMs = performance.now() - started;
      expect(results.every((r) => r.status === 200 && r.events.at(-1) === '[DONE]')).toBe(true);
      expect(results.map((r) => streamedText(r.events))).toEqual(alone);
      expect(new Set(results.map((r) => r.events[0].id)).size).toBe(50);
      return elapsedMs;
    };
    const firstMs = await round();
    const before = await status(server.base);
    const secondMs = await round();
    const after = await status(server.base);
    expect(Math.max(firstMs, secondMs)).toBeLessThan(60_000);
    expect(after).toMatchObject({ active: 0, queued: 0, resources: { tensors: 0, sequences: 0, engineTensors: 0 } });
    // A second identical round leaves resident memory about where the first left it.
    const growthMiB = (after.memory.rss - before.memory.rss) / 2 ** 20;
    console.log(`load: rounds ${firstMs.toFixed(0)} ms and ${secondMs.toFixed(0)} ms; RSS ${(before.memory.rss / 2 ** 20).toFixed(1)} → ${(after.memory.rss / 2 ** 20).toFixed(1)} MiB`);
    expect(growthMiB).toBeLessThan(24);
  });
});
