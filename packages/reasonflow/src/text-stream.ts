/**
 * Incremental detokenization: turns committed token ids into text deltas in O(tokens) decoding work.
 *
 * Decoding ids one at a time is wrong for tokenizers whose text depends on neighbours (multi-byte
 * characters split across byte tokens, SentencePiece's leading-space rule), and decoding every id so
 * far on each token costs O(n²). So, as inference servers do, each step decodes only a short window:
 * the ids since the last emission plus the previous emission's ids as context, and emits the part of
 * the window's text beyond that context once it no longer ends in an incomplete character (U+FFFD).
 */
export class TextStreamDecoder {
  private readonly ids: number[] = [];
  /** Start of the context window: ids before it are emitted and never decoded again. */
  private contextStart = 0;
  /** End of the context (= start of the ids not yet emitted). */
  private contextEnd = 0;
  /** Text of ids[contextStart, contextEnd). */
  private contextText = '';

  constructor(private readonly decode: (ids: readonly number[]) => string) {}

  /** Adds a token and returns the new text it completes ('' when nothing is complete yet). */
  push(tokenId: number): string {
    this.ids.push(tokenId);
    const text = this.decode(this.ids.slice(this.contextStart));
    if (text.endsWith('\uFFFD') || text.length <= this.contextText.length || !text.startsWith(this.contextText)) return '';
    const delta = text.slice(this.contextText.length);
    this.contextStart = this.contextEnd;
    this.contextEnd = this.ids.length;
    this.contextText = this.decode(this.ids.slice(this.contextStart, this.contextEnd));
    return delta;
  }

  /** Whatever is left (e.g. a trailing incomplete character) once generation ends. */
  flush(): string {
    const text = this.decode(this.ids.slice(this.contextStart));
    const delta = text.startsWith(this.contextText) ? text.slice(this.contextText.length) : '';
    this.contextStart = this.contextEnd = this.ids.length;
    this.contextText = '';
    return delta;
  }
}
