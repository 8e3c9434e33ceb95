/**
 * Cuts generated text before the first stop sequence, as OpenAI's `stop` does (the sequence itself is
 * not returned). The engine stops generating once a stop string appears but keeps it in its output.
 *
 * Fed incrementally, it holds back the last (longest stop − 1) characters, which might be the start of
 * a stop sequence, so a streamed answer never shows text the final answer does not have; fed the
 * whole text at once it gives the same result.
 */
export class StopSequenceFilter {
  private pending = '';
  private readonly holdBack: number;
  /** True once a stop sequence was seen: everything after it is dropped. */
  stopped = false;

  constructor(private readonly stops: readonly string[]) {
    this.holdBack = Math.max(0, ...stops.map((s) => s.length - 1));
  }

  /** Adds text and returns the part that can be shown now. */
  push(text: string): string {
    if (this.stopped) return '';
    this.pending += text;
    const cut = this.firstStop();
    if (cut !== undefined) {
      this.stopped = true;
      const shown = this.pending.slice(0, cut);
      this.pending = '';
      return shown;
    }
    const safe = Math.max(0, this.pending.length - this.holdBack);
    const shown = this.pending.slice(0, safe);
    this.pending = this.pending.slice(safe);
    return shown;
  }

  /** The held-back rest, once the text is complete. */
  finish(): string {
    const rest = this.stopped ? '' : this.pending;
    this.pending = '';
    return rest;
  }

  private firstStop(): number | undefined {
    let first: number | undefined;
    for (const stop of this.stops) {
      const at = this.pending.indexOf(stop);
      if (at >= 0 && (first === undefined || at < first)) first = at;
    }
    return first;
  }
}

/** The whole text cut before its first stop sequence. */
export function applyStopSequences(text: string, stops: readonly string[]): string {
  const filter = new StopSequenceFilter(stops);
  return filter.push(text) + filter.finish();
}
