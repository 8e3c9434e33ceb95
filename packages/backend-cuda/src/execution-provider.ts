import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  encodeOnnxModel,
  type OrtSession,
  type OrtSessionOptions,
  type ProviderAvailability,
  resolveProvider,
  type SessionFactory,
} from '@reasonflow/model-adapter';
import * as ort from 'onnxruntime-node';
import { CUDA_INSTALL_HINT } from './errors.js';

/** Which execution provider to use: `auto` tries CUDA and falls back to CPU with one warning. */
export type Device = 'auto' | 'cuda' | 'cpu';
/** The provider that actually runs the model. */
export type ExecutionProvider = 'cuda' | 'cpu';

export type CudaAvailability = ProviderAvailability;

/** Where onnxruntime-node keeps its native libraries for this platform. */
function ortBinaryFolder(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    // .../onnxruntime-node/dist/index.js → .../onnxruntime-node/bin/napi-v6/<platform>/<arch>
    return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

function cudaLibraryName(): string {
  return process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
}

let cached: Promise<CudaAvailability> | undefined;

/**
 * Whether onnxruntime-node can create a CUDA session here. Checked once per process: first that the
 * CUDA provider library is installed (no native call, so no native error log when it is not), then
 * by creating a one-node session on the CUDA provider.
 */
export function probeCuda(): Promise<CudaAvailability> {
  cached ??= (async (): Promise<CudaAvailability> => {
    if (process.platform !== 'linux' && process.platform !== 'win32') {
      return { available: false, reason: `onnxruntime-node has no CUDA provider for ${process.platform}` };
    }
    const folder = ortBinaryFolder();
    if (folder !== undefined && !existsSync(join(folder, cudaLibraryName()))) {
      return { available: false, reason: `onnxruntime-node's CUDA provider library (${cudaLibraryName()}) is not installed` };
    }
    const probe = encodeOnnxModel({
      name: 'cuda_probe',
      inputs: [{ name: 'x', type: 'float', shape: [1] }],
      outputs: [{ name: 'y', type: 'float', shape: [1] }],
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
    });
    try {
      const session = await ort.InferenceSession.create(probe, { executionProviders: ['cuda'], logSeverityLevel: 4 });
      await session.release();
      return { available: true };
    } catch (error) {
      return { available: false, reason: `creating a CUDA session failed: ${(error as Error).message}`, cause: error };
    }
  })();
  return cached;
}

/** @internal For tests: forget the cached probe result. */
export function resetCudaProbe(): void {
  cached = undefined;
}

/**
 * Picks the execution provider for `device`.
 * @throws BackendUnavailableError for `cuda` when CUDA cannot be used.
 */
export async function resolveExecutionProvider(
  device: Device,
  onWarning: (message: string) => void,
  probe: () => Promise<CudaAvailability> = probeCuda,
): Promise<ExecutionProvider> {
  return resolveProvider(
    device,
    {
      accelerator: 'cuda',
      fallback: 'cpu',
      fallbackLabel: 'CPU',
      hint: CUDA_INSTALL_HINT,
      warningSuffix: " See @reasonflow/backend-cuda's README to enable CUDA.",
    },
    probe,
    onWarning,
  );
}

export interface ProviderSessions {
  readonly createSession: SessionFactory;
  /** The provider every session so far runs on (`cpu` once any session fell back). */
  readonly provider: () => ExecutionProvider;
}

/**
 * Session creation on `provider`. With `auto` and CUDA, a graph that CUDA cannot load is retried on
 * CPU (one warning); with a forced `cuda` the error surfaces.
 */
export function providerSessions(
  provider: ExecutionProvider,
  device: Device,
  onWarning: (message: string) => void,
  cudaDeviceId = 0,
): ProviderSessions {
  let current = provider;
  const cpuOptions = (options: OrtSessionOptions): OrtSessionOptions => ({ ...options, executionProviders: ['cpu'] });
  const createSession: SessionFactory = async (bytes, file, options): Promise<OrtSession> => {
    if (current === 'cpu') return ort.InferenceSession.create(bytes, cpuOptions(options));
    try {
      return await ort.InferenceSession.create(bytes, { ...options, executionProviders: [{ name: 'cuda', deviceId: cudaDeviceId }, 'cpu'] });
    } catch (error) {
      if (device === 'cuda') throw error;
      const session = await ort.InferenceSession.create(bytes, cpuOptions(options));
      current = 'cpu';
      onWarning(`[reasonflow] ${file} could not be loaded on CUDA (${(error as Error).message}); running on CPU.`);
      return session;
    }
  };
  return { createSession, provider: () => current };
}
