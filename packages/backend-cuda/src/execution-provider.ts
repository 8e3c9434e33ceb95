import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DeviceAvailability } from '@reasonflow/model-adapter';
import { encodeOnnxModel } from '@reasonflow/model-adapter/internal';
import * as ort from 'onnxruntime-node';

/** Which execution provider to use: `auto` tries CUDA and falls back to CPU with one warning. */
export type Device = 'auto' | 'cuda' | 'cpu';
/** The provider that actually runs the model. */
export type ExecutionProvider = 'cuda' | 'cpu';

export type CudaAvailability = DeviceAvailability;

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
