// Type tests: `pnpm typecheck` fails when the public types drift; the runtime assertions are no-ops.
import { describe, expectTypeOf, it } from 'vitest';
import {
  type DecoderSequence,
  float16BitsInto,
  generateOverPaths,
  generateWith,
  type PromptIds,
  type GenerateOptionsInput,
  type GenerationResult,
  type Logits,
  type ReasonFlowConfig,
  type ReasonFlowConfigInput,
  ReasonFlowEngine,
  resolveConfig,
  type StopReason,
} from '../src/index.js';
import { ToyModel } from '../src/testing/index.js';

describe('public types of @reasonflow/core', () => {
  it('config input: every field optional, camelCase or the original snake_case, values typed', () => {
    expectTypeOf<Record<never, never>>().toExtend<ReasonFlowConfigInput>();
    expectTypeOf({ numOfThinkers: 4, numOfThoughts: 4 }).toExtend<ReasonFlowConfigInput>();
    expectTypeOf({ num_of_thinkers: 2, topk_thinkers: 1, temperatures: [0.7, 1.3] as [number, number] }).toExtend<ReasonFlowConfigInput>();
    expectTypeOf({ numOfThinkers: '4' }).not.toExtend<ReasonFlowConfigInput>();
    expectTypeOf({ num_of_thinkers: '2' }).not.toExtend<ReasonFlowConfigInput>();
    expectTypeOf({ pathScoring: 'log-likelihood' as const }).toExtend<ReasonFlowConfigInput>();
    expectTypeOf({ pathScoring: 'best' as const }).not.toExtend<ReasonFlowConfigInput>();
    expectTypeOf({ kvMerge: 'mean' as const }).toExtend<ReasonFlowConfigInput>();
  });

  it('prompts: a number array or the integer typed arrays a tokenizer returns, at every entry point', () => {
    expectTypeOf<number[]>().toExtend<PromptIds>();
    expectTypeOf<Int32Array>().toExtend<PromptIds>();
    expectTypeOf<Uint32Array>().toExtend<PromptIds>();
    expectTypeOf<Float32Array>().not.toExtend<PromptIds>();
    expectTypeOf<string>().not.toExtend<PromptIds>();
    expectTypeOf<ReasonFlowEngine['generate']>().parameter(0).toEqualTypeOf<PromptIds>();
    expectTypeOf<ReasonFlowEngine['stream']>().parameter(0).toEqualTypeOf<PromptIds>();
    expectTypeOf(generateWith).parameter(1).toEqualTypeOf<PromptIds>();
    expectTypeOf(generateOverPaths).parameter(1).toEqualTypeOf<PromptIds>();
  });

  it('float16BitsInto: bits in, float32 out, an optional offset', () => {
    expectTypeOf(float16BitsInto).parameters.toEqualTypeOf<[bits: Uint16Array, out: Float32Array, outOffset?: number]>();
    expectTypeOf(float16BitsInto).returns.toEqualTypeOf<void>();
  });

  it('resolved config: every field present', () => {
    expectTypeOf(resolveConfig({})).toEqualTypeOf<ReasonFlowConfig>();
    expectTypeOf<ReasonFlowConfig['numOfThinkers']>().toEqualTypeOf<number>();
    expectTypeOf<Partial<ReasonFlowConfig>>().not.toEqualTypeOf<ReasonFlowConfig>();
  });

  it('per-call options: camelCase or snake_case, typed callbacks', () => {
    expectTypeOf({ maxNewTokens: 3, doSample: true, samplingSeed: 7 }).toExtend<GenerateOptionsInput>();
    expectTypeOf({ max_new_tokens: 3 }).toExtend<GenerateOptionsInput>();
    expectTypeOf({ maxNewTokens: '3' }).not.toExtend<GenerateOptionsInput>();
    expectTypeOf<GenerateOptionsInput['onToken']>().parameter(0).toHaveProperty('tokenId').toEqualTypeOf<number>();
    expectTypeOf<GenerateOptionsInput['signal']>().toEqualTypeOf<AbortSignal | undefined>();
  });

  it('the engine: generate resolves to a GenerationResult, stream yields committed tokens', () => {
    const engine = new ReasonFlowEngine(new ToyModel(), { config: { num_of_thinkers: 2 } });
    expectTypeOf(engine.generate([1, 2])).resolves.toEqualTypeOf<GenerationResult>();
    expectTypeOf(engine.stream([1, 2])).toExtend<AsyncGenerator<{ tokenId: number }, GenerationResult>>();
    expectTypeOf<GenerationResult['stopReason']>().toEqualTypeOf<StopReason>();
  });

  it('the model seam: forward returns host or device logits, told apart by location', () => {
    expectTypeOf<DecoderSequence['forward']>().returns.resolves.toEqualTypeOf<Logits>();
    expectTypeOf<Extract<Logits, { location: 'cpu' }>['data']>().toEqualTypeOf<Float32Array>();
    expectTypeOf<Exclude<Logits, { location: 'cpu' }>['download']>().returns.resolves.toEqualTypeOf<Float32Array>();
  });
});
