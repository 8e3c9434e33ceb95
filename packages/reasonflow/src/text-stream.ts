/**
 * Incremental detokenization: turns committed token ids into text deltas. Re-decodes a short window
 * of recent tokens (so multi-byte characters split across tokens come out whole) and holds back text
 * that still ends in an incomplete character (U+FFFD).
 */
export class TextStreamDecoder {
  private readonly ids: number[] = [];
  private emitted = '';

  constructor(private readonly decode: (ids: readonly number[]) => string) {}

  /** Adds a token and returns the new text it completes ('' when nothing is complete yet). */
  push(tokenId: number): string {
    this.ids.push(tokenId);
    const text = this.decode(this.ids);
    if (text.endsWith('\uFFFD') || !text.startsWith(this.emitted)) return '';
    const delta = text.slice(this.emitted.length);
    this.emitted = text;
    return delta;
  }

  /** Whatever is left (e.g. a trailing incomplete character) once generation ends. */
  flush(): string {
    const text = this.decode(this.ids);
    const delta = text.startsWith(this.emitted) ? text.slice(this.emitted.length) : '';
    this.emitted = text;
    return delta;
  }
}
