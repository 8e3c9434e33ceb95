/** The parts of a Hugging Face `config.json` that running a decoder with a KV cache needs. */
export interface ModelConfig {
  readonly modelType?: string;
  readonly numLayers: number;
  readonly numAttentionHeads?: number;
  readonly numKeyValueHeads: number;
  readonly headDim: number;
  readonly hiddenSize?: number;
  readonly vocabSize: number;
  readonly maxPositionEmbeddings: number;
}

type Json = Record<string, unknown>;

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * Reads the fields the adapter needs from `config.json`. Every missing or invalid field is pushed to
 * `problems`; the result is undefined when any required field is unusable.
 */
export function parseModelConfig(json: Json, file: string, problems: string[]): ModelConfig | undefined {
  const start = problems.length;
  const field = (name: string, fallbackNames: readonly string[] = []): number | undefined => {
    for (const n of [name, ...fallbackNames]) {
      const v = json[n];
      if (v === undefined || v === null) continue;
      if (!positiveInteger(v)) {
        problems.push(`${file}: "${n}" must be a positive integer, got ${JSON.stringify(v)}`);
        return undefined;
      }
      return v;
    }
    return undefined;
  };
  const require = (name: string, fallbackNames: readonly string[] = []): number | undefined => {
    const v = field(name, fallbackNames);
    if (v === undefined && ![name, ...fallbackNames].some((n) => json[n] !== undefined && json[n] !== null)) {
      problems.push(`${file}: missing "${name}"`);
    }
    return v;
  };

  const numLayers = require('num_hidden_layers', ['n_layer', 'num_layers']);
  const vocabSize = require('vocab_size');
  const maxPositionEmbeddings = require('max_position_embeddings', ['n_positions', 'max_sequence_length']);
  const numAttentionHeads = field('num_attention_heads', ['n_head']);
  const hiddenSize = field('hidden_size', ['n_embd']);
  let numKeyValueHeads = field('num_key_value_heads');
  if (numKeyValueHeads === undefined && json.num_key_value_heads === undefined) numKeyValueHeads = numAttentionHeads;
  if (numKeyValueHeads === undefined && json.num_key_value_heads === undefined && json.num_attention_heads === undefined) {
    problems.push(`${file}: missing "num_key_value_heads" (or "num_attention_heads")`);
  }
  let headDim = field('head_dim');
  if (headDim === undefined && json.head_dim === undefined) {
    if (hiddenSize !== undefined && numAttentionHeads !== undefined) {
      if (hiddenSize % numAttentionHeads !== 0) {
        problems.push(`${file}: "hidden_size" ${hiddenSize} is not divisible by "num_attention_heads" ${numAttentionHeads}`);
      } else {
        headDim = hiddenSize / numAttentionHeads;
      }
    } else {
      problems.push(`${file}: missing "head_dim" (or "hidden_size" and "num_attention_heads" to derive it)`);
    }
  }
  if (
    problems.length > start ||
    numLayers === undefined ||
    vocabSize === undefined ||
    maxPositionEmbeddings === undefined ||
    numKeyValueHeads === undefined ||
    headDim === undefined
  ) {
    return undefined;
  }
  return {
    ...(typeof json.model_type === 'string' ? { modelType: json.model_type } : {}),
    numLayers,
    ...(numAttentionHeads !== undefined ? { numAttentionHeads } : {}),
    numKeyValueHeads,
    headDim,
    ...(hiddenSize !== undefined ? { hiddenSize } : {}),
    vocabSize,
    maxPositionEmbeddings,
  };
}

/** Token ids in a config field that may hold one id or a list of them. */
export function tokenIds(value: unknown): number[] {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
  return [];
}
