import { type FileProgress, type LoadedModel, loadModelFolder, type OrtSessionOptions } from '@reasonflow/model-adapter';
import * as ort from 'onnxruntime-node';
import { type Device, type ExecutionProvider, providerSessions, resolveExecutionProvider } from './execution-provider.js';
import { validateLoadModelOptions } from './load-options.js';
import { checkModelFolder, nodeFileSource } from './node-file-source.js';

export interface LoadModelOptions {
  /** `auto` (default) uses CUDA when it loads and CPU otherwise (one warning); `cuda` fails when CUDA cannot load. */
  readonly device?: Device;
  /** Threads inside one operator (default 1: fastest for small models; 0 lets onnxruntime use every core). */
  readonly intraOpNumThreads?: number;
  /** Threads across operators (default 1). */
  readonly interOpNumThreads?: number;
  /** CUDA device ordinal (default 0). */
  readonly cudaDeviceId?: number;
  /** More onnxruntime session options; `executionProviders` is set from `device`. */
  readonly sessionOptions?: OrtSessionOptions;
  /** Load the inputs_embeds pair when present (default true). */
  readonly inputsEmbeds?: boolean;
  /** Receives the one-line fallback warning (default `console.warn`). */
  readonly onWarning?: (message: string) => void;
  /** Hears once per model weight file, when it has been read. */
  readonly onProgress?: (progress: FileProgress) => void;
}

/** A model folder loaded on onnxruntime-node. */
export interface NodeLoadedModel extends LoadedModel {
  /** The execution provider that runs the model. */
  readonly executionProvider: ExecutionProvider;
}

/** @internal Session options for the provider and thread settings. */
export function nodeSessionOptions(options: LoadModelOptions): OrtSessionOptions {
  return {
    graphOptimizationLevel: 'all',
    ...options.sessionOptions,
    intraOpNumThreads: options.intraOpNumThreads ?? options.sessionOptions?.intraOpNumThreads ?? 1,
    interOpNumThreads: options.interOpNumThreads ?? options.sessionOptions?.interOpNumThreads ?? 1,
  };
}

/**
 * Loads a model folder (see `@reasonflow/model-adapter`'s `loadModelFolder` for the layout and the
 * validation) with onnxruntime-node on the execution provider picked by `options.device`.
 * @throws BackendUnavailableError when `device: 'cuda'` cannot load; ModelError for folder problems.
 */
export async function loadModel(folder: string, options: LoadModelOptions = {}): Promise<NodeLoadedModel> {
  validateLoadModelOptions(options);
  const root = await checkModelFolder(folder);
  const device = options.device ?? 'auto';
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  const provider = await resolveExecutionProvider(device, warn);
  const sessions = providerSessions(provider, device, warn, options.cudaDeviceId);
  const loaded = await loadModelFolder(nodeFileSource(root, options.onProgress), {
    runtime: ort,
    sessionOptions: nodeSessionOptions(options),
    createSession: sessions.createSession,
    ...(options.inputsEmbeds !== undefined ? { inputsEmbeds: options.inputsEmbeds } : {}),
  });
  return { ...loaded, executionProvider: sessions.provider() };
}
