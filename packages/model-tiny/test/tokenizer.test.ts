import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { generateExamples, MODEL_SPEC, modelFile, TASK_FAMILIES, TASK_SPLITS } from '../src/index.js';

const tokenizerJson = JSON.parse(readFileSync(modelFile('tokenizer.json'), 'utf8')) as object;
const tokenizerConfig = JSON.parse(readFileSync(modelFile('tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
const tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);

describe('tokenizer.json with @huggingface/tokenizers', () => {
  it('has the special tokens at the documented ids', () => {
    const ids = (t: string) => tokenizer.encode(t, { add_special_tokens: false }).ids;
    expect(ids('<pad>')).toEqual([MODEL_SPEC.padTokenId]);
    expect(ids('<s>')).toEqual([MODEL_SPEC.bosTokenId]);
    expect(ids('</s>')).toEqual([MODEL_SPEC.eosTokenId]);
    expect(ids('<unk>')).toEqual([MODEL_SPEC.unkTokenId]);
    expect(tokenizerConfig.bos_token).toBe('<s>');
    expect(tokenizerConfig.eos_token).toBe('</s>');
    expect(tokenizerConfig.pad_token).toBe('<pad>');
  });

  it('round-trips every task string, one token per character, <s> prepended', () => {
    for (const f of TASK_FAMILIES) for (const s of TASK_SPLITS) {
      for (const e of generateExamples(f, s, 5, 100)) {
        const text = e.prompt + e.completion;
        const enc = tokenizer.encode(text);
        expect(enc.ids[0]).toBe(MODEL_SPEC.bosTokenId);
        expect(enc.ids.length).toBe(text.length + 1);
        expect(Math.max(...enc.ids)).toBeLessThan(MODEL_SPEC.vocabSize);
        expect(enc.ids.slice(1)).not.toContain(MODEL_SPEC.unkTokenId);
        expect(tokenizer.decode(enc.ids, { skip_special_tokens: true })).toBe(text);
        expect(tokenizer.decode([...enc.ids, MODEL_SPEC.eosTokenId])).toBe(`<s>${text}</s>`);
      }
    }
  });

  it('round-trips printable ASCII and newlines', () => {
    let ascii = '';
    for (let c = 32; c < 127; c++) ascii += String.fromCharCode(c);
    const text = `${ascii}\n${ascii}`;
    const enc = tokenizer.encode(text, { add_special_tokens: false });
    expect(enc.ids.length).toBe(text.length);
    expect(tokenizer.decode(enc.ids)).toBe(text);
  });
});
