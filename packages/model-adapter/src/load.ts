import { ConfigError, ModelError } from '@reasonflow/core';
import { OnnxDecoderModel } from './decoder.js';
import { externalDataFiles } from './external-data.js';
import type { ModelFileSource } from './file-source.js';
import { GENAI_CONFIG_FILE, type GenaiLayout, parseGenaiConfig } from './genai-config.js';
import { type GraphNames, HF_GRAPH_NAMES, presentNames } from './graph-names.js';
import { type DecoderGraph, type EmbedGraph, type ExpectedShape, inspectDecoderGraph, inspectEmbedGraph } from './graph-signature.js';
import { HostKvCacheOps, type KvCacheOps } from './kv-cache-ops.js';
import { type ModelConfig, parseModelConfig, tokenIds } from './model-config.js';
import { ModelEventHub, type ModelEventListener } from './model-events.js';
import { type DtypeFiles, type ModelDtype, resolveDtypeFiles } from './model-files.js';
import { createOrtSession, type OnnxRuntime, type OrtSession, type OrtSessionOptions, type SessionFactory } from './runtime.js';
import { createModelTokenizer, type ModelTokenizer, type TokenizerIds } from './tokenizer.js';

/** The files of a model folder, relative to it. */
export const MODEL_FILES = Object.freeze({
  config: 'config.json',
  generationConfig: 'generation_config.json',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  /** onnxruntime-genai's description of its folder (the model then sits at the folder root). */
  genaiConfig: GENAI_CONFIG_FILE,
  /** The fp32 decoder taking `input_ids` (other dtypes: `model_fp16.onnx`, …; see `MODEL_DTYPES`). */
  decoder: 'onnx/model.onnx',
  /** The inputs_embeds pair (exact embedding noise and soft thoughts). */
  embedTokens: 'onnx/embed_tokens.onnx',
  embedsDecoder: 'onnx/decoder_model_merged.onnx',
});

export interface LoadModelFolderOptions {
  /** The onnxruntime flavour (`import * as ort from 'onnxruntime-node'`). */
  readonly runtime: OnnxRuntime;
  /**
   * Which weights to load, named as transformers.js names them: `fp32` (`onnx/model.onnx`), `fp16`
   * (`onnx/model_fp16.onnx`), `q8` (`model_quantized`), `q4` (`model_q4`), `q4f16` (`model_q4f16`).
   * Default: the first of `MODEL_DTYPES` the folder has. onnxruntime-genai folders hold one model
   * and take no dtype.
   */
  readonly dtype?: ModelDtype;
  /** Options for every session (execution providers, threads, ...). */
  readonly sessionOptions?: OrtSessionOptions;
  /** Overrides session creation (the shared `loadModel` creates sessions through a `RuntimeBackend`). */
  readonly createSession?: SessionFactory;
  /** The KV operations implementation; default `HostKvCacheOps` (typed-array copies, CPU memory). */
  readonly kvCacheOps?: (runtime: OnnxRuntime) => KvCacheOps | Promise<KvCacheOps>;
  /**
   * Keep the KV cache on the device: every `present.N.key|value` output of the decoders gets this
   * onnxruntime output location (the names are spelled here, from config.json's layer count).
   */
  readonly kvOutputLocation?: 'gpu-buffer' | 'ml-tensor' | 'texture';
  /**
   * Load the inputs_embeds pair when the folder has it (default true). False saves the memory of a
   * second decoder when neither embedding noise nor soft thoughts are needed.
   */
  readonly inputsEmbeds?: boolean;
  /** Hears the model's forward passes and KV operations (same as `model.observe`). */
  readonly onEvent?: ModelEventListener;
}

/** A loaded model folder. */
export interface LoadedModel {
  /** Core's `DecoderModel`, plus session and tensor counts for leak checks. */
  readonly model: OnnxDecoderModel;
  readonly tokenizer: ModelTokenizer;
  readonly config: ModelConfig;
  /** The weights loaded (undefined for an onnxruntime-genai folder, which holds one model). */
  readonly dtype?: ModelDtype;
  /** `generation_config.json` as parsed (`{}` when the folder has none). */
  readonly generationConfig: Readonly<Record<string, unknown>>;
  /** Releases the sessions and every sequence. Idempotent. */
  dispose(): Promise<void>;
}

type Json = Record<string, unknown>;

/** The JSON files of a folder, read once and reported into `problems`. */
interface FolderJson {
  readonly config: Json | undefined;
  /** Present for an onnxruntime-genai folder. */
  readonly genai: GenaiLayout | undefined;
  readonly generationConfig: Json;
  readonly tokenizer: Json | undefined;
  readonly tokenizerConfig: Json | undefined;
}

/** The decoder graphs, opened and checked against config.json. */
interface FolderGraphs {
  readonly tokenGraph?: DecoderGraph;
  readonly embedsGraph?: DecoderGraph;
  readonly embedGraph?: EmbedGraph;
  readonly embeddingSize?: number;
}

/** What one load attempt shares between its steps: the problems found, the sessions to release on failure. */
interface LoadContext {
  readonly source: ModelFileSource;
  readonly problems: string[];
  readonly sessions: OrtSession[];
  cause: unknown;
}

/**
 * Loads a Hugging Face-style ONNX decoder folder: `config.json`, `generation_config.json` (optional),
 * `tokenizer.json`, `tokenizer_config.json` (with its chat template), `onnx/model.onnx` and, when
 * present, the inputs_embeds pair `onnx/embed_tokens.onnx` + `onnx/decoder_model_merged.onnx`.
 * This is the runtime-level step (one runtime, given session options); `loadModel` adds the device
 * choice and fallback of a `RuntimeBackend`.
 *
 * Everything is validated before the model is returned, and every problem found is reported at once.
 * @throws ModelError whose `problems` lists each missing file, unparseable JSON, missing config field,
 *   missing or unexpected graph input/output and mismatched dimension, naming the file. A file
 *   onnxruntime cannot load is reported with the runtime's error as `cause`. No session outlives a failure.
 */
export async function loadModelFolder(source: ModelFileSource, options: LoadModelFolderOptions): Promise<LoadedModel> {
  const context: LoadContext = { source, problems: [], sessions: [], cause: undefined };
  let kvOps: KvCacheOps | undefined;
  let success = false;
  try {
    const json = await readFolderJson(source, context.problems);
    const layout = await folderLayout(source, json, options.dtype, context.problems);
    const config = json.genai?.config ?? (json.config === undefined ? undefined : parseModelConfig(json.config, MODEL_FILES.config, context.problems));
    const tokenizer = parseTokenizer(json, context.problems);
    const graphs = layout === undefined ? {} : await openGraphs(context, layout, config, options);
    if (context.problems.length > 0 || config === undefined || tokenizer === undefined) {
      throw folderError(`Cannot load the model folder ${source.description}`, context.problems, context.cause);
    }
    kvOps = await (options.kvCacheOps ?? ((runtime) => new HostKvCacheOps(runtime)))(options.runtime);
    const events = new ModelEventHub();
    if (options.onEvent) events.add(options.onEvent);
    const model = new OnnxDecoderModel({
      runtime: options.runtime,
      config,
      eosTokenIds: tokenizer.eosTokenIds,
      ...(graphs.tokenGraph !== undefined ? { tokenGraph: graphs.tokenGraph } : {}),
      ...(graphs.embedsGraph !== undefined && graphs.embeddingSize !== undefined
        ? { embedsGraph: graphs.embedsGraph, embedGraph: graphs.embedGraph, embeddingSize: graphs.embeddingSize }
        : {}),
      kvOps,
      sessions: context.sessions,
      events,
      tokensFollowEmbeddings: options.kvOutputLocation === undefined,
    });
    success = true;
    return {
      model,
      tokenizer,
      config,
      ...(layout?.dtype !== undefined ? { dtype: layout.dtype } : {}),
      generationConfig: Object.freeze({ ...json.generationConfig }),
      dispose: () => model.dispose(),
    };
  } finally {
    if (!success) {
      await kvOps?.dispose();
      await Promise.allSettled(context.sessions.map((s) => s.release()));
    }
  }
}

/** Which graphs of the folder to open and what their inputs and outputs are called. */
interface FolderLayout extends Omit<DtypeFiles, 'dtype'> {
  readonly dtype?: ModelDtype;
  readonly names: GraphNames;
  /** Where the expected layer/head counts come from, for messages. */
  readonly shapeFrom: string;
}

/**
 * An onnxruntime-genai folder (genai_config.json: one model at the root, its own names) or a
 * transformers.js / Optimum one (`onnx/`, one file per dtype). `undefined` when it has no decoder (a problem).
 * @throws ConfigError when `dtype` names no dtype, the folder lacks it, or is given for a genai folder.
 */
async function folderLayout(source: ModelFileSource, json: FolderJson, dtype: ModelDtype | undefined, problems: string[]): Promise<FolderLayout | undefined> {
  if (json.genai !== undefined) {
    if (dtype !== undefined) {
      throw new ConfigError('dtype', dtype, `no dtype: ${source.description} is an onnxruntime-genai folder holding one model (${json.genai.decoderFile})`);
    }
    if (!(await source.exists(json.genai.decoderFile))) {
      problems.push(`${json.genai.decoderFile}: missing (named by ${GENAI_CONFIG_FILE})`);
      return undefined;
    }
    return { decoder: json.genai.decoderFile, names: json.genai.names, shapeFrom: GENAI_CONFIG_FILE };
  }
  const files = await resolveDtypeFiles(source, dtype, problems);
  return files === undefined ? undefined : { ...files, names: HF_GRAPH_NAMES, shapeFrom: MODEL_FILES.config };
}

/**
 * Only the tokenizer of a model folder (no ONNX session): for a thread that tokenizes while another
 * (a worker) runs the model.
 * @throws ModelError listing every problem with the tokenizer files.
 */
export async function loadTokenizer(source: ModelFileSource): Promise<ModelTokenizer> {
  const problems: string[] = [];
  const json = await readFolderJson(source, problems, { configRequired: false });
  const tokenizer = parseTokenizer(json, problems);
  if (problems.length > 0 || tokenizer === undefined) throw folderError(`Cannot load the tokenizer of ${source.description}`, problems);
  return tokenizer;
}

function folderError(what: string, problems: readonly string[], cause?: unknown): ModelError {
  return new ModelError(
    `${what}: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    problems,
    cause === undefined ? undefined : { cause },
  );
}

/** The one JSON reader: a missing optional file is `undefined`; every other problem goes to `problems`. */
async function readJsonFile(source: ModelFileSource, file: string, required: boolean, problems: string[]): Promise<Json | undefined> {
  if (!(await source.exists(file))) {
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
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) return json as Json;
    problems.push(`${file}: must hold a JSON object`);
  } catch (error) {
    problems.push(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  return undefined;
}

async function readFolderJson(source: ModelFileSource, problems: string[], { configRequired = true } = {}): Promise<FolderJson> {
  const genaiJson = await readJsonFile(source, MODEL_FILES.genaiConfig, false, problems);
  const genai = genaiJson === undefined ? undefined : parseGenaiConfig(genaiJson, problems);
  return {
    // An onnxruntime-genai folder describes the model in genai_config.json; config.json is optional there.
    config: await readJsonFile(source, MODEL_FILES.config, configRequired && genaiJson === undefined, problems),
    genai,
    generationConfig: (await readJsonFile(source, MODEL_FILES.generationConfig, false, problems)) ?? {},
    tokenizer: await readJsonFile(source, MODEL_FILES.tokenizer, true, problems),
    tokenizerConfig: await readJsonFile(source, MODEL_FILES.tokenizerConfig, true, problems),
  };
}

function parseTokenizer(json: FolderJson, problems: string[]): ModelTokenizer | undefined {
  if (json.tokenizer === undefined || json.tokenizerConfig === undefined) return undefined;
  return createModelTokenizer(json.tokenizer, json.tokenizerConfig, json.genai !== undefined && json.genai.eosTokenIds.length > 0 ? json.genai : tokenizerIds(json.generationConfig, json.config), problems);
}

/** Opens the decoder graphs of the layout (and the options want) and checks them against the config. */
async function openGraphs(context: LoadContext, layout: FolderLayout, config: ModelConfig | undefined, options: LoadModelFolderOptions): Promise<FolderGraphs> {
  const { problems } = context;
  const { names } = layout;
  const open = sessionOpener(context, options, config, names);
  const expected: ExpectedShape =
    config === undefined
      ? {}
      : {
          numLayers: config.numLayers,
          numKeyValueHeads: config.numKeyValueHeads,
          headDim: config.headDim,
          vocabSize: config.vocabSize,
          layersFrom: layout.shapeFrom,
        };
  let tokenGraph: DecoderGraph | undefined;
  let embedsGraph: DecoderGraph | undefined;
  let embedGraph: EmbedGraph | undefined;
  if (layout.decoder !== undefined) {
    const session = await open(layout.decoder);
    if (session) tokenGraph = inspectDecoderGraph(session, layout.decoder, 'input_ids', expected, problems, names);
  }
  const { embedTokens, embedsDecoder } = layout;
  if (embedTokens !== undefined && embedsDecoder !== undefined && ((options.inputsEmbeds ?? true) || layout.decoder === undefined)) {
    const embedSession = await open(embedTokens);
    if (embedSession) embedGraph = inspectEmbedGraph(embedSession, embedTokens, problems);
    const decoderSession = await open(embedsDecoder);
    if (decoderSession) embedsGraph = inspectDecoderGraph(decoderSession, embedsDecoder, 'inputs_embeds', expected, problems, names);
  }
  if (tokenGraph !== undefined && embedsGraph !== undefined && tokenGraph.kvType !== embedsGraph.kvType) {
    problems.push(
      `${embedsGraph.file}: KV cache is ${embedsGraph.kvType} but ${tokenGraph.file}'s is ${tokenGraph.kvType}; both decoders must share one cache layout`,
    );
  }
  const embeddingSize = embedGraph !== undefined && embedsGraph !== undefined ? checkEmbeddingWidth(embedGraph, embedsGraph, config, problems) : undefined;
  return {
    ...(tokenGraph !== undefined ? { tokenGraph } : {}),
    ...(embedsGraph !== undefined ? { embedsGraph } : {}),
    ...(embedGraph !== undefined ? { embedGraph } : {}),
    ...(embeddingSize !== undefined ? { embeddingSize } : {}),
  };
}

/** The inputs_embeds width, which the embedding graph, the decoder and config.json must agree on. */
function checkEmbeddingWidth(embedGraph: EmbedGraph, embedsGraph: DecoderGraph, config: ModelConfig | undefined, problems: string[]): number | undefined {
  const candidates: [number | undefined, string][] = [
    [embedGraph.embeddingSize, `${embedGraph.file} output`],
    [embedsGraph.embeddingSize, `${embedsGraph.file} inputs_embeds`],
    [config?.hiddenSize, `${MODEL_FILES.config} hidden_size`],
  ];
  const known = candidates.filter((c): c is [number, string] => c[0] !== undefined);
  const embeddingSize = known[0]?.[0];
  if (embeddingSize === undefined) {
    problems.push(`${embedsGraph.file}: embedding width unknown (no fixed inputs_embeds dimension and no hidden_size in config.json)`);
  } else if (known.some((c) => c[0] !== embeddingSize)) {
    problems.push(`inputs_embeds width disagrees: ${known.map(([v, where]) => `${where} = ${v}`).join(', ')}`);
  }
  return embeddingSize;
}

/** The KV outputs of the graphs, placed at `location`. */
function kvOutputLocations(names: GraphNames, numLayers: number, location: NonNullable<LoadModelFolderOptions['kvOutputLocation']>): Record<string, typeof location> {
  return Object.fromEntries(presentNames(names, numLayers).map((name) => [name, location]));
}

/** Opens one graph of the folder with its external data; a failure becomes a problem (the session `undefined`). */
function sessionOpener(context: LoadContext, options: LoadModelFolderOptions, config: ModelConfig | undefined, names: GraphNames) {
  const sessionOptions: OrtSessionOptions = { ...options.sessionOptions };
  if (options.kvOutputLocation !== undefined && config !== undefined) {
    sessionOptions.preferredOutputLocation = kvOutputLocations(names, config.numLayers, options.kvOutputLocation);
  }
  const create: SessionFactory = options.createSession ?? ((model, _file, opts) => createOrtSession(options.runtime, model, opts));
  const { source } = context;
  const onDisk = source.localPath !== undefined && source.byteLength !== undefined;
  return async (file: string): Promise<OrtSession | undefined> => {
    try {
      const bytes = await source.readBinary(file);
      const externalData = await readExternalData(context, file, bytes, onDisk);
      if (externalData === undefined) return undefined;
      // On disk, onnxruntime opens the graph by path and finds its external data beside it.
      const session =
        externalData.length === 0
          ? await create(bytes, file, { ...sessionOptions })
          : onDisk
            ? await create(source.localPath!(file), file, { ...sessionOptions })
            : await create(bytes, file, { ...sessionOptions, externalData: externalData as { path: string; data: Uint8Array }[] });
      context.sessions.push(session);
      return session;
    } catch (error) {
      context.problems.push(`${file}: onnxruntime cannot load it: ${(error as Error).message}`);
      context.cause ??= error;
      return undefined;
    }
  };
}

/**
 * The external data files of `file` (every location its tensors name: `model.onnx_data`,
 * `model.onnx.data`, shards `model.onnx_data_1`, …), read from the folder: onnxruntime given bytes
 * would look for them in the current directory and report them there. `onDisk`: only their sizes are
 * checked (no `data`: onnxruntime reads them itself). `undefined` when one is missing or shorter than
 * its tensors need (a problem naming that file).
 */
async function readExternalData(
  context: LoadContext,
  file: string,
  bytes: Uint8Array,
  onDisk: boolean,
): Promise<{ path: string; data?: Uint8Array }[] | undefined> {
  const { source, problems } = context;
  const directory = file.slice(0, file.lastIndexOf('/') + 1);
  const referenced = externalDataFiles(bytes);
  if (referenced.length === 0) {
    // The scan found no location entry: the conventional names, if present, are still handed over.
    for (const suffix of ['_data', '.data']) {
      const location = `${file.slice(directory.length)}${suffix}`;
      if (await source.exists(`${directory}${location}`)) referenced.push({ location });
    }
  }
  const externalData: { path: string; data?: Uint8Array }[] = [];
  let usable = true;
  for (const { location, bytesNeeded } of referenced) {
    const dataFile = `${directory}${location}`;
    if (!(await source.exists(dataFile))) {
      problems.push(`${dataFile}: missing (external data of ${file})`);
      usable = false;
      continue;
    }
    const data = onDisk ? undefined : await source.readBinary(dataFile);
    const size = data?.byteLength ?? (await source.byteLength!(dataFile));
    if (bytesNeeded !== undefined && size < bytesNeeded) {
      problems.push(`${dataFile}: truncated: ${size} bytes, but ${file} stores tensors up to byte ${bytesNeeded} there (external data)`);
      usable = false;
      continue;
    }
    externalData.push(data === undefined ? { path: location } : { path: location, data });
  }
  return usable ? externalData : undefined;
}

function tokenizerIds(generationConfig: Json, configJson: Json | undefined): TokenizerIds {
  const eos = new Set([...tokenIds(generationConfig.eos_token_id), ...tokenIds(configJson?.eos_token_id)]);
  const bos = tokenIds(generationConfig.bos_token_id ?? configJson?.bos_token_id)[0];
  const pad = tokenIds(generationConfig.pad_token_id ?? configJson?.pad_token_id)[0];
  return { eosTokenIds: [...eos], ...(bos !== undefined ? { bosTokenId: bos } : {}), ...(pad !== undefined ? { padTokenId: pad } : {}) };
}
