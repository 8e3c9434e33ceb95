import { ModelError } from '@reasonflow/core';
import { OnnxDecoderModel } from './decoder.js';
import { externalDataLocations } from './external-data.js';
import type { ModelFileSource } from './file-source.js';
import { type DecoderGraph, type EmbedGraph, inspectDecoderGraph, inspectEmbedGraph } from './graph-signature.js';
import { HostKvCacheOps, type KvCacheOps } from './kv-cache-ops.js';
import { type ModelConfig, parseModelConfig, tokenIds } from './model-config.js';
import type { OnnxRuntime, OrtSession, OrtSessionOptions, SessionFactory } from './runtime.js';
import { createModelTokenizer, type ModelTokenizer, type TokenizerIds } from './tokenizer.js';

/** The files of a model folder, relative to it. */
export const MODEL_FILES = Object.freeze({
  config: 'config.json',
  generationConfig: 'generation_config.json',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  /** The decoder taking `input_ids`. */
  decoder: 'onnx/model.onnx',
  /** The inputs_embeds pair (exact embedding noise and soft thoughts). */
  embedTokens: 'onnx/embed_tokens.onnx',
  embedsDecoder: 'onnx/decoder_model_merged.onnx',
});

export interface LoadModelFolderOptions {
  /** The onnxruntime flavour (`import * as ort from 'onnxruntime-node'`). */
  readonly runtime: OnnxRuntime;
  /** Options for every session (execution providers, threads, ...). */
  readonly sessionOptions?: OrtSessionOptions;
  /** Overrides session creation (backends use it to fall back between execution providers). */
  readonly createSession?: SessionFactory;
  /** The KV operations implementation; default `HostKvCacheOps` (typed-array copies, CPU memory). */
  readonly kvCacheOps?: (runtime: OnnxRuntime) => KvCacheOps | Promise<KvCacheOps>;
  /**
   * Load the inputs_embeds pair when the folder has it (default true). False saves the memory of a
   * second decoder when neither embedding noise nor soft thoughts are needed.
   */
  readonly inputsEmbeds?: boolean;
}

/** A loaded model folder. */
export interface LoadedModel {
  /** Core's `DecoderModel`, plus session and tensor counts for leak checks. */
  readonly model: OnnxDecoderModel;
  readonly tokenizer: ModelTokenizer;
  readonly config: ModelConfig;
  /** `generation_config.json` as parsed (`{}` when the folder has none). */
  readonly generationConfig: Readonly<Record<string, unknown>>;
  /** Releases the sessions and every sequence. Idempotent. */
  dispose(): Promise<void>;
}

type Json = Record<string, unknown>;

/**
 * Loads a Hugging Face-style ONNX decoder folder: `config.json`, `generation_config.json` (optional),
 * `tokenizer.json`, `tokenizer_config.json` (with its chat template), `onnx/model.onnx` and, when
 * present, the inputs_embeds pair `onnx/embed_tokens.onnx` + `onnx/decoder_model_merged.onnx`.
 *
 * Everything is validated before the model is returned, and every problem found is reported at once.
 * @throws ModelError whose `problems` lists each missing file, unparseable JSON, missing config field,
 *   missing or unexpected graph input/output and mismatched dimension, naming the file. A file
 *   onnxruntime cannot load is reported with the runtime's error as `cause`. No session outlives a failure.
 */
export async function loadModelFolder(source: ModelFileSource, options: LoadModelFolderOptions): Promise<LoadedModel> {
  const problems: string[] = [];
  let cause: unknown;
  const sessions: OrtSession[] = [];
  let kvOps: KvCacheOps | undefined;
  let success = false;
  try {
    const [hasConfig, hasGeneration, hasTokenizer, hasTokenizerConfig, hasDecoder, hasEmbed, hasEmbedsDecoder] = await Promise.all(
      [
        MODEL_FILES.config,
        MODEL_FILES.generationConfig,
        MODEL_FILES.tokenizer,
        MODEL_FILES.tokenizerConfig,
        MODEL_FILES.decoder,
        MODEL_FILES.embedTokens,
        MODEL_FILES.embedsDecoder,
      ].map((f) => source.exists(f)),
    );
    const readJson = async (file: string, present: boolean | undefined, required: boolean): Promise<Json | undefined> => {
      if (!present) {
        if (required) problems.push(`${file}: missing`);
        return undefined;
      }
      let text: string;
      try {
        text = await source.readText(file);
      } catch (error) {
        problems.push(`${file}: cannot be read: ${(error as Error).message}`);
        return undefined;
      }
      try {
        const json: unknown = JSON.parse(text);
        if (json === null || typeof json !== 'object' || Array.isArray(json)) {
          problems.push(`${file}: must hold a JSON object`);
          return undefined;
        }
        return json as Json;
      } catch (error) {
        problems.push(`${file}: not valid JSON: ${(error as Error).message}`);
        return undefined;
      }
    };
    const configJson = await readJson(MODEL_FILES.config, hasConfig, true);
    const generationConfig = (await readJson(MODEL_FILES.generationConfig, hasGeneration, false)) ?? {};
    const tokenizerJson = await readJson(MODEL_FILES.tokenizer, hasTokenizer, true);
    const tokenizerConfig = await readJson(MODEL_FILES.tokenizerConfig, hasTokenizerConfig, true);

    const config = configJson === undefined ? undefined : parseModelConfig(configJson, MODEL_FILES.config, problems);

    let tokenizer: ModelTokenizer | undefined;
    if (tokenizerJson !== undefined && tokenizerConfig !== undefined) {
      tokenizer = createModelTokenizer(tokenizerJson, tokenizerConfig, tokenizerIds(generationConfig, configJson), problems);
    }

    const wantPair = options.inputsEmbeds ?? true;
    if (hasEmbed !== hasEmbedsDecoder) {
      const [present, missing] = hasEmbed
        ? [MODEL_FILES.embedTokens, MODEL_FILES.embedsDecoder]
        : [MODEL_FILES.embedsDecoder, MODEL_FILES.embedTokens];
      problems.push(`${missing}: missing (${present} is present; the inputs_embeds pair needs both)`);
    }
    const loadPair = wantPair && hasEmbed && hasEmbedsDecoder;
    if (!hasDecoder && !(hasEmbed && hasEmbedsDecoder)) {
      problems.push(`${MODEL_FILES.decoder}: missing (and no ${MODEL_FILES.embedTokens} + ${MODEL_FILES.embedsDecoder} pair)`);
    }

    const sessionOptions: OrtSessionOptions = { ...options.sessionOptions };
    const create: SessionFactory = options.createSession ?? ((bytes, _file, opts) => options.runtime.InferenceSession.create(bytes, opts));
    const openSession = async (file: string): Promise<OrtSession | undefined> => {
      try {
        const bytes = await source.readBinary(file);
        const opts = { ...sessionOptions };
        // External data is read here, from the folder: onnxruntime given bytes would look for it in
        // the current directory and report it there.
        const directory = file.slice(0, file.lastIndexOf('/') + 1);
        const locations = externalDataLocations(bytes);
        if (locations.length === 0) {
          for (const suffix of ['_data', '.data']) {
            const name = `${file.slice(directory.length)}${suffix}`;
            if (await source.exists(`${directory}${name}`)) locations.push(name);
          }
        }
        const externalData: { path: string; data: Uint8Array }[] = [];
        let missingData = false;
        for (const location of locations) {
          const dataFile = `${directory}${location}`;
          if (await source.exists(dataFile)) {
            externalData.push({ path: location, data: await source.readBinary(dataFile) });
          } else {
            problems.push(`${dataFile}: missing (external data of ${file})`);
            missingData = true;
          }
        }
        if (missingData) return undefined;
        if (externalData.length > 0) opts.externalData = externalData;
        const session = await create(bytes, file, opts);
        sessions.push(session);
        return session;
      } catch (error) {
        problems.push(`${file}: onnxruntime cannot load it: ${(error as Error).message}`);
        cause ??= error;
        return undefined;
      }
    };

    const expected = {
      ...(config !== undefined
        ? {
            numLayers: config.numLayers,
            numKeyValueHeads: config.numKeyValueHeads,
            headDim: config.headDim,
            vocabSize: config.vocabSize,
          }
        : {}),
    };
    let tokenGraph: DecoderGraph | undefined;
    let embedsGraph: DecoderGraph | undefined;
    let embedGraph: EmbedGraph | undefined;
    if (hasDecoder) {
      const session = await openSession(MODEL_FILES.decoder);
      if (session) tokenGraph = inspectDecoderGraph(session, MODEL_FILES.decoder, 'input_ids', expected, problems);
    }
    if (loadPair || (!hasDecoder && hasEmbed && hasEmbedsDecoder)) {
      const embedSession = await openSession(MODEL_FILES.embedTokens);
      if (embedSession) embedGraph = inspectEmbedGraph(embedSession, MODEL_FILES.embedTokens, problems);
      const decoderSession = await openSession(MODEL_FILES.embedsDecoder);
      if (decoderSession) embedsGraph = inspectDecoderGraph(decoderSession, MODEL_FILES.embedsDecoder, 'inputs_embeds', expected, problems);
    }
    if (tokenGraph !== undefined && embedsGraph !== undefined && tokenGraph.kvType !== embedsGraph.kvType) {
      problems.push(
        `${MODEL_FILES.embedsDecoder}: KV cache is ${embedsGraph.kvType} but ${MODEL_FILES.decoder}'s is ${tokenGraph.kvType}; both decoders must share one cache layout`,
      );
    }
    let embeddingSize: number | undefined;
    if (embedGraph !== undefined && embedsGraph !== undefined) {
      const candidates: [number | undefined, string][] = [
        [embedGraph.embeddingSize, `${MODEL_FILES.embedTokens} output`],
        [embedsGraph.embeddingSize, `${MODEL_FILES.embedsDecoder} inputs_embeds`],
        [config?.hiddenSize, `${MODEL_FILES.config} hidden_size`],
      ];
      const known = candidates.filter((c): c is [number, string] => c[0] !== undefined);
      embeddingSize = known[0]?.[0];
      if (embeddingSize === undefined) {
        problems.push(`${MODEL_FILES.embedsDecoder}: embedding width unknown (no fixed inputs_embeds dimension and no hidden_size in config.json)`);
      } else if (known.some((c) => c[0] !== embeddingSize)) {
        problems.push(`inputs_embeds width disagrees: ${known.map(([v, where]) => `${where} = ${v}`).join(', ')}`);
      }
    }

    if (problems.length > 0 || config === undefined || tokenizer === undefined) {
      throw new ModelError(
        `Cannot load the model folder ${source.description}: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
        problems,
        cause === undefined ? undefined : { cause },
      );
    }
    kvOps = await (options.kvCacheOps ?? ((runtime) => new HostKvCacheOps(runtime)))(options.runtime);
    const model = new OnnxDecoderModel({
      runtime: options.runtime,
      config,
      eosTokenIds: tokenizer.eosTokenIds,
      ...(tokenGraph !== undefined ? { tokenGraph } : {}),
      ...(embedsGraph !== undefined && embeddingSize !== undefined ? { embedsGraph, embedGraph, embeddingSize } : {}),
      kvOps,
      sessions,
    });
    success = true;
    return {
      model,
      tokenizer,
      config,
      generationConfig: Object.freeze({ ...generationConfig }),
      dispose: () => model.dispose(),
    };
  } finally {
    if (!success) {
      await kvOps?.dispose();
      await Promise.allSettled(sessions.map((s) => s.release()));
    }
  }
}

/**
 * Only the tokenizer of a model folder (no ONNX session): for a thread that tokenizes while another
 * (a worker) runs the model.
 * @throws ModelError listing every problem with the tokenizer files.
 */
export async function loadTokenizer(source: ModelFileSource): Promise<ModelTokenizer> {
  const problems: string[] = [];
  const readJson = async (file: string, required: boolean): Promise<Json | undefined> => {
    if (!(await source.exists(file))) {
      if (required) problems.push(`${file}: missing`);
      return undefined;
    }
    try {
      const json: unknown = JSON.parse(await source.readText(file));
      if (json !== null && typeof json === 'object' && !Array.isArray(json)) return json as Json;
      problems.push(`${file}: must hold a JSON object`);
    } catch (error) {
      problems.push(`${file}: not valid JSON: ${(error as Error).message}`);
    }
    return undefined;
  };
  const configJson = (await readJson(MODEL_FILES.config, false)) ?? {};
  const generationConfig = (await readJson(MODEL_FILES.generationConfig, false)) ?? {};
  const tokenizerJson = await readJson(MODEL_FILES.tokenizer, true);
  const tokenizerConfig = await readJson(MODEL_FILES.tokenizerConfig, true);
  let tokenizer: ModelTokenizer | undefined;
  if (tokenizerJson !== undefined && tokenizerConfig !== undefined) {
    tokenizer = createModelTokenizer(tokenizerJson, tokenizerConfig, tokenizerIds(generationConfig, configJson), problems);
  }
  if (problems.length > 0 || tokenizer === undefined) {
    throw new ModelError(
      `Cannot load the tokenizer of ${source.description}: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      problems,
    );
  }
  return tokenizer;
}

function tokenizerIds(generationConfig: Json, configJson: Json | undefined): TokenizerIds {
  const eos = new Set([...tokenIds(generationConfig.eos_token_id), ...tokenIds(configJson?.eos_token_id)]);
  const bos = tokenIds(generationConfig.bos_token_id ?? configJson?.bos_token_id)[0];
  const pad = tokenIds(generationConfig.pad_token_id ?? configJson?.pad_token_id)[0];
  return { eosTokenIds: [...eos], ...(bos !== undefined ? { bosTokenId: bos } : {}), ...(pad !== undefined ? { padTokenId: pad } : {}) };
}
