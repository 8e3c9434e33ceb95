/**
 * Self-made model folders for tests: a tiny causal "decoder" graph written with `encodeOnnxModel`
 * (the same input/output layout as a Hugging Face / Optimum export), a character-level tokenizer and
 * a chat template. The graph is not a transformer, but its logits at position j depend on every
 * token and position up to j through the KV cache, so cache bugs (wrong rows, stale positions, wrong
 * position ids) change the logits.
 */
import * as ort from 'onnxruntime-node';
import { memoryFileSource, type ModelFileSource } from '../src/index.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensorInit } from '../src/internal.js';

export interface ToyShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  maxPositions: number;
}

export const TOY: ToyShape = { layers: 2, kvHeads: 2, headDim: 4, vocab: 40, maxPositions: 64 };

function seededFloats(n: number, seed: number, scale = 0.5): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export interface ToyGraphOptions {
  /** `input_ids` (default) or `inputs_embeds`. */
  input?: 'input_ids' | 'inputs_embeds';
  /** Renames graph inputs/outputs (to make a graph the adapter must reject). */
  rename?: Record<string, string>;
  /** Fixes the KV head axis in the metadata to this number (default symbolic). */
  fixedKvHeads?: number;
  /** Stores these initializers (`w_emb`, `w_out`, …) as external data at the given locations. */
  externalWeights?: Record<string, string>;
}

/** The decoder graph. Shares weights across variants, so the ids and embeds decoders agree. */
export function toyDecoder(shape: ToyShape = TOY, options: ToyGraphOptions = {}): Uint8Array {
  const { layers, kvHeads: H, headDim: D, vocab: V, maxPositions } = shape;
  const E = H * D;
  const input = options.input ?? 'input_ids';
  const name = (n: string): string => options.rename?.[n] ?? n;
  const nodes: OnnxNode[] = [];
  const inits: OnnxTensorInit[] = [
    { name: 'w_pos', type: 'float', dims: [maxPositions, E], data: seededFloats(maxPositions * E, 2) },
    { name: 'w_out', type: 'float', dims: [E, V], data: seededFloats(E * V, 3) },
    { name: 'shape_bshd', type: 'int64', dims: [4], data: [0, 0, H, D] },
    { name: 'shape_bse', type: 'int64', dims: [3], data: [0, 0, E] },
    { name: 'axis2', type: 'int64', dims: [1], data: [2] },
    { name: 'one', type: 'int64', dims: [1], data: [1] },
    { name: 'big', type: 'int64', dims: [1], data: [1_000_000] },
  ];
  if (input === 'input_ids') {
    inits.push({ name: 'w_emb', type: 'float', dims: [V, E], data: seededFloats(V * E, 1) });
    nodes.push({ op: 'Gather', inputs: ['w_emb', name('input_ids')], outputs: ['emb'], attributes: { axis: 0 } });
  } else {
    nodes.push({ op: 'Identity', inputs: [name('inputs_embeds')], outputs: ['emb'] });
  }
  nodes.push(
    { op: 'Gather', inputs: ['w_pos', name('position_ids')], outputs: ['pos'], attributes: { axis: 0 } },
    { op: 'Add', inputs: ['emb', 'pos'], outputs: ['x'] },
    // s = number of new positions, for slicing the last s positions of the cumulative state.
    { op: 'Shape', inputs: ['x'], outputs: ['x_shape'] },
    { op: 'Gather', inputs: ['x_shape', 'one'], outputs: ['s'], attributes: { axis: 0 } },
    { op: 'Neg', inputs: ['s'], outputs: ['neg_s'] },
  );
  const states: string[] = [];
  for (let i = 0; i < layers; i++) {
    inits.push({ name: `scale_k${i}`, type: 'float', dims: [E], data: seededFloats(E, 10 + i, 1.5) });
    inits.push({ name: `scale_v${i}`, type: 'float', dims: [E], data: seededFloats(E, 20 + i, 1.5) });
    for (const kind of ['k', 'v'] as const) {
      nodes.push(
        { op: 'Mul', inputs: ['x', `scale_${kind}${i}`], outputs: [`${kind}${i}_m`] },
        { op: 'Tanh', inputs: [`${kind}${i}_m`], outputs: [`${kind}${i}_t`] },
        { op: 'Reshape', inputs: [`${kind}${i}_t`, 'shape_bshd'], outputs: [`${kind}${i}_r`] },
        { op: 'Transpose', inputs: [`${kind}${i}_r`], outputs: [`${kind}${i}_new`], attributes: { perm: [0, 2, 1, 3] } },
      );
    }
    nodes.push(
      { op: 'Concat', inputs: [name(`past_key_values.${i}.key`), `k${i}_new`], outputs: [name(`present.${i}.key`)], attributes: { axis: 2 } },
      { op: 'Concat', inputs: [name(`past_key_values.${i}.value`), `v${i}_new`], outputs: [name(`present.${i}.value`)], attributes: { axis: 2 } },
      { op: 'Mul', inputs: [name(`present.${i}.key`), name(`present.${i}.value`)], outputs: [`kv${i}`] },
      { op: 'CumSum', inputs: [`kv${i}`, 'axis2'], outputs: [`cs${i}`] },
      { op: 'Slice', inputs: [`cs${i}`, 'neg_s', 'big', 'axis2'], outputs: [`state${i}`] },
    );
    states.push(`state${i}`);
  }
  let acc = states[0]!;
  for (let i = 1; i < states.length; i++) {
    nodes.push({ op: 'Add', inputs: [acc, states[i]!], outputs: [`acc${i}`] });
    acc = `acc${i}`;
  }
  nodes.push(
    { op: 'Transpose', inputs: [acc], outputs: ['h_t'], attributes: { perm: [0, 2, 1, 3] } },
    { op: 'Reshape', inputs: ['h_t', 'shape_bse'], outputs: ['h'] },
    { op: 'MatMul', inputs: ['h', 'w_out'], outputs: [name('logits')] },
  );
  const kvHeads = options.fixedKvHeads ?? 'kv_heads';
  const graph: OnnxGraph = {
    name: 'toy_decoder',
    inputs: [
      input === 'input_ids'
        ? { name: name('input_ids'), type: 'int64', shape: ['batch', 'seq'] }
        : { name: name('inputs_embeds'), type: 'float', shape: ['batch', 'seq', E] },
      { name: name('attention_mask'), type: 'int64', shape: ['batch', 'total'] },
      { name: name('position_ids'), type: 'int64', shape: ['batch', 'seq'] },
      ...Array.from({ length: layers }, (_, i) =>
        (['key', 'value'] as const).map((kind) => ({
          name: name(`past_key_values.${i}.${kind}`),
          type: 'float' as const,
          shape: ['batch', kvHeads, 'past', D],
        })),
      ).flat(),
    ],
    outputs: [
      { name: name('logits'), type: 'float', shape: ['batch', 'seq', V] },
      ...Array.from({ length: layers }, (_, i) =>
        (['key', 'value'] as const).map((kind) => ({
          name: name(`present.${i}.${kind}`),
          type: 'float' as const,
          shape: ['batch', kvHeads, 'total', D],
        })),
      ).flat(),
    ],
    nodes,
    initializers: inits.map((init) => {
      const externalLocation = options.externalWeights?.[init.name];
      return externalLocation === undefined ? init : { ...init, externalLocation };
    }),
  };
  return encodeOnnxModel(graph);
}

/** The bytes of a toy decoder initializer (`w_emb`, `w_out`), e.g. to write as its external data. */
export function toyWeightBytes(name: 'w_emb' | 'w_out', shape: ToyShape = TOY): Uint8Array {
  const E = shape.kvHeads * shape.headDim;
  const values = name === 'w_emb' ? seededFloats(shape.vocab * E, 1) : seededFloats(E * shape.vocab, 3);
  return new Uint8Array(values.buffer);
}

/** The embedding table of `toyEmbed`, e.g. to write as its external data. */
export function toyEmbedWeights(shape: ToyShape = TOY): Float32Array {
  return seededFloats(shape.vocab * shape.kvHeads * shape.headDim, 1);
}

/** `input_ids → inputs_embeds` with the same embedding table as the token decoder. */
export function toyEmbed(shape: ToyShape = TOY, externalLocation?: string): Uint8Array {
  const E = shape.kvHeads * shape.headDim;
  return encodeOnnxModel({
    name: 'toy_embed',
    inputs: [{ name: 'input_ids', type: 'int64', shape: ['batch', 'seq'] }],
    outputs: [{ name: 'inputs_embeds', type: 'float', shape: ['batch', 'seq', E] }],
    initializers: [{ name: 'w_emb', type: 'float', dims: [shape.vocab, E], data: toyEmbedWeights(shape), ...(externalLocation ? { externalLocation } : {}) }],
    nodes: [{ op: 'Gather', inputs: ['w_emb', 'input_ids'], outputs: ['inputs_embeds'], attributes: { axis: 0 } }],
  });
}

const CHARS = ' abcdefghijklmnopqrstuvwxyz!?.';

export function toyTokenizerJson(): Record<string, unknown> {
  const special = ['<s>', '</s>', '<unk>', '<|user|>', '<|assistant|>'];
  const vocab: Record<string, number> = {};
  special.forEach((t, i) => {
    vocab[t] = i;
  });
  [...CHARS].forEach((c, i) => {
    vocab[c] = special.length + i;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  };
}

export const TOY_CHAT_TEMPLATE =
  "{% for m in messages %}{% if m.role == 'user' %}<|user|>{{ m.content }}{% else %}<|assistant|>{{ m.content }}</s>{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";

export interface ToyFolderOptions {
  shape?: ToyShape;
  /** Include the inputs_embeds pair (default true). */
  pair?: boolean;
  /** Include onnx/model.onnx (default true). */
  decoder?: boolean;
  /** Overrides merged into config.json (undefined values delete the field). */
  config?: Record<string, unknown>;
  /** Replace or remove (undefined) files. */
  files?: Record<string, string | Uint8Array | undefined>;
}

export function toyFiles(options: ToyFolderOptions = {}): Record<string, string | Uint8Array> {
  const shape = options.shape ?? TOY;
  const config: Record<string, unknown> = {
    model_type: 'toy',
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.kvHeads,
    num_key_value_heads: shape.kvHeads,
    hidden_size: shape.kvHeads * shape.headDim,
    head_dim: shape.headDim,
    vocab_size: shape.vocab,
    max_position_embeddings: shape.maxPositions,
    bos_token_id: 0,
    eos_token_id: 1,
  };
  for (const [k, v] of Object.entries(options.config ?? {})) {
    if (v === undefined) delete config[k];
    else config[k] = v;
  }
  const files: Record<string, string | Uint8Array> = {
    'config.json': JSON.stringify(config),
    'generation_config.json': JSON.stringify({ bos_token_id: 0, eos_token_id: [1] }),
    'tokenizer.json': JSON.stringify(toyTokenizerJson()),
    'tokenizer_config.json': JSON.stringify({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', chat_template: TOY_CHAT_TEMPLATE }),
  };
  if (options.decoder ?? true) files['onnx/model.onnx'] = toyDecoder(shape);
  if (options.pair ?? true) {
    files['onnx/embed_tokens.onnx'] = toyEmbed(shape);
    files['onnx/decoder_model_merged.onnx'] = toyDecoder(shape, { input: 'inputs_embeds' });
  }
  for (const [k, v] of Object.entries(options.files ?? {})) {
    if (v === undefined) delete files[k];
    else files[k] = v;
  }
  return files;
}

export function toyFolder(options: ToyFolderOptions = {}): ModelFileSource {
  return memoryFileSource(toyFiles(options), 'toy');
}

export const cpuSessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const };
export { ort };
