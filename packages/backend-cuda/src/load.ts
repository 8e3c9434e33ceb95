import { type DeviceLoadedModel, type LoadModelOptions as SharedLoadModelOptions, loadModel as loadOnBackend, type OrtSessionOptions } from '@reasonflow/model-adapter';
import { createNodeBackend, nodeBackend } from './backend.js';
import type { Device, ExecutionProvider } from './execution-provider.js';
import { validateLoadModelOptions } from './load-options.js';
import { checkModelFolder, nodeFileSource } from './node-file-source.js';

/** model-adapter's `LoadModelOptions` (without `backend`), plus onnxruntime-node's thread and GPU settings. */
export interface LoadModelOptions extends Omit<SharedLoadModelOptions, 'backend' | 'device'> {
  /** `auto` (default) uses CUDA when it loads and CPU otherwise (one warning); `cuda` fails when CUDA cannot load. */
  readonly device?: Device;
  /** Threads inside one operator (default 1: fastest for small models; 0 lets onnxruntime use every core). */
  readonly intraOpNumThreads?: number;
  /** Threads across operators (default 1). */
  readonly interOpNumThreads?: number;
  /** CUDA device ordinal (default 0). */
  readonly cudaDeviceId?: number;
}

/** A model folder loaded on onnxruntime-node (model-adapter's `DeviceLoadedModel`). */
export interface NodeLoadedModel extends DeviceLoadedModel {
  /** The execution provider that runs the model. */
  readonly executionProvider: ExecutionProvider;
}

/** @internal Session options for the thread settings. */
export function nodeSessionOptions(options: LoadModelOptions): OrtSessionOptions {
  return {
    graphOptimizationLevel: 'all',
    ...options.sessionOptions,
    intraOpNumThreads: options.intraOpNumThreads ?? options.sessionOptions?.intraOpNumThreads ?? 1,
    interOpNumThreads: options.interOpNumThreads ?? options.sessionOptions?.interOpNumThreads ?? 1,
  };
}

/**
 * Loads a model folder from the file system with model-adapter's `loadModel` on the onnxruntime-node
 * backend (device resolution and fallback are the shared loader's).
 * @throws BackendUnavailableError when `device: 'cuda'` cannot load; ModelError for folder problems.
 */
export async function loadModel(folder: string, options: LoadModelOptions = {}): Promise<NodeLoadedModel> {
  validateLoadModelOptions(options);
  const root = await checkModelFolder(folder);
  const { intraOpNumThreads: _intra, interOpNumThreads: _inter, cudaDeviceId, onProgress, ...shared } = options;
  const loaded = await loadOnBackend(nodeFileSource(root, onProgress), {
    ...shared,
    backend: cudaDeviceId === undefined ? nodeBackend : createNodeBackend({ cudaDeviceId }),
    sessionOptions: nodeSessionOptions(options),
  });
  return loaded as NodeLoadedModel;
}
