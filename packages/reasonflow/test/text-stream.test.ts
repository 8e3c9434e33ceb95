import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextStreamDecoder } from '../src/text-stream.js';

// A byte-level tokenizer: one token per UTF-8 byte, so multi-byte characters span several tokens.
const utf8 = new TextDecoder();
const encodeBytes = (text: string): number[] => Array.from(new TextEncoder().encode(text));
const decodeBytes = (ids: readonly number[]): string => utf8.decode(Uint8Array.from(ids));

// A SentencePiece-like tokenizer: word tokens carry a leading space that decoding drops at the start of the text.
const words = ['▁hello', '▁wörld', '!', '▁ok', 'ay', '▁∑'];
const decodePieces = (ids: readonly number[]): string => ids.map((i) => words[i]!).join('').replaceAll('▁', ' ').replace(/^ /, '');

function streamAll(decode: (ids: readonly number[]) => string, ids: readonly number[]): { text: string; decodedIds: number } {
  let decodedIds = 0;
  const counting = (window: readonly number[]): string => {
    decodedIds += window.length;
    return decode(window);
  };
  const streamer = new TextStreamDecoder(counting);
  let text = '';
  for (const id of ids) text += streamer.push(id);
  return { text: text + streamer.flush(), decodedIds };
}

describe('TextStreamDecoder', () => {
  it('streams exactly the full decode of byte-level tokens (multi-byte characters split across tokens)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        expect(streamAll(decodeBytes, encodeBytes(text)).text).toBe(text);
      }),
    );
  });

  it('keeps SentencePiece spaces between words although each window decodes on its own', () => {
    const ids = [0, 1, 2, 3, 4, 5, 0];
    expect(streamAll(decodePieces, ids).text).toBe(decodePieces(ids));
  });

  it('never emits an incomplete character, and emits it whole once its last byte arrives', () => {
    const streamer = new TextStreamDecoder(decodeBytes);
    const [a, b, c] = encodeBytes('€');
    expect(streamer.push(a!)).toBe('');
    expect(streamer.push(b!)).toBe('');
    expect(streamer.push(c!)).toBe('€');
  });

  it('decodes O(tokens) ids in total, not O(tokens²)', () => {
    const text = 'añb€c'.repeat(200); // 1,000 characters, 1,600 byte tokens
    const ids = encodeBytes(text);
    const { text: streamed, decodedIds } = streamAll(decodeBytes, ids);
    expect(streamed).toBe(text);
    // Each step decodes a window of a few tokens; decoding everything so far would be ~1.3 million ids.
    expect(decodedIds).toBeLessThan(12 * ids.length);
  });
});
