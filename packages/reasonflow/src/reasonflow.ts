import {
  callbackStream,
  ConfigError,
  type DecoderModel,
  type EngineObserver,
  type GenerateOptions,
  type GenerateOptionsInput,
  type GenerationResult,
  type GenerationStats,
  type IterationReport,
  type ModelResources,
  type ReasonFlowConfig,
  ReasonFlowEngine,
  resolveConfig,
  resolveGenerateOptions,
  type ReasonFlowConfigInput,
  type SearchCandidate,
  type SearchOptionsInput,
  type SearchStats,
  type SearchStopReason,
  type StopReason,
  type StrategyInput,
  generateWith,
} from '@reasonflow/core';
import type { FileProgress, ModelDtype } from '@reasonflow/model-adapter';
import { TextStreamDecoder } from './text-stream.js';

/** A chat message; `content` is plain text. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant' | (string & {});
  readonly content: string;
}

/** What ReasonFlow needs from a tokenizer (model-adapter's `ModelTokenizer` satisfies it). */
export interface TextTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): ArrayLike<number>;
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
  /** Renders chat messages with the model's chat template; needed for chat input. */
  applyChatTemplate?(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): string;
  readonly eosTokenIds?: readonly number[];
}

/** Where a model runs. `auto` prefers the accelerator and falls back with a warning. */
export type Device = 'auto' | 'cuda' | 'cpu' | 'webgpu' | 'wasm';

/** A model folder loaded by a platform backend. */
export interface LoadedReasonFlowModel {
  readonly model: DecoderModel;
  readonly tokenizer: TextTokenizer;
  /** The execution provider that actually runs the model (e.g. `cuda`, `cpu`). */
  readonly executionProvider: string;
  dispose(): Promise<void>;
}

export interface FromPretrainedOptions {
  /** Default `auto`. */
  device?: Device;
  config?: ReasonFlowConfigInput;
  /** Receives a fallback warning (default console.warn). */
  onWarning?: (message: string) => void;
  /**
   * Node only: run the model in a `worker_threads` worker so forward passes never block the event
   * loop; the engine and tokenizer stay on this thread (default false: see the README for the
   * measured cost). Same tokens either way.
   */
  worker?: boolean;
  /** onnxruntime intra-op threads (default 1: fastest for small models; Node only). */
  intraOpNumThreads?: number;
  /**
   * Which weights of the folder to load, named as transformers.js names them: `fp32`
   * (onnx/model.onnx), `fp16` (model_fp16), `q8` (model_quantized), `q4` (model_q4), `q4f16`
   * (model_q4f16). Default: fp32 when present, else the first of those the folder has. A dtype the
   * folder lacks is a ConfigError listing the ones it has.
   */
  dtype?: ModelDtype;
  /**
   * Model weight files as they load: several times per file while a browser downloads it, once per
   * file (`done: true`) when Node has read it from disk.
   */
  onProgress?: (progress: FileProgress) => void;
  /** Load a folder with a backend of your own instead of the platform's. */
  loader?: ModelLoader;
  /** Bound on one generation's estimated memory (see core's `EngineOptions.memoryLimitBytes`; default 8 GiB). */
  memoryLimitBytes?: number;
}

export type ModelLoader = (folder: string, options: FromPretrainedOptions) => Promise<LoadedReasonFlowModel>;

let platformLoader: ModelLoader | undefined;

/** @internal Entry points (node.ts, browser.ts) install their platform's loader. */
export function setPlatformModelLoader(loader: ModelLoader): void {
  platformLoader = loader;
}

export interface TextChunk {
  /** Newly completed text (may be empty while a character is incomplete). */
  readonly text: string;
  readonly tokenId: number;
  readonly index: number;
}

export interface GenerateThoughtsOptions extends Omit<GenerateOptionsInput, 'onToken' | 'decode'> {
  /**
   * The device the caller expects, as in the original's `generate_thoughts(..., device="cuda")`.
   * The device is chosen when loading; a mismatch is an error rather than a silent move.
   */
  device?: Device;
  /** Called with each piece of text as tokens are committed. */
  stream?: (chunk: TextChunk) => void;
  /** Add the tokenizer's special tokens (e.g. BOS) to plain-text input (default true). */
  addSpecialTokens?: boolean;
}

export interface ReasonFlowResources extends ModelResources {
  /** Logits tensors the engine holds; 0 between generations. */
  readonly engineTensors: number;
}

export interface ThoughtsStats extends GenerationStats {
  readonly executionProvider: string;
}

export interface ThoughtsResult {
  /** The generated text (special tokens removed). */
  readonly output: string;
  readonly tokenIds: readonly number[];
  /** Per iteration, the selected thinkers (the original's best_thinkers_summary). */
  readonly bestThinkersSummary: readonly (readonly number[])[];
  readonly stopReason: StopReason;
  readonly stats: ThoughtsStats;
}

/** Options of `ReasonFlow#search`: the strategies' options, with text streaming instead of token callbacks. */
export interface SearchCallOptions extends Omit<SearchOptionsInput, 'decode' | 'onToken'> {
  /** Called with each piece of the final answer's text (live for greedy, sampling, ReasonFlow; once chosen otherwise). */
  stream?: (chunk: TextChunk) => void;
  /** Add the tokenizer's special tokens (e.g. BOS) to plain-text input (default true). */
  addSpecialTokens?: boolean;
}

export interface SearchOutput {
  /** The chosen trace's text (special tokens removed). */
  readonly output: string;
  /** The answer the strategy settled on (needs `extractAnswer`; null otherwise). */
  readonly answer: string | null;
  readonly tokenIds: readonly number[];
  /** Every trace the strategy weighed, with its text. */
  readonly candidates: readonly (SearchCandidate & { readonly text: string })[];
  readonly stopReason: SearchStopReason;
  readonly stats: SearchStats & { readonly executionProvider: string };
}

/** The facade's own per-call options, on top of the engine's (`onIteration` is the engine's). */
const FACADE_OPTIONS = { names: ['stream', 'addSpecialTokens', 'device'], snakeAliases: { add_special_tokens: 'addSpecialTokens' } };

/** A prompt is text or a list of chat messages; anything else is refused before the tokenizer sees it. */
function checkInput(input: unknown): asserts input is string | readonly ChatMessage[] {
  if (typeof input === 'string') return;
  const isMessage = (m: unknown) =>
    m !== null && typeof m === 'object' && typeof (m as ChatMessage).role === 'string' && typeof (m as ChatMessage).content === 'string';
  if (!Array.isArray(input) || input.length === 0 || !input.every(isMessage)) {
    throw new ConfigError('input', input, 'a string or a non-empty array of { role: string, content: string } chat messages');
  }
}

/**
 * ReasonFlow over a model and its tokenizer: text or chat messages in, text out.
 *
 * ```ts
 * const rf = await ReasonFlow.fromPretrained(folder, { config: { numOfThinkers: 4, numOfThoughts: 4 } });
 * const { output, bestThinkersSummary } = await rf.generateThoughts('4071+985=', { maxNewTokens: 60 });
 * await rf.dispose();
 * ```
 */
export class ReasonFlow {
  private readonly engine: ReasonFlowEngine;
  private disposed = false;

  constructor(
    config: ReasonFlowConfigInput,
    readonly model: DecoderModel,
    readonly tokenizer: TextTokenizer,
    private readonly options: {
      executionProvider?: string;
      owned?: LoadedReasonFlowModel;
      memoryLimitBytes?: number;
      /** Hears every model call the engine makes (forward passes, KV operations), with durations. */
      observer?: EngineObserver;
    } = {},
  ) {
    this.engine = new ReasonFlowEngine(model, {
      config,
      ...(options.observer !== undefined ? { observer: options.observer } : {}),
      ...(options.memoryLimitBytes !== undefined ? { memoryLimitBytes: options.memoryLimitBytes } : {}),
    });
  }

  /** Loads a Hugging Face-layout ONNX decoder folder with the platform's backend. */
  static async fromPretrained(folder: string, options: FromPretrainedOptions = {}): Promise<ReasonFlow> {
    const loader = options.loader ?? platformLoader;
    if (!loader) {
      throw new ConfigError('loader', undefined, 'a model loader: import "reasonflow" from its Node or browser entry');
    }
    // Everything that can be checked without the model is checked before loading it.
    if (typeof folder !== 'string' || folder.trim() === '') {
      throw new ConfigError('folder', folder, 'the path or URL of a model folder (a non-empty string)');
    }
    if (options.worker !== undefined && typeof options.worker !== 'boolean') {
      throw new ConfigError('worker', options.worker, 'a boolean');
    }
    const threads = options.intraOpNumThreads;
    if (threads !== undefined && (!Number.isSafeInteger(threads) || threads < 0)) {
      throw new ConfigError('intraOpNumThreads', threads, 'an integer ≥ 0 (0: every core)');
    }
    const config = resolveConfig(options.config ?? {});
    const loaded = await loader(folder, options);
    try {
      return new ReasonFlow(config, loaded.model, loaded.tokenizer, {
        memoryLimitBytes: options.memoryLimitBytes,
        executionProvider: loaded.executionProvider,
        owned: loaded,
      });
    } catch (error) {
      await loaded.dispose();
      throw error;
    }
  }

  get config(): ReasonFlowConfig {
    return this.engine.config;
  }

  get executionProvider(): string {
    return this.options.executionProvider ?? 'custom';
  }

  /** The same model and tokenizer with other settings (the model is shared, not reloaded). */
  withConfig(config: ReasonFlowConfigInput): ReasonFlow {
    return new ReasonFlow({ ...this.config, ...config }, this.model, this.tokenizer, {
      ...this.options,
      owned: undefined,
    });
  }

  /** Encodes text (with special tokens) or chat messages (through the chat template). */
  encode(input: string | readonly ChatMessage[], addSpecialTokens = true): number[] {
    checkInput(input);
    if (typeof input === 'string') return Array.from(this.tokenizer.encode(input, { addSpecialTokens }));
    if (!this.tokenizer.applyChatTemplate) {
      throw new ConfigError('input', 'chat messages', 'plain text: this tokenizer has no chat template');
    }
    const text = this.tokenizer.applyChatTemplate(input, { addGenerationPrompt: true });
    // The template writes the special tokens itself.
    return Array.from(this.tokenizer.encode(text, { addSpecialTokens: false }));
  }

  /** Generates with ReasonFlow and returns the text, the best-thinkers summary and stats. */
  async generateThoughts(
    input: string | readonly ChatMessage[],
    options: GenerateThoughtsOptions & { onIteration?: (report: IterationReport) => void } = {},
  ): Promise<ThoughtsResult> {
    if (this.disposed) throw new ConfigError('ReasonFlow', 'disposed', 'a live instance (dispose() was called)');
    const { stream, addSpecialTokens, device, ...generate } = resolveGenerateOptions(options, FACADE_OPTIONS);
    if (stream !== undefined && typeof stream !== 'function') throw new ConfigError('stream', stream, 'a function');
    if (addSpecialTokens !== undefined && typeof addSpecialTokens !== 'boolean') {
      throw new ConfigError('addSpecialTokens', addSpecialTokens, 'a boolean');
    }
    this.checkDevice(device as Device | undefined);
    const promptIds = this.encode(input, (addSpecialTokens as boolean | undefined) ?? true);
    // Nothing generated (e.g. aborted before the first token) is the empty text; tokenizers may refuse [].
    const decode = (ids: readonly number[]) =>
      ids.length === 0 ? '' : this.tokenizer.decode(ids, { skipSpecialTokens: true });
    const emit = stream as ((chunk: TextChunk) => void) | undefined;
    const streamer = emit ? new TextStreamDecoder(decode) : undefined;
    const result: GenerationResult = await this.engine.generate(promptIds, {
      eosTokenIds: this.tokenizer.eosTokenIds,
      ...generate,
      decode,
      onToken: streamer
        ? (token) => emit!({ text: streamer.push(token.tokenId), tokenId: token.tokenId, index: token.index })
        : undefined,
    });
    if (streamer) {
      const rest = streamer.flush();
      if (rest) emit!({ text: rest, tokenId: -1, index: result.tokenIds.length });
    }
    return {
      output: decode(result.tokenIds),
      tokenIds: result.tokenIds,
      bestThinkersSummary: result.bestThinkersSummary,
      stopReason: result.stopReason,
      stats: { ...result.stats, executionProvider: this.executionProvider },
    };
  }

  /**
   * Decodes with a strategy (greedy, sampling, best-of-N, self-consistency, ReasonFlow, guided search,
   * DeepConf; see core's `generateWith`), with `decode` filled in from the tokenizer. A `reasonflow`
   * strategy without a config uses this instance's.
   *
   * ```ts
   * const { answer, candidates } = await rf.search('C:3,5,7>22=', { kind: 'self-consistency', n: 8 }, { extractAnswer });
   * ```
   */
  async search(input: string | readonly ChatMessage[], strategy: StrategyInput, options: SearchCallOptions = {}): Promise<SearchOutput> {
    if (this.disposed) throw new ConfigError('ReasonFlow', 'disposed', 'a live instance (dispose() was called)');
    if (options === null || typeof options !== 'object') throw new ConfigError('options', options, 'a plain object of search options');
    const { stream, addSpecialTokens, add_special_tokens: addSpecialTokensSnake, ...searchOptions } = options as SearchCallOptions & {
      add_special_tokens?: boolean;
    };
    if (stream !== undefined && typeof stream !== 'function') throw new ConfigError('stream', stream, 'a function');
    const special = addSpecialTokens ?? addSpecialTokensSnake;
    if (special !== undefined && typeof special !== 'boolean') throw new ConfigError('addSpecialTokens', special, 'a boolean');
    const promptIds = this.encode(input, special ?? true);
    const decode = (ids: readonly number[]) => (ids.length === 0 ? '' : this.tokenizer.decode(ids, { skipSpecialTokens: true }));
    const streamer = stream ? new TextStreamDecoder(decode) : undefined;
    const withConfig =
      strategy !== null && typeof strategy === 'object' && strategy.kind === 'reasonflow' && strategy.config === undefined
        ? { ...strategy, config: this.config }
        : strategy;
    const result = await generateWith(
      this.model,
      promptIds,
      withConfig,
      {
        ...(this.tokenizer.eosTokenIds ? { eosTokenIds: this.tokenizer.eosTokenIds } : {}),
        ...searchOptions,
        decode,
        ...(streamer ? { onToken: (t) => stream!({ text: streamer.push(t.tokenId), tokenId: t.tokenId, index: t.index }) } : {}),
      },
      { backend: this.engine.backend, memoryLimitBytes: this.engine.memoryLimitBytes },
    );
    if (streamer) {
      const rest = streamer.flush();
      if (rest) stream!({ text: rest, tokenId: -1, index: result.tokenIds.length });
    }
    return {
      output: decode(result.tokenIds),
      answer: result.answer,
      tokenIds: result.tokenIds,
      candidates: result.candidates.map((c) => ({ ...c, text: c.text ?? decode(c.tokenIds) })),
      stopReason: result.stopReason,
      stats: { ...result.stats, executionProvider: this.executionProvider },
    };
  }

  /** Streams text chunks; the iterator's return value is the full result. */
  stream(
    input: string | readonly ChatMessage[],
    options: Omit<GenerateThoughtsOptions, 'stream'> = {},
  ): AsyncGenerator<TextChunk, ThoughtsResult, undefined> {
    return callbackStream((stream, signal) => this.generateThoughts(input, { ...options, signal, stream }), options.signal);
  }

  /**
   * Live resources, for leak checks: the model's (sessions, runtime tensors, sequences; zeros when the
   * model does not report them) and the engine's logits tensors.
   */
  async resources(): Promise<ReasonFlowResources> {
    const model = (await this.model.resources?.()) ?? { sessions: 0, tensors: 0, sequences: 0 };
    return { ...model, engineTensors: this.engine.backend.liveTensors };
  }

  /** Releases the model when this instance loaded it (fromPretrained). Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.options.owned?.dispose();
  }

  private checkDevice(device: Device | undefined): void {
    if (device === undefined || device === 'auto') return;
    const provider = this.executionProvider;
    if (provider !== 'custom' && provider !== device) {
      throw new ConfigError(
        'device',
        device,
        `the device the model was loaded on ("${provider}"); pass { device } to ReasonFlow.fromPretrained`,
      );
    }
  }
}
