import { UnsupportedFeatureError } from '@reasonflow/core';
import { describe, expect, it } from 'vitest';
import { loadModelFolder } from '../src/index.js';
import { cpuSessionOptions, ort, toyFolder } from './fixtures.js';

describe('ModelTokenizer', () => {
  it('encodes, decodes (skipping special tokens) and applies the chat template', async () => {
    const { tokenizer, dispose } = await loadModelFolder(toyFolder({ pair: false }), { runtime: ort, sessionOptions: cpuSessionOptions });
    const ids = tokenizer.encode('hello world');
    expect(ids).toBeInstanceOf(Int32Array);
    expect(tokenizer.decode(ids)).toBe('hello world');
    expect(tokenizer.decode([0, ...ids, 1])).toBe('hello world');
    expect(tokenizer.decode([0, ...ids, 1], { skipSpecialTokens: false })).toBe('<s>hello world</s>');
    expect(tokenizer.eosTokenIds).toEqual([1]);
    expect(tokenizer.bosTokenId).toBe(0);
    expect(tokenizer.hasChatTemplate).toBe(true);
    const messages = [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }, { role: 'user', content: 'ok' }];
    expect(tokenizer.applyChatTemplate(messages)).toBe('<|user|>hi<|assistant|>yo</s><|user|>ok<|assistant|>');
    expect(tokenizer.applyChatTemplate(messages, { addGenerationPrompt: false })).toBe('<|user|>hi<|assistant|>yo</s><|user|>ok');
    const chat = tokenizer.encodeChat([{ role: 'user', content: 'hi' }]);
    expect(Array.from(chat)).toEqual([3, ...tokenizer.encode('hi'), 4]);
    expect(tokenizer.tokenToId('<|assistant|>')).toBe(4);
    await dispose();
  });

  it('without a chat template, applyChatTemplate is an UnsupportedFeatureError', async () => {
    const { tokenizer, dispose } = await loadModelFolder(toyFolder({ pair: false, files: { 'tokenizer_config.json': '{"eos_token":"</s>"}' } }), {
      runtime: ort,
      sessionOptions: cpuSessionOptions,
    });
    expect(tokenizer.hasChatTemplate).toBe(false);
    expect(() => tokenizer.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(UnsupportedFeatureError);
    await dispose();
  });
});
