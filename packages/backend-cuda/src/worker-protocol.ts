import { ContextLengthError, ModelError, ReasonFlowError, UnsupportedFeatureError } from '@reasonflow/core';
import { BackendUnavailableError } from '@reasonflow/model-adapter';
import { CUDA_INSTALL_HINT } from './errors.js';

/** @internal Messages between `WorkerDecoderModel` and its worker. */
export type WorkerRequest =
  | { readonly op: 'startSequence'; readonly rows: number }
  | { readonly op: 'forward'; readonly sequence: number; readonly input: WireStepInput }
  | { readonly op: 'selectRows'; readonly sequence: number; readonly rows: Int32Array }
  | { readonly op: 'mergeRows'; readonly sequence: number; readonly rows: Int32Array; readonly weights: Float32Array }
  | { readonly op: 'truncate'; readonly sequence: number; readonly length: number }
  | { readonly op: 'disposeSequence'; readonly sequence: number }
  | { readonly op: 'embedTokens'; readonly tokens: Int32Array }
  | { readonly op: 'stats' }
  | { readonly op: 'dispose' };

export type WireStepInput =
  | { readonly kind: 'tokens'; readonly tokens: Int32Array; readonly tokensPerRow: number }
  | { readonly kind: 'embeddings'; readonly embeddings: Float32Array; readonly tokensPerRow: number };

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly problems?: readonly string[];
  readonly feature?: string;
  readonly requiredLength?: number;
  readonly maxLength?: number;
  readonly provider?: 'cuda';
  readonly reason?: string;
  readonly cause?: string;
}

export type WorkerResponse = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: WireError };

export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const e = error as Error & Record<string, unknown>;
  return {
    name: e.name,
    message: e.message,
    ...(Array.isArray(e.problems) ? { problems: e.problems as string[] } : {}),
    ...(typeof e.feature === 'string' ? { feature: e.feature } : {}),
    ...(typeof e.requiredLength === 'number' ? { requiredLength: e.requiredLength, maxLength: e.maxLength as number } : {}),
    ...(typeof e.provider === 'string' ? { provider: 'cuda' as const, reason: String(e.reason) } : {}),
    ...(e.cause instanceof Error ? { cause: e.cause.message } : {}),
  };
}

/** Rebuilds the typed error on this side so that `instanceof` works across the thread boundary. */
export function fromWireError(wire: WireError): Error {
  const options = wire.cause !== undefined ? { cause: new Error(wire.cause) } : undefined;
  let error: Error;
  switch (wire.name) {
    case 'ModelError':
      error = new ModelError(wire.message, wire.problems, options);
      break;
    case 'ContextLengthError':
      error = new ContextLengthError(wire.requiredLength ?? 0, wire.maxLength ?? 0);
      break;
    case 'UnsupportedFeatureError':
      error = new UnsupportedFeatureError(wire.feature ?? 'feature', '');
      break;
    case 'BackendUnavailableError':
      error = new BackendUnavailableError('cuda', wire.reason ?? '', CUDA_INSTALL_HINT, options);
      break;
    case 'RangeError':
      error = new RangeError(wire.message);
      break;
    case 'TypeError':
      error = new TypeError(wire.message);
      break;
    case 'ReasonFlowError':
      error = new ReasonFlowError(wire.message, options);
      break;
    default:
      error = new Error(wire.message, options);
  }
  Object.defineProperty(error, 'message', { value: wire.message, enumerable: false, writable: true, configurable: true });
  return error;
}
