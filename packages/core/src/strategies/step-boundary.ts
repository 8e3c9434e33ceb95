import { ConfigError } from '../errors.js';
import type { StepDelimiter } from './types.js';

/**
 * Decides where a step ends: right after the delimiter token id, once the step's text ends with the
 * delimiter string, or once the step's text matches the RegExp. Text delimiters need `decode`.
 */
export class StepBoundary {
  private readonly regex: RegExp | undefined;

  constructor(
    private readonly delimiter: StepDelimiter,
    private readonly decode: ((ids: readonly number[]) => string) | undefined,
  ) {
    if (typeof delimiter !== 'number' && !decode) {
      throw new ConfigError('decode', undefined, 'a decode function when stepDelimiter is a string or RegExp');
    }
    // A global or sticky RegExp keeps state between tests; a plain copy does not.
    this.regex = delimiter instanceof RegExp ? new RegExp(delimiter.source, delimiter.flags.replace(/[gy]/g, '')) : undefined;
  }

  /** Does the step `stepIds` (newest token last) end here? */
  endsStep(stepIds: readonly number[]): boolean {
    const d = this.delimiter;
    if (typeof d === 'number') return stepIds[stepIds.length - 1] === d;
    const text = this.decode!(stepIds);
    return this.regex ? this.regex.test(text) : text.endsWith(d as string);
  }
}
