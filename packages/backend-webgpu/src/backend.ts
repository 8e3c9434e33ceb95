import { type BackendDevice, type OnnxRuntime, registerBackend, type RuntimeBackend, resolveDevice } from '@reasonflow/model-adapter';
// package.json maps this to onnxruntime-web's native WebGPU build in browsers (not the default JSEP
// build: its WebGPU kernels gave wrong logits on the embedded model, see README) and to its Node
// build (wasm only) under Node, where the browser builds cannot load.
import * as ort from '#onnxruntime-web';
import { probeWebGpu, type WebDevice, type WebExecutionProvider, WEBGPU_HINT, type WebGpuAvailability } from './execution-provider.js';

/** Options of the onnxruntime-web backend. */
export interface WebBackendOptions {
  /** @internal Tests replace the WebGPU probe. */
  readonly probe?: () => Promise<WebGpuAvailability>;
}

/** onnxruntime-web: WebGPU with the KV cache kept in GPU buffers, wasm (CPU) otherwise. */
export function createWebBackend(options: WebBackendOptions = {}): RuntimeBackend {
  const probe = options.probe ?? (() => probeWebGpu());
  const webgpu: BackendDevice = {
    name: 'webgpu',
    label: 'WebGPU',
    kvPlacement: 'device',
    outputLocation: 'gpu-buffer',
    probe: async () => {
      const availability = await probe();
      return availability.adapter !== undefined ? { ...availability, description: availability.adapter } : availability;
    },
    unavailableHint: WEBGPU_HINT,
  };
  const wasm: BackendDevice = { name: 'wasm', label: 'wasm (CPU)', kvPlacement: 'host' };
  return { name: 'onnxruntime-web', runtime: ort as unknown as OnnxRuntime, devices: [webgpu, wasm] };
}

/** The registered onnxruntime-web backend, for `@reasonflow/model-adapter`'s `loadModel`. */
export const webBackend: RuntimeBackend = createWebBackend();
registerBackend(webBackend.name, webBackend, 5);

/**
 * Picks the provider for `device` with the shared rule (`resolveDevice`).
 * @throws BackendUnavailableError for `webgpu` when there is no adapter.
 */
export async function resolveWebExecutionProvider(
  device: WebDevice,
  onWarning: (message: string) => void,
  probe: () => Promise<WebGpuAvailability> = () => probeWebGpu(),
): Promise<WebExecutionProvider> {
  const resolved = await resolveDevice(createWebBackend({ probe }), device);
  if (resolved.warning !== undefined) onWarning(resolved.warning);
  return resolved.device.name as WebExecutionProvider;
}
