import { fileURLToPath } from 'node:url';

/** Absolute path of the exported model folder (`config.json`, `tokenizer.json`, `onnx/*.onnx`). */
export const modelPath: string = fileURLToPath(new URL('../model', import.meta.url));

/** Alias of {@link modelPath}. */
export const tinyModelDir: string = modelPath;

/** Absolute path of a file inside the model folder, e.g. `modelFile('onnx/model.onnx')`. */
export function modelFile(relative: string): string {
  return fileURLToPath(new URL(`../model/${relative}`, import.meta.url));
}

/** Fixed facts about the exported model (they match model/config.json; a test checks that). */
export interface ModelSpec {
  modelType: 'llama';
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  maxPositionEmbeddings: number;
  padTokenId: number;
  bosTokenId: number;
  eosTokenId: number;
  unkTokenId: number;
  /** ONNX files relative to the model folder. */
  files: {
    /** `input_ids`, `attention_mask`, `position_ids`, `past_key_values.{i}.key|value` → `logits`, `present.{i}.key|value`. */
    model: string;
    /** `input_ids` → `inputs_embeds`. */
    embedTokens: string;
    /** Like `model` but takes `inputs_embeds` [batch, seq, hiddenSize] instead of `input_ids`. */
    decoderMerged: string;
  };
}

export const MODEL_SPEC: Readonly<ModelSpec> = {
  modelType: 'llama',
  vocabSize: 100,
  hiddenSize: 128,
  intermediateSize: 384,
  numLayers: 6,
  numAttentionHeads: 4,
  numKeyValueHeads: 2,
  headDim: 32,
  maxPositionEmbeddings: 256,
  padTokenId: 0,
  bosTokenId: 1,
  eosTokenId: 2,
  unkTokenId: 3,
  files: {
    model: 'onnx/model.onnx',
    embedTokens: 'onnx/embed_tokens.onnx',
    decoderMerged: 'onnx/decoder_model_merged.onnx',
  },
};

/** The chat template of tokenizer_config.json: `<s>` then the message contents, concatenated. */
export const CHAT_TEMPLATE = "{{ bos_token }}{% for message in messages %}{{ message['content'] }}{% endfor %}";
