import { ModelError } from '@reasonflow/core';
import { describe, expect, it } from 'vitest';
import { loadModelFolder, memoryFileSource } from '../src/index.js';
import { cpuSessionOptions, ort, TOY, type ToyFolderOptions, toyDecoder, toyEmbed, toyEmbedWeights, toyFiles, toyFolder } from './fixtures.js';
import { recordingSessionFactory } from './helpers.js';

/** Loads a toy folder expecting failure; returns the error and checks every session was released. */
async function failLoad(options: ToyFolderOptions): Promise<ModelError> {
  const { createSession, live } = recordingSessionFactory(ort);
  const error = await loadModelFolder(toyFolder(options), { runtime: ort, sessionOptions: cpuSessionOptions, createSession }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  expect(live.size).toBe(0);
  return error as ModelError;
}

describe('loadModelFolder validation', () => {
  it('names every missing file at once', async () => {
    const error = await failLoad({ files: { 'tokenizer.json': undefined, 'config.json': undefined }, decoder: false, pair: false });
    expect(error.problems).toEqual([
      'config.json: missing',
      'tokenizer.json: missing',
      'onnx/model.onnx: missing (and no other decoder graph: onnx/model[_fp16|_quantized|_q4|_q4f16].onnx, onnx/decoder_model_merged[…].onnx, genai_config.json)',
    ]);
    expect(error.message).toMatch(/toy: 3 problem\(s\)/);
  });

  it('reports unparseable JSON and missing config fields', async () => {
    const error = await failLoad({ config: { vocab_size: undefined, max_position_embeddings: 'long', head_dim: undefined, hidden_size: undefined }, files: { 'tokenizer_config.json': '{oops' } });
    expect(error.problems).toContain('config.json: missing "vocab_size"');
    expect(error.problems).toContain('config.json: "max_position_embeddings" must be a positive integer, got "long"');
    expect(error.problems).toContain('config.json: missing "head_dim" (or "hidden_size" and "num_attention_heads" to derive it)');
    expect(error.problems.some((p) => p.startsWith('tokenizer_config.json: not valid JSON'))).toBe(true);
  });

  it('config.json with more layers than the graph', async () => {
    const error = await failLoad({ config: { num_hidden_layers: 4 }, pair: false });
    expect(error.problems).toContain('onnx/model.onnx: config.json says num_hidden_layers=4 but the graph has past_key_values inputs for 2 layer(s)');
    expect(error.problems).toContain('onnx/model.onnx: missing input "past_key_values.2.key"');
    expect(error.problems).toContain('onnx/model.onnx: missing output "present.3.value"');
  });

  it('a graph with wrong input/output names', async () => {
    const wrong = toyDecoder(TOY, { rename: { input_ids: 'tokens', 'present.1.key': 'present_key_1', 'past_key_values.0.value': 'past.0.value' } });
    const error = await failLoad({ files: { 'onnx/model.onnx': wrong }, pair: false });
    expect(error.problems).toEqual([
      'onnx/model.onnx: missing input "input_ids"',
      'onnx/model.onnx: missing input "past_key_values.0.value"',
      'onnx/model.onnx: unexpected input "tokens" (the adapter cannot feed it)',
      'onnx/model.onnx: unexpected input "past.0.value" (the adapter cannot feed it)',
      'onnx/model.onnx: missing output "present.1.key"',
    ]);
  });

  it('fixed KV dimensions that disagree with config.json', async () => {
    const error = await failLoad({ files: { 'onnx/model.onnx': toyDecoder({ ...TOY, kvHeads: 3 }, { fixedKvHeads: 3 }) }, pair: false });
    expect(error.problems).toContain('onnx/model.onnx: "past_key_values.0.key" has KV heads 3 on axis 1, config.json says 2');
  });

  it('a corrupt ONNX file names the file and carries the runtime error as cause', async () => {
    const error = await failLoad({ files: { 'onnx/decoder_model_merged.onnx': new Uint8Array([8, 1, 2, 3, 4, 5, 6]) } });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^onnx\/decoder_model_merged\.onnx: onnxruntime cannot load it: .*protobuf/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('half of the inputs_embeds pair', async () => {
    // (decoder_model_merged.onnx alone is Optimum's name for a token decoder, so only this half is an error.)
    const error = await failLoad({ files: { 'onnx/decoder_model_merged.onnx': undefined } });
    expect(error.problems).toEqual(['onnx/decoder_model_merged.onnx: missing (onnx/embed_tokens.onnx is present; the inputs_embeds pair needs both)']);
  });

  it('external data is read from the model folder; a missing file is reported at its path there', async () => {
    const weights = toyEmbedWeights(TOY);
    const external = {
      'onnx/embed_tokens.onnx': toyEmbed(TOY, 'embed_tokens.weights'),
      'onnx/embed_tokens.weights': new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength),
    };
    const loaded = await loadModelFolder(toyFolder({ files: external }), { runtime: ort, sessionOptions: cpuSessionOptions });
    const inline = await loadModelFolder(toyFolder(), { runtime: ort, sessionOptions: cpuSessionOptions });
    const tokens = Int32Array.of(3, 7, 11);
    expect(await loaded.model.embedTokens!(tokens)).toEqual(await inline.model.embedTokens!(tokens));
    await Promise.all([loaded.dispose(), inline.dispose()]);
    const error = await failLoad({ files: { ...external, 'onnx/embed_tokens.weights': undefined } });
    expect(error.problems).toEqual(['onnx/embed_tokens.weights: missing (external data of onnx/embed_tokens.onnx)']);
    expect(error.message).toMatch(/^Cannot load the model folder toy:/);
  });

  it('everything at once', async () => {
    const error = await failLoad({
      config: { num_key_value_heads: 0 },
      files: { 'tokenizer.json': undefined, 'onnx/model.onnx': new Uint8Array([1, 2, 3]), 'generation_config.json': '[' },
    });
    expect(error.problems.length).toBeGreaterThanOrEqual(4);
    const text = error.problems.join('\n');
    for (const name of ['config.json', 'tokenizer.json', 'onnx/model.onnx', 'generation_config.json']) expect(text).toContain(name);
  });

  it('a chat template that does not parse', async () => {
    const error = await failLoad({ files: { 'tokenizer_config.json': JSON.stringify({ eos_token: '</s>', chat_template: '{% for %}' }) } });
    expect(error.problems[0]).toMatch(/^tokenizer_config.json: chat_template does not parse/);
  });

  it('generation_config.json is optional', async () => {
    const files = toyFiles();
    delete files['generation_config.json'];
    const loaded = await loadModelFolder(memoryFileSource(files), { runtime: ort, sessionOptions: cpuSessionOptions });
    expect(loaded.model.info.eosTokenIds).toEqual([1]);
    await loaded.dispose();
  });
});
