/**
 * Typed errors shared by every ReasonFlow package. Callers can `instanceof` them across
 * packages because they all come from this one module.
 */
export class ReasonFlowError extends Error {
  override readonly name: string = 'ReasonFlowError';
}

/** A configuration field is missing, unknown, of the wrong type or out of range. */
export class ConfigError extends ReasonFlowError {
  override readonly name = 'ConfigError';
  constructor(
    /** The offending field, in camelCase (e.g. `topkThinkers`). */
    readonly field: string,
    readonly value: unknown,
    /** Human-readable allowed range, e.g. `an integer in [1, numOfThinkers=4]`. */
    readonly allowed: string,
  ) {
    super(`Invalid config field "${field}": got ${formatValue(value)}, expected ${allowed}.`);
  }
}

/** The model is missing something (an input, a file, a capability) or produced bad output. */
export class ModelError extends ReasonFlowError {
  override readonly name: string = 'ModelError';
  constructor(
    message: string,
    /** Every individual problem found, when several are reported at once. */
    readonly problems: readonly string[] = [message],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A feature was requested that the model cannot provide (e.g. soft thoughts without `inputs_embeds`). */
export class UnsupportedFeatureError extends ReasonFlowError {
  override readonly name = 'UnsupportedFeatureError';
  constructor(
    readonly feature: string,
    reason: string,
  ) {
    super(`${feature} is not available: ${reason}`);
  }
}

/** The prompt (plus what must be generated) does not fit in the model's context. */
export class ContextLengthError extends ReasonFlowError {
  override readonly name = 'ContextLengthError';
  constructor(
    readonly requiredLength: number,
    readonly maxLength: number,
    detail = '',
  ) {
    super(
      `Sequence of ${requiredLength} tokens exceeds the model's context of ${maxLength} tokens${detail ? ` (${detail})` : ''}.`,
    );
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return String(value);
}

/** The requested device (execution provider) cannot be used on this machine or in this browser. */
export class BackendUnavailableError extends ReasonFlowError {
  override readonly name = 'BackendUnavailableError';
  constructor(
    /** The device that was asked for (`cuda`, `webgpu`, ...). */
    readonly provider: string,
    /** Why it is unavailable. */
    readonly reason: string,
    /** What the user can do about it (how to install or enable the device). */
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(`The ${provider.toUpperCase()} execution provider is not available: ${reason}. ${hint}`, options);
  }
}
