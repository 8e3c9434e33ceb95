/** Where the model runs: `auto` tries WebGPU and falls back to wasm with one warning. */
export type WebDevice = 'auto' | 'webgpu' | 'wasm';
/** The onnxruntime-web execution provider that actually runs the model. */
export type WebExecutionProvider = 'webgpu' | 'wasm';

export interface WebGpuAvailability {
  readonly available: boolean;
  /** Why not, when unavailable. */
  readonly reason?: string;
  /** The adapter's description (vendor, architecture, device) when available. */
  readonly adapter?: string;
  readonly cause?: unknown;
}

/** The slice of the WebGPU API the probe touches (no dependency on @webgpu/types). */
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<{
    readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  } | null>;
}

/** The requested execution provider cannot be used here. */
export class WebBackendUnavailableError extends Error {
  override readonly name = 'WebBackendUnavailableError';
  constructor(
    readonly provider: 'webgpu',
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The WebGPU execution provider is not available: ${reason}. Use a browser with WebGPU enabled (Chrome/Edge 113+, or ` +
        "Chromium with --enable-unsafe-webgpu), or device 'wasm' / 'auto'.",
      options,
    );
  }
}

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

/**
 * Picks the provider for `device`.
 * @throws WebBackendUnavailableError for `webgpu` when there is no adapter.
 */
export async function resolveWebExecutionProvider(
  device: WebDevice,
  onWarning: (message: string) => void,
  probe: () => Promise<WebGpuAvailability> = () => probeWebGpu(),
): Promise<WebExecutionProvider> {
  if (device === 'wasm') return 'wasm';
  if (device !== 'webgpu' && device !== 'auto') {
    throw new RangeError(`device must be 'auto', 'webgpu' or 'wasm', got ${JSON.stringify(device)}`);
  }
  const webgpu = await probe();
  if (webgpu.available) return 'webgpu';
  if (device === 'webgpu') throw new WebBackendUnavailableError('webgpu', webgpu.reason ?? 'unknown reason', { cause: webgpu.cause });
  onWarning(`[reasonflow] WebGPU is not available (${webgpu.reason ?? 'unknown reason'}); running on wasm (CPU).`);
  return 'wasm';
}
