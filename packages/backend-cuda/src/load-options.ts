import { ConfigError } from '@reasonflow/core';
import type { LoadModelOptions } from './load.js';

/**
 * Checks the numeric options before anything is loaded, so a bad thread count is a config error
 * naming the field rather than an onnxruntime failure reported against the model files.
 * @throws ConfigError naming the field.
 */
export function validateLoadModelOptions(options: LoadModelOptions): void {
  for (const field of ['intraOpNumThreads', 'interOpNumThreads', 'cudaDeviceId'] as const) {
    const value = options[field];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new ConfigError(field, value, field === 'cudaDeviceId' ? 'an integer ≥ 0' : 'an integer ≥ 0 (0: every core)');
    }
  }
}
