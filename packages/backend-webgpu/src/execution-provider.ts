import type { DeviceAvailability } from '@reasonflow/model-adapter';

/** Where the model runs: `auto` tries WebGPU and falls back to wasm with one warning. */
export type WebDevice = 'auto' | 'webgpu' | 'wasm';
/** The onnxruntime-web execution provider that actually runs the model. */
export type WebExecutionProvider = 'webgpu' | 'wasm';

export interface WebGpuAvailability extends DeviceAvailability {
  /** The adapter's description (vendor, architecture, device) when available. */
  readonly adapter?: string;
}

/** The slice of the WebGPU API the probe touches (no dependency on @webgpu/types). */
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<{
    readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  } | null>;
}

/** How to get WebGPU when it was forced and is missing. */
export const WEBGPU_HINT =
  "Use a browser with WebGPU enabled (Chrome/Edge 113+, or Chromium with --enable-unsafe-webgpu), or device 'wasm' / 'auto'.";

let cached: Promise<WebGpuAvailability> | undefined;

/** Whether this context (window or worker) has a WebGPU adapter. Asked once per context. */
export function probeWebGpu(gpu: GpuLike | undefined = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu): Promise<WebGpuAvailability> {
  cached ??= (async (): Promise<WebGpuAvailability> => {
    if (gpu === undefined) return { available: false, reason: 'navigator.gpu is undefined (this browser or context has no WebGPU)' };
    try {
      const adapter = await gpu.requestAdapter();
      if (adapter === null) return { available: false, reason: 'navigator.gpu.requestAdapter() returned no adapter' };
      const info = adapter.info;
      const description = info ? [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ') : '';
      return { available: true, adapter: description || 'unknown adapter' };
    } catch (error) {
      return { available: false, reason: `requesting a WebGPU adapter failed: ${(error as Error).message}`, cause: error };
    }
  })();
  return cached;
}

/** @internal For tests: forget the cached probe. */
export function resetWebGpuProbe(): void {
  cached = undefined;
}
