/**
 * Train a character n-gram model on a few sentences and decode with ReasonFlow through the facade,
 * exactly as with an ONNX model: `new ReasonFlow(config, model, tokenizer)`.
 */
import { ReasonFlow } from 'reasonflow';
import { CharTokenizer } from './char-tokenizer.js';
import { NGramModel } from './ngram-model.js';

export const CORPUS = [
  'the quick brown fox jumps over the lazy dog.',
  'the lazy dog sleeps in the sun.',
  'a quick brown dog jumps over the fox.',
  'the sun is warm and the fox is quick.',
];

export function createExample(): { model: NGramModel; tokenizer: CharTokenizer } {
  const tokenizer = new CharTokenizer('abcdefghijklmnopqrstuvwxyz .');
  const corpus = CORPUS.map((line) => [...tokenizer.encode(line), 0]);
  return { model: new NGramModel(corpus, tokenizer.vocabSize, { order: 4, eosTokenId: 0 }), tokenizer };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { model, tokenizer } = createExample();
  const rf = new ReasonFlow({ numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true }, model, tokenizer);
  const result = await rf.generateThoughts(process.argv[2] ?? 'the quick', {
    maxNewTokens: 60,
    stream: (chunk) => process.stdout.write(chunk.text),
  });
  process.stdout.write('\n');
  console.error(`${result.stats.tokensCommitted} tokens, ${result.stats.iterations} iterations, stop: ${result.stopReason}`);
}
