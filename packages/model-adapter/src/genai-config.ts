import { type GraphNames, HF_GRAPH_NAMES } from './graph-names.js';
import type { ModelConfig } from './model-config.js';
import { tokenIds } from './model-config.js';

/** The file an onnxruntime-genai export describes itself with (model at the folder root). */
export const GENAI_CONFIG_FILE = 'genai_config.json';

/** What the loader takes from `genai_config.json`. */
export interface GenaiLayout {
  /** `model.decoder.filename`, relative to the folder (its root). */
  readonly decoderFile: string;
  readonly names: GraphNames;
  readonly config: ModelConfig;
  readonly eosTokenIds: number[];
  readonly bosTokenId?: number;
  readonly padTokenId?: number;
}

type Json = Record<string, unknown>;

function object(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/**
 * Reads `genai_config.json`: the decoder's file, its input/output names (`model.decoder.inputs` /
 * `outputs`, KV names as `%d` templates), layer/head counts, vocabulary, context length and EOS.
 * Every missing or invalid field is pushed to `problems`.
 */
export function parseGenaiConfig(json: Json, problems: string[]): GenaiLayout | undefined {
  const start = problems.length;
  const file = GENAI_CONFIG_FILE;
  const model = object(json.model);
  const decoder = object(model?.decoder);
  if (model === undefined || decoder === undefined) {
    problems.push(`${file}: missing "model.decoder"`);
    return undefined;
  }
  const integer = (where: Json, key: string, path: string): number | undefined => {
    const v = where[key];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
    problems.push(`${file}: "${path}" must be a positive integer, got ${JSON.stringify(v)}`);
    return undefined;
  };
  const numLayers = integer(decoder, 'num_hidden_layers', 'model.decoder.num_hidden_layers');
  const numAttentionHeads = integer(decoder, 'num_attention_heads', 'model.decoder.num_attention_heads');
  const numKeyValueHeads = decoder.num_key_value_heads === undefined ? numAttentionHeads : integer(decoder, 'num_key_value_heads', 'model.decoder.num_key_value_heads');
  const headDim = integer(decoder, 'head_size', 'model.decoder.head_size');
  const vocabSize = integer(model, 'vocab_size', 'model.vocab_size');
  const maxPositionEmbeddings = integer(model, 'context_length', 'model.context_length');
  const hiddenSize = typeof decoder.hidden_size === 'number' ? decoder.hidden_size : undefined;
  const decoderFile = typeof decoder.filename === 'string' && decoder.filename !== '' ? decoder.filename : undefined;
  if (decoderFile === undefined) problems.push(`${file}: missing "model.decoder.filename"`);

  const inputs = object(decoder.inputs) ?? {};
  const outputs = object(decoder.outputs) ?? {};
  const name = (map: Json, key: string, fallback: string, path: string): string => {
    const v = map[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || v === '') problems.push(`${file}: "${path}.${key}" must be a non-empty string`);
    return typeof v === 'string' ? v : fallback;
  };
  const template = (map: Json, key: string, fallback: string, path: string): string => {
    const t = name(map, key, fallback, path);
    if (!t.includes('%d')) problems.push(`${file}: "${path}.${key}" must contain %d (the layer index), got ${JSON.stringify(t)}`);
    return t;
  };
  const names: GraphNames = {
    inputIds: name(inputs, 'input_ids', HF_GRAPH_NAMES.inputIds, 'model.decoder.inputs'),
    inputsEmbeds: name(inputs, 'inputs_embeds', HF_GRAPH_NAMES.inputsEmbeds, 'model.decoder.inputs'),
    attentionMask: name(inputs, 'attention_mask', HF_GRAPH_NAMES.attentionMask, 'model.decoder.inputs'),
    positionIds: name(inputs, 'position_ids', HF_GRAPH_NAMES.positionIds, 'model.decoder.inputs'),
    useCacheBranch: HF_GRAPH_NAMES.useCacheBranch,
    logits: name(outputs, 'logits', HF_GRAPH_NAMES.logits, 'model.decoder.outputs'),
    pastKey: template(inputs, 'past_key_names', HF_GRAPH_NAMES.pastKey, 'model.decoder.inputs'),
    pastValue: template(inputs, 'past_value_names', HF_GRAPH_NAMES.pastValue, 'model.decoder.inputs'),
    presentKey: template(outputs, 'present_key_names', HF_GRAPH_NAMES.presentKey, 'model.decoder.outputs'),
    presentValue: template(outputs, 'present_value_names', HF_GRAPH_NAMES.presentValue, 'model.decoder.outputs'),
  };
  if (
    problems.length > start ||
    decoderFile === undefined ||
    numLayers === undefined ||
    numKeyValueHeads === undefined ||
    headDim === undefined ||
    vocabSize === undefined ||
    maxPositionEmbeddings === undefined
  ) {
    return undefined;
  }
  const bos = tokenIds(model.bos_token_id)[0];
  const pad = tokenIds(model.pad_token_id)[0];
  return {
    decoderFile,
    names,
    config: {
      ...(typeof model.type === 'string' ? { modelType: model.type } : {}),
      numLayers,
      ...(numAttentionHeads !== undefined ? { numAttentionHeads } : {}),
      numKeyValueHeads,
      headDim,
      ...(hiddenSize !== undefined ? { hiddenSize } : {}),
      vocabSize,
      maxPositionEmbeddings,
    },
    eosTokenIds: tokenIds(model.eos_token_id),
    ...(bos !== undefined ? { bosTokenId: bos } : {}),
    ...(pad !== undefined ? { padTokenId: pad } : {}),
  };
}
