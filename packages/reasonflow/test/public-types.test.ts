// Type tests of the facade's public options and results (checked by `pnpm typecheck`).
import { describe, expectTypeOf, it } from 'vitest';
import {
  type FromPretrainedOptions,
  type GenerateThoughtsOptions,
  ReasonFlow,
  type ReasonFlowResources,
  type TextChunk,
  type ThoughtsResult,
} from '../src/node.js';

describe('public types of reasonflow', () => {
  it('fromPretrained options: a known device, config in either case, typed callbacks', () => {
    expectTypeOf({ device: 'cpu' as const, config: { num_of_thinkers: 2, numOfThoughts: 4 } }).toExtend<FromPretrainedOptions>();
    expectTypeOf({ device: 'tpu' as const }).not.toExtend<FromPretrainedOptions>();
    expectTypeOf({ intraOpNumThreads: '2' }).not.toExtend<FromPretrainedOptions>();
    expectTypeOf<FromPretrainedOptions['onWarning']>().toEqualTypeOf<((message: string) => void) | undefined>();
    expectTypeOf(ReasonFlow.fromPretrained).returns.resolves.toEqualTypeOf<ReasonFlow>();
  });

  it('generateThoughts: text or chat messages in, text and the summary out', () => {
    type Input = Parameters<ReasonFlow['generateThoughts']>[0];
    expectTypeOf('4071+985=').toExtend<Input>();
    expectTypeOf([{ role: 'user', content: 'hi' }]).toExtend<Input>();
    expectTypeOf([{ role: 'user' }]).not.toExtend<Input>();
    expectTypeOf(42).not.toExtend<Input>();
    expectTypeOf({ maxNewTokens: 40, stream: (chunk: TextChunk) => void chunk.text }).toExtend<GenerateThoughtsOptions>();
    expectTypeOf({ max_new_tokens: 40 }).toExtend<GenerateThoughtsOptions>();
    expectTypeOf({ stream: 'yes' }).not.toExtend<GenerateThoughtsOptions>();
    expectTypeOf<ReasonFlow['generateThoughts']>().returns.resolves.toEqualTypeOf<ThoughtsResult>();
    expectTypeOf<ThoughtsResult['output']>().toEqualTypeOf<string>();
    expectTypeOf<ThoughtsResult['bestThinkersSummary']>().toEqualTypeOf<readonly (readonly number[])[]>();
    expectTypeOf<ThoughtsResult['stats']['executionProvider']>().toEqualTypeOf<string>();
  });

  it('stream yields text chunks and returns the result; resources are counts', () => {
    expectTypeOf<ReturnType<ReasonFlow['stream']>>().toEqualTypeOf<AsyncGenerator<TextChunk, ThoughtsResult, undefined>>();
    expectTypeOf<ReasonFlowResources>().toEqualTypeOf<{
      readonly sessions: number;
      readonly tensors: number;
      readonly sequences: number;
      readonly engineTensors: number;
    }>();
  });
});
