import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { UnsupportedFeatureError } from '@reasonflow/core';

/** One chat message as chat templates expect it. */
export interface ChatMessage {
  readonly role: string;
  readonly content: string;
  readonly [key: string]: unknown;
}

export interface ChatTemplateOptions {
  /** Append the assistant turn's opening so the model answers next (default true). */
  readonly addGenerationPrompt?: boolean;
  /** Extra variables for the template (e.g. `tools`, `enable_thinking`). */
  readonly variables?: Readonly<Record<string, unknown>>;
}

/** Text ↔ token ids for one model folder: `tokenizer.json`, `tokenizer_config.json` and its chat template. */
export interface ModelTokenizer {
  /** Token ids of `text`. `addSpecialTokens` (default true) adds what the tokenizer's post-processor adds (e.g. BOS). */
  encode(text: string, options?: { addSpecialTokens?: boolean }): Int32Array;
  /** Text of `ids`; special tokens are skipped unless `skipSpecialTokens` is false. */
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
  /** Whether `tokenizer_config.json` has a chat template. */
  readonly hasChatTemplate: boolean;
  /**
   * Renders the chat template.
   * @throws UnsupportedFeatureError when the folder has no chat template; the template's own error when it raises.
   */
  applyChatTemplate(messages: readonly ChatMessage[], options?: ChatTemplateOptions): string;
  /** The rendered chat template's token ids (special tokens come from the template, none are added). */
  encodeChat(messages: readonly ChatMessage[], options?: ChatTemplateOptions): Int32Array;
  readonly eosTokenIds: readonly number[];
  readonly bosTokenId?: number;
  readonly padTokenId?: number;
  /** The id of a token string, if it is in the vocabulary. */
  tokenToId(token: string): number | undefined;
}

type Json = Record<string, unknown>;

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as Json).content === 'string') {
    return (value as Json).content as string;
  }
  return undefined;
}

/** Picks the default chat template from `tokenizer_config.json` (a string, or a list of named templates). */
function chatTemplateSource(config: Json): string | undefined {
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t.filter((x): x is { name: string; template: string } => typeof x?.template === 'string');
    return (named.find((x) => x.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}

export interface TokenizerIds {
  readonly eosTokenIds: readonly number[];
  readonly bosTokenId?: number;
  readonly padTokenId?: number;
}

/**
 * Builds the tokenizer. Problems (unparseable tokenizer, bad chat template) are pushed to `problems`
 * with the file named; the result is undefined when the tokenizer itself cannot be built.
 */
export function createModelTokenizer(
  tokenizerJson: Json,
  tokenizerConfig: Json,
  ids: TokenizerIds,
  problems: string[],
): ModelTokenizer | undefined {
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  } catch (error) {
    problems.push(`tokenizer.json: cannot build the tokenizer: ${(error as Error).message}`);
    return undefined;
  }
  const source = chatTemplateSource(tokenizerConfig);
  let template: Template | undefined;
  if (source !== undefined) {
    try {
      template = new Template(source);
    } catch (error) {
      problems.push(`tokenizer_config.json: chat_template does not parse: ${(error as Error).message}`);
    }
  }
  const specialTokens: Record<string, string> = {};
  for (const name of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
    const content = tokenContent(tokenizerConfig[name]);
    if (content !== undefined) specialTokens[name] = content;
  }
  const idOf = (name: string): number | undefined => {
    const content = specialTokens[name];
    return content === undefined ? undefined : tokenizer.token_to_id(content);
  };
  const eos = new Set(ids.eosTokenIds);
  const eosFromTokenizer = idOf('eos_token');
  if (eosFromTokenizer !== undefined) eos.add(eosFromTokenizer);
  const bosTokenId = ids.bosTokenId ?? idOf('bos_token');
  const padTokenId = ids.padTokenId ?? idOf('pad_token');

  const render = (messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string => {
    if (template === undefined) {
      throw new UnsupportedFeatureError('chat template', 'tokenizer_config.json has no valid chat_template; format the prompt yourself');
    }
    return template.render({
      ...specialTokens,
      ...options.variables,
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? true,
    });
  };
  const encode = (text: string, addSpecialTokens: boolean): Int32Array =>
    Int32Array.from(tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids);

  return {
    hasChatTemplate: template !== undefined,
    eosTokenIds: [...eos],
    ...(bosTokenId !== undefined ? { bosTokenId } : {}),
    ...(padTokenId !== undefined ? { padTokenId } : {}),
    encode: (text, options) => encode(text, options?.addSpecialTokens ?? true),
    // The tokenizers library refuses an empty list; no tokens is the empty text.
    decode: (tokenIds, options) =>
      tokenIds.length === 0 ? '' : tokenizer.decode(Array.from(tokenIds), { skip_special_tokens: options?.skipSpecialTokens ?? true }),
    applyChatTemplate: render,
    encodeChat: (messages, options) => encode(render(messages, options), false),
    tokenToId: (token) => tokenizer.token_to_id(token),
  };
}
