import { type BackendDevice, createOrtSession, registerBackend, type RuntimeBackend, resolveDevice } from '@reasonflow/model-adapter';
import * as ort from 'onnxruntime-node';
import { CUDA_INSTALL_HINT } from './errors.js';
import { type CudaAvailability, type Device, type ExecutionProvider, probeCuda } from './execution-provider.js';

/** Options of the onnxruntime-node backend. */
export interface NodeBackendOptions {
  /** CUDA device ordinal (default 0). */
  readonly cudaDeviceId?: number;
}

const CUDA: BackendDevice = {
  name: 'cuda',
  label: 'CUDA',
  // Present outputs are copied to the host today; device-resident KV on CUDA is a later step.
  kvPlacement: 'host',
  probe: () => probeCuda(),
  unavailableHint: CUDA_INSTALL_HINT,
  fallbackNote: " See @reasonflow/backend-cuda's README to enable CUDA.",
};

const CPU: BackendDevice = { name: 'cpu', label: 'CPU', kvPlacement: 'host' };

/** onnxruntime-node: CUDA when its provider library loads, the CPU otherwise. */
export function createNodeBackend(options: NodeBackendOptions = {}): RuntimeBackend {
  const cudaDeviceId = options.cudaDeviceId ?? 0;
  return {
    name: 'onnxruntime-node',
    runtime: ort,
    devices: [CUDA, CPU],
    createSession: (model, device, sessionOptions) =>
      createOrtSession(ort, model, {
        ...sessionOptions,
        // CUDA leaves the operators it lacks to the CPU provider, inside one session.
        executionProviders: device.name === 'cuda' ? [{ name: 'cuda', deviceId: cudaDeviceId }, 'cpu'] : ['cpu'],
      }),
  };
}

/** The registered onnxruntime-node backend (device ordinal 0), for `@reasonflow/model-adapter`'s `loadModel`. */
export const nodeBackend: RuntimeBackend = createNodeBackend();
registerBackend(nodeBackend.name, nodeBackend, 10);

/**
 * Picks the execution provider for `device` with the shared rule (`resolveDevice`).
 * @throws BackendUnavailableError for `cuda` when CUDA cannot be used.
 */
export async function resolveExecutionProvider(
  device: Device,
  onWarning: (message: string) => void,
  probe: () => Promise<CudaAvailability> = probeCuda,
): Promise<ExecutionProvider> {
  const backend = createNodeBackend();
  const devices = backend.devices.map((d) => (d.probe ? { ...d, probe } : d));
  const resolved = await resolveDevice({ ...backend, devices }, device);
  if (resolved.warning !== undefined) onWarning(resolved.warning);
  return resolved.device.name as ExecutionProvider;
}
