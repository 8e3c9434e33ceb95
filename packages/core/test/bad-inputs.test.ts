import { describe, expect, it } from 'vitest';
import { ToyModel } from '../src/testing/index.js';
import {
  ConfigError,
  DecoderPathSource,
  type DecoderModelInfo,
  generateOverPaths,
  generateWith,
  ReasonFlowEngine,
  searchOverPaths,
  ReferenceBackend,
  type ReasonFlowConfigInput,
  resolveConfig,
  resolveGenerateOptions,
} from '../src/index.js';
import {
  mixSeeds,
  SeededRandom,
} from '../src/algorithms.js';

const prompt = [3, 17, 5];

function engine(config: ReasonFlowConfigInput, model = new ToyModel(), memoryLimitBytes?: number) {
  const backend = new ReferenceBackend();
  return { engine: new ReasonFlowEngine(model, { config, backend, ...(memoryLimitBytes ? { memoryLimitBytes } : {}) }), backend, model };
}

/** A toy model that says its KV cache takes `kvBytesPerPosition` per position of a row. */
function toyWithKv(kvBytesPerPosition: number): ToyModel {
  const model = new ToyModel();
  (model as { info: DecoderModelInfo }).info = { ...model.info, kvBytesPerPosition };
  return model;
}

describe('per-call options', () => {
  it('accept snake_case names like the config does', async () => {
    const { engine: e } = engine({});
    const result = await e.generate(prompt, { max_new_tokens: 3 });
    expect(result.tokenIds.length).toBe(3);
    expect(result.stopReason).toBe('max-new-tokens');
  });

  it('refuse unknown names, naming them and the closest known name, and leak nothing', async () => {
    const { engine: e, backend, model } = engine({ numOfThinkers: 2 });
    await expect(e.generate(prompt, { maxNewToken: 3 } as never)).rejects.toThrow(/"maxNewToken".*did you mean "maxNewTokens"/);
    await expect(e.generate(prompt, { max_new_token: 3 } as never)).rejects.toThrow(/did you mean "max_new_tokens"/);
    await expect(e.generate(prompt, { maxNewTokens: 3, max_new_tokens: 4 })).rejects.toThrow(/one spelling only/);
    await expect(e.generate(prompt, { frobnicate: 1 } as never)).rejects.toThrow(ConfigError);
    expect(backend.liveTensors).toBe(0);
    expect(model.liveSequences).toBe(0);
  });

  it('let a layer above add its own names', () => {
    expect(resolveGenerateOptions({ stream: 1, top_k: 5 }, { names: ['stream'] })).toEqual({ stream: 1, topK: 5 });
    expect(() => resolveGenerateOptions({ streem: 1 }, { names: ['stream'] })).toThrow(/did you mean "stream"/);
    expect(() => resolveGenerateOptions(null as never)).toThrow(ConfigError);
  });

  it('stopStrings must be an array of non-empty strings', async () => {
    const { engine: e } = engine({});
    const decode = (ids: readonly number[]) => ids.join(',');
    for (const stopStrings of [[''], 'abc', [5]]) {
      await expect(e.generate(prompt, { stopStrings: stopStrings as never, decode })).rejects.toThrow(/"stopStrings"/);
    }
    const none = await e.generate(prompt, { stopStrings: [], decode, maxNewTokens: 4 });
    expect(none.tokenIds.length).toBe(4);
  });

  it('samplingSeed must be a safe integer; so must the config seed', async () => {
    const { engine: e } = engine({});
    for (const samplingSeed of [Number.NaN, 1.5, 2 ** 53]) {
      await expect(e.generate(prompt, { doSample: true, samplingSeed })).rejects.toThrow(/"samplingSeed"/);
    }
    await expect(e.generate(prompt, { doSample: 'yes' as never })).rejects.toThrow(/"doSample"/);
    expect(() => resolveConfig({ seed: 1.5 })).toThrow(/"seed"/);
    expect(() => resolveConfig({ seed: Number.NaN })).toThrow(/"seed"/);
  });

  it('a prompt that is not an array of ids is a ConfigError', async () => {
    const { engine: e } = engine({});
    await expect(e.generate(null as never)).rejects.toThrow(/"promptIds"/);
    await expect(e.generate('12' as never)).rejects.toThrow(/"promptIds"/);
    // Float ids are not token ids, even in a typed array.
    await expect(e.generate(Float32Array.of(3, 17) as never)).rejects.toThrow(ConfigError);
    await expect(e.generate(new Int32Array(0))).rejects.toThrow(/at least one token/);
    await expect(e.generate(Int32Array.of(3, 999))).rejects.toThrow(/"promptIds".*999/);
  });

  it('every entry point takes the Int32Array a tokenizer returns, with the same result as an array', async () => {
    const model = new ToyModel();
    const config = { numOfThinkers: 3, numOfThoughts: 3 };
    const options = { maxNewTokens: 12 };
    const typed = Int32Array.from(prompt);
    const e = new ReasonFlowEngine(model, { config, backend: new ReferenceBackend() });
    const fromArray = await e.generate(prompt, options);
    expect(fromArray.tokenIds.length).toBe(12);
    expect((await e.generate(typed, options)).tokenIds).toEqual(fromArray.tokenIds);
    expect((await e.generate(Uint32Array.from(prompt), options)).tokenIds).toEqual(fromArray.tokenIds);
    const streamed: number[] = [];
    for await (const t of e.stream(typed, options)) streamed.push(t.tokenId);
    expect(streamed).toEqual(fromArray.tokenIds);

    const sc = { kind: 'sampling', temperature: 1.5 } as const;
    expect((await generateWith(model, typed, sc, { ...options, seed: 5 })).tokenIds).toEqual(
      (await generateWith(model, prompt, sc, { ...options, seed: 5 })).tokenIds,
    );
    const source = new DecoderPathSource(model);
    const overPaths = await generateOverPaths(source, typed, options, { config, topLogProbs: 8 });
    expect(overPaths.tokenIds).toEqual((await generateOverPaths(source, prompt, options, { config, topLogProbs: 8 })).tokenIds);
    const greedyPaths = await searchOverPaths(source, typed, { kind: 'greedy' }, options);
    expect(greedyPaths.tokenIds).toEqual(model.greedy(prompt, 12));
    // The run keeps its own copy: editing the caller's array afterwards changes nothing.
    const ids = Int32Array.from(prompt);
    const pending = e.generate(ids, options);
    ids.fill(0);
    expect((await pending).tokenIds).toEqual(fromArray.tokenIds);
  });
});

describe('seeds use the whole safe-integer range', () => {
  it('seeds that differ by 2^32 give different streams and noise', () => {
    for (const seed of [0, 7, 3407, 2 ** 32 - 1]) {
      expect(new SeededRandom(seed + 2 ** 32).nextUint32()).not.toBe(new SeededRandom(seed).nextUint32());
      expect(mixSeeds(seed + 2 ** 32, 5)).not.toBe(mixSeeds(seed, 5));
      expect(mixSeeds(-seed - 1, 5)).not.toBe(mixSeeds(2 ** 32 - seed - 1, 5));
    }
  });

  it('sampled outputs and thinker noise differ for seeds 2^32 apart', async () => {
    const config = { numOfThinkers: 4, numOfThoughts: 3 };
    const sampled = (samplingSeed: number) =>
      engine(config).engine.generate(prompt, { maxNewTokens: 30, doSample: true, temperature: 2, samplingSeed });
    expect((await sampled(11 + 2 ** 32)).tokenIds).not.toEqual((await sampled(11)).tokenIds);
    const noisy = (seed: number) => engine({ ...config, seed, noiseScale: 2 }).engine.generate(prompt, { maxNewTokens: 30 });
    const [low, high] = [await noisy(11), await noisy(11 + 2 ** 32)];
    expect([high.tokenIds, high.bestThinkersSummary]).not.toEqual([low.tokenIds, low.bestThinkersSummary]);
  });
});

describe('memory bound', () => {
  it('numOfThinkers has a hard cap in config validation', () => {
    expect(() => resolveConfig({ numOfThinkers: 1e6 })).toThrow(/"numOfThinkers": got 1000000, expected an integer in \[1, 1024\]/);
    expect(resolveConfig({ numOfThinkers: 1024 }).numOfThinkers).toBe(1024);
  });

  it('refuses a run whose estimate exceeds the limit before allocating, naming the field, estimate and limit', async () => {
    // 64 rows × 1 MiB per position × (3 + 128 + 3) positions = 8.38 GiB of KV cache > 8 GiB.
    const { engine: e, backend, model } = engine({ numOfThinkers: 64 }, toyWithKv(2 ** 20));
    const refusal = e.generate(prompt);
    await expect(refusal).rejects.toThrow(ConfigError);
    await expect(e.generate(prompt)).rejects.toThrow(
      /"numOfThinkers": got 64, .*estimated 8\.\d\d GiB \(KV cache 8\.\d\d GiB for 64 rows × 134 positions.*limit of 8\.00 GiB/,
    );
    expect(model.forwardLog.length).toBe(0);
    expect(backend.liveTensors).toBe(0);
    expect(model.liveSequences).toBe(0);
    // Fewer tokens fit; so does a raised limit.
    expect((await e.generate(prompt, { maxNewTokens: 8 })).tokenIds.length).toBe(8);
    const raised = engine({ numOfThinkers: 64 }, toyWithKv(2 ** 20), 16 * 2 ** 30).engine;
    expect((await raised.generate(prompt, { maxNewTokens: 2 })).tokenIds.length).toBe(2);
  });

  it('a single thinker over the limit names maxNewTokens; the limit itself is validated', async () => {
    const { engine: e } = engine({}, toyWithKv(2 ** 20), 2 ** 20);
    await expect(e.generate(prompt, { maxNewTokens: 8 })).rejects.toThrow(/"maxNewTokens": got 8/);
    expect(() => new ReasonFlowEngine(new ToyModel(), { memoryLimitBytes: -1 })).toThrow(/"memoryLimitBytes"/);
    expect(() => new ReasonFlowEngine(new ToyModel(), { memoryLimitBytes: Number.NaN })).toThrow(/"memoryLimitBytes"/);
  });
});
