import { ConfigError, ContextLengthError } from './errors.js';

/**
 * A prompt's token ids: a plain array, or the integer typed array a tokenizer returns
 * (`Tokenizer.encode` gives an Int32Array).
 */
export type PromptIds = readonly number[] | Int32Array | Uint32Array | Uint16Array;

/**
 * The checks every entry point makes on a prompt, in one place: an array or integer typed array
 * of at least one id, each an integer in [0, vocabSize), leaving room for one new token. Returns
 * the ids as a plain array (a copy, so later edits by the caller do not reach the run).
 */
export function checkPromptIds(promptIds: unknown, vocabSize: number, maxSequenceLength: number): number[] {
  const isIntegerArray =
    promptIds instanceof Int32Array || promptIds instanceof Uint32Array || promptIds instanceof Uint16Array;
  if (!Array.isArray(promptIds) && !isIntegerArray) {
    throw new ConfigError('promptIds', promptIds, 'an array (or Int32Array) of token ids');
  }
  const ids = Array.from(promptIds as ArrayLike<unknown>);
  if (ids.length === 0) throw new ConfigError('promptIds', '[]', 'at least one token');
  for (const id of ids) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= vocabSize) {
      throw new ConfigError('promptIds', id, `token ids in [0, ${vocabSize})`);
    }
  }
  if (ids.length + 1 > maxSequenceLength) {
    throw new ContextLengthError(ids.length + 1, maxSequenceLength, `prompt of ${ids.length} tokens plus one new token`);
  }
  return ids as number[];
}
