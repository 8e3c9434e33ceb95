import { ConfigError, ContextLengthError, ModelError, ReasonFlowError, UnsupportedFeatureError } from '@reasonflow/core';
// Through the package entry, wherever the class itself lives.
import { BackendUnavailableError } from '../index.js';

/** An error as it crosses a thread boundary: its class name, message and plain data fields. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** The error's own data fields (`problems`, `field`, `requiredLength`, `provider`, ...). */
  readonly fields: Readonly<Record<string, WireValue>>;
  readonly cause?: WireError;
}

type WireValue = string | number | boolean | null | readonly (string | number | boolean | null)[];

/** The classes rebuilt on the receiving side, so that `instanceof` works across the boundary. */
const CLASSES: Readonly<Record<string, ErrorConstructor | (abstract new (...args: never[]) => Error)>> = {
  ReasonFlowError,
  ConfigError,
  ModelError,
  UnsupportedFeatureError,
  ContextLengthError,
  BackendUnavailableError,
  RangeError,
  TypeError,
  Error,
};

function isWireValue(value: unknown): value is WireValue {
  const scalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  return scalar(value) || (Array.isArray(value) && value.every(scalar));
}

/** Flattens an error to structured-cloneable data (a non-error becomes an `Error` with its text). */
export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, WireValue> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
    // A field that cannot be cloned (ConfigError's `value` may be anything) travels as its text.
    fields[key] = isWireValue(value) ? value : String(value);
  }
  return {
    name: error.name,
    message: error.message,
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
    fields,
    ...(error.cause !== undefined ? { cause: toWireError(error.cause) } : {}),
  };
}

/** Rebuilds the typed error (ReasonFlow's classes, RangeError, TypeError; `Error` for any other). */
export function fromWireError(wire: WireError): Error {
  const error = new Error(wire.message, wire.cause !== undefined ? { cause: fromWireError(wire.cause) } : undefined);
  Object.setPrototypeOf(error, (CLASSES[wire.name] ?? Error).prototype);
  // ReasonFlow's classes set `name` and their data fields as own properties; so does this.
  if (error.name !== wire.name) Object.defineProperty(error, 'name', { value: wire.name, enumerable: true, writable: true, configurable: true });
  Object.assign(error, wire.fields);
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
