import { ReasonFlowError } from '@reasonflow/core';

/** Whether an accelerator's execution provider can run here. */
export interface ProviderAvailability {
  readonly available: boolean;
  /** Why not, when unavailable. */
  readonly reason?: string;
  readonly cause?: unknown;
}

/** The requested execution provider cannot be used on this machine or in this browser. */
export class BackendUnavailableError extends ReasonFlowError {
  override readonly name = 'BackendUnavailableError';
  constructor(
    /** The provider that was asked for (`cuda`, `webgpu`, ...). */
    readonly provider: string,
    /** Why it is unavailable. */
    readonly reason: string,
    /** What the user can do about it (how to install or enable the provider). */
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(`The ${provider.toUpperCase()} execution provider is not available: ${reason}. ${hint}`, options);
  }
}

/** One backend's accelerator and the provider it falls back to. */
export interface AcceleratorFallback<A extends string, F extends string> {
  readonly accelerator: A;
  readonly fallback: F;
  /** How the fallback is named in the warning, e.g. `CPU` or `wasm (CPU)`. */
  readonly fallbackLabel: string;
  /** Appended to the error when the accelerator was forced (how to get it). */
  readonly hint: string;
  /** Appended to the fallback warning (where to read more). */
  readonly warningSuffix?: string;
}

/**
 * Picks the execution provider for `device`: the fallback when asked for, the accelerator when forced
 * (a `BackendUnavailableError` when the probe says it cannot run), and for `auto` the accelerator
 * when available, else the fallback with ONE warning line. onnxruntime itself does not fall back
 * (a provider list like `['cuda', 'cpu']` throws when the CUDA library is missing), hence the probe.
 */
export async function resolveProvider<A extends string, F extends string>(
  device: A | F | 'auto',
  choice: AcceleratorFallback<A, F>,
  probe: () => Promise<ProviderAvailability>,
  onWarning: (message: string) => void,
): Promise<A | F> {
  const { accelerator, fallback } = choice;
  if (device === fallback) return fallback;
  if (device !== accelerator && device !== 'auto') {
    throw new RangeError(`device must be 'auto', '${accelerator}' or '${fallback}', got ${JSON.stringify(device)}`);
  }
  const availability = await probe();
  if (availability.available) return accelerator;
  const reason = availability.reason ?? 'unknown reason';
  if (device === accelerator) throw new BackendUnavailableError(accelerator, reason, choice.hint, { cause: availability.cause });
  const label = accelerator === 'webgpu' ? 'WebGPU' : accelerator.toUpperCase();
  onWarning(`[reasonflow] ${label} is not available (${reason}); running on ${choice.fallbackLabel}.${choice.warningSuffix ?? ''}`);
  return fallback;
}
