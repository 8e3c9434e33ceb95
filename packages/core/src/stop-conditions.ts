/** Why a generation ended. */
export type StopReason =
  | 'eos'
  | 'max-new-tokens'
  /** The model's context is full. */
  | 'max-length'
  | 'stop-string'
  | 'aborted';

export interface StopOptions {
  readonly eosTokenIds: readonly number[];
  readonly maxNewTokens: number;
  readonly stopStrings?: readonly string[];
  /** Turns generated ids into text; required with `stopStrings`. */
  readonly decode?: (tokenIds: readonly number[]) => string;
}

/**
 * Checks each committed token against EOS ids, the token budget and stop strings. Stop strings are
 * matched on a decoded tail only (a string of L characters spans at most L tokens), so the cost per
 * token does not grow with the output.
 */
export class StopChecker {
  private readonly eos: ReadonlySet<number>;
  private readonly tailTokens: number;

  constructor(private readonly options: StopOptions) {
    this.eos = new Set(options.eosTokenIds);
    const longest = Math.max(0, ...(options.stopStrings ?? []).map((s) => s.length));
    this.tailTokens = longest + 1;
  }

  /** The reason to stop after `generated` (which ends with the newest token), if any. */
  check(generated: readonly number[]): StopReason | undefined {
    const last = generated[generated.length - 1];
    if (last !== undefined && this.eos.has(last)) return 'eos';
    if (this.options.stopStrings?.length && this.options.decode) {
      const tail = this.options.decode(generated.slice(-this.tailTokens));
      if (this.options.stopStrings.some((s) => tail.includes(s))) return 'stop-string';
    }
    if (generated.length >= this.options.maxNewTokens) return 'max-new-tokens';
    return undefined;
  }
}
