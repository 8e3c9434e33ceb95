import type { DecoderModelInfo, StepInput } from '@reasonflow/core';
import type { FileProgress } from '../fetch-file-source.js';
import type { WireError } from './wire-error.js';

/** Calls from `RemoteDecoderModel` to `serveModel`; one `load` first, then the model's own calls. */
export type ModelRequest =
  | { readonly op: 'load'; readonly options: unknown }
  | { readonly op: 'startSequence'; readonly rows: number }
  | { readonly op: 'forward'; readonly sequence: number; readonly input: StepInput }
  | { readonly op: 'selectRows'; readonly sequence: number; readonly rows: Int32Array }
  | { readonly op: 'mergeRows'; readonly sequence: number; readonly rows: Int32Array; readonly weights: Float32Array }
  | { readonly op: 'truncate'; readonly sequence: number; readonly length: number }
  | { readonly op: 'disposeSequence'; readonly sequence: number }
  | { readonly op: 'embedTokens'; readonly tokens: Int32Array }
  | { readonly op: 'resources' }
  | { readonly op: 'dispose' };

export interface RequestMessage {
  readonly id: number;
  readonly request: ModelRequest;
}

/** Answers (matched by `id`) and the loader's events. */
export type ResponseMessage =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: WireError }
  | { readonly event: 'progress'; readonly progress: FileProgress }
  | { readonly event: 'warning'; readonly message: string };

export interface LoadAnswer {
  readonly info: DecoderModelInfo;
  readonly canEmbed: boolean;
  readonly details: unknown;
}

export interface SequenceAnswer {
  readonly sequence: number;
  readonly canMergeRows: boolean;
}

export interface ForwardAnswer {
  readonly dims: readonly [number, number];
  readonly data: Float32Array;
}

/**
 * The buffer to transfer for `array`: its own when the array spans all of it, else a copy's (a view
 * into a larger buffer must not detach memory its owner still uses).
 */
export function transferable<T extends Int32Array | Float32Array>(array: T): { array: T; buffer: ArrayBuffer } {
  const own = array.byteOffset === 0 && array.byteLength === array.buffer.byteLength && array.buffer instanceof ArrayBuffer;
  const moved = own ? array : (array.slice() as T);
  return { array: moved, buffer: moved.buffer as ArrayBuffer };
}
