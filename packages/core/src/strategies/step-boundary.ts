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

/**
 * A step delimiter written as text, as the CLI's `--step-delimiter` and the web demo take it:
 * `/…/flags` is a RegExp; anything else is a literal string, with `\n` and `\t` escapes.
 * @throws ConfigError (field `stepDelimiter`) for an empty text or a RegExp that does not compile
 */
export function parseStepDelimiter(text: string): string | RegExp {
  const regex = /^\/(.+)\/([a-z]*)$/.exec(text);
  if (regex) {
    try {
      return new RegExp(regex[1]!, regex[2]);
    } catch (error) {
      throw new ConfigError('stepDelimiter', text, `a valid /regex/ (${(error as Error).message})`);
    }
  }
  const literal = text.replace(/\\n/g, '\n').replace(/\\t/g, '\t');
  if (literal === '') throw new ConfigError('stepDelimiter', text, 'a non-empty delimiter');
  return literal;
}
