import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelPath } from '@reasonflow/model-tiny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ModelError, ReasonFlow, type TextChunk } from '../src/node.js';

let rf: ReasonFlow;

beforeAll(async () => {
  rf = await ReasonFlow.fromPretrained(modelPath, { onWarning: () => {} });
});
afterAll(async () => {
  await rf.dispose();
});

describe('bad inputs to the facade', () => {
  it('an already-aborted signal returns the aborted result with empty output', async () => {
    const result = await rf.generateThoughts('12+34=', { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ output: '', tokenIds: [], stopReason: 'aborted' });
    const chunks: TextChunk[] = [];
    const streamed = await rf.withConfig({ numOfThinkers: 3 }).generateThoughts('12+34=', {
      signal: AbortSignal.abort(),
      stream: (c) => chunks.push(c),
    });
    expect(streamed).toMatchObject({ output: '', stopReason: 'aborted' });
    expect(chunks).toEqual([]);
    const iterator = rf.stream('12+34=', { signal: AbortSignal.abort() });
    const step = await iterator.next();
    expect(step.done).toBe(true);
    expect(step.value).toMatchObject({ output: '', stopReason: 'aborted' });
  });

  it('per-call options accept snake_case and refuse unknown names with a suggestion', async () => {
    const result = await rf.generateThoughts('12+34=', { max_new_tokens: 3, add_special_tokens: true } as never);
    expect(result.tokenIds.length).toBe(3);
    await expect(rf.generateThoughts('12+34=', { maxNewToken: 3 } as never)).rejects.toThrow(/did you mean "maxNewTokens"/);
    await expect(rf.generateThoughts('12+34=', { streem: () => {} } as never)).rejects.toThrow(/did you mean "stream"/);
    await expect(rf.generateThoughts('12+34=', { stream: 'yes' } as never)).rejects.toThrow(/"stream"/);
  });

  it('stopStrings and samplingSeed are validated', async () => {
    for (const stopStrings of [[''], '=', [5]]) {
      await expect(rf.generateThoughts('12+34=', { stopStrings: stopStrings as never })).rejects.toThrow(/"stopStrings"/);
    }
    for (const samplingSeed of [Number.NaN, 1.5]) {
      await expect(rf.generateThoughts('12+34=', { doSample: true, samplingSeed })).rejects.toThrow(/"samplingSeed"/);
    }
  });

  it('a prompt that is neither text nor chat messages is a ConfigError naming the input', async () => {
    for (const input of [null, 42, [1, 2], [], [{ role: 'user' }]]) {
      const attempt = rf.generateThoughts(input as never);
      await expect(attempt).rejects.toThrow(ConfigError);
      await expect(rf.generateThoughts(input as never)).rejects.toThrow(/"input"/);
    }
  });

  it('numOfThinkers is bounded before anything is allocated', async () => {
    expect(() => rf.withConfig({ numOfThinkers: 1e6 })).toThrow(/"numOfThinkers".*\[1, 1024\]/);
    let loads = 0;
    const loader = async () => {
      loads++;
      throw new Error('not reached');
    };
    await expect(ReasonFlow.fromPretrained(modelPath, { config: { numOfThinkers: 1e6 }, loader })).rejects.toThrow(ConfigError);
    expect(loads).toBe(0);
    // The model says its KV size: 6 layers × 2 × 2 KV heads × 32 × 4 bytes.
    expect(rf.model.info.kvBytesPerPosition).toBe(6 * 2 * 2 * 32 * 4);
    const small = new ReasonFlow({ numOfThinkers: 64 }, rf.model, rf.tokenizer, { memoryLimitBytes: 2 ** 20 });
    await expect(small.generateThoughts('12+34=')).rejects.toThrow(/"numOfThinkers": got 64.*estimated.*MiB.*limit of 1\.0 MiB/);
  });

  it('fromPretrained checks options and the folder before loading, with one clear error', async () => {
    for (const intraOpNumThreads of [-1, 1.5]) {
      await expect(ReasonFlow.fromPretrained(modelPath, { intraOpNumThreads })).rejects.toThrow(/"intraOpNumThreads"/);
    }
    await expect(ReasonFlow.fromPretrained('')).rejects.toThrow(/"folder"/);
    const missing = join(tmpdir(), 'reasonflow-no-such-folder');
    const error = await ReasonFlow.fromPretrained(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).problems).toEqual([`The model folder ${missing} does not exist.`]);
    const file = join(mkdtempSync(join(tmpdir(), 'reasonflow-')), 'config.json');
    writeFileSync(file, '{}');
    await expect(ReasonFlow.fromPretrained(file)).rejects.toThrow(`${file} is a file, not a model folder`);
  });
});
