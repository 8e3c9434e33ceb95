// Type tests: `pnpm typecheck` fails when the public types drift; the runtime assertions are no-ops.
import { describe, expectTypeOf, it } from 'vitest';
import {
  type DecoderSequence,
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
