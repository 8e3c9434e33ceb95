import { BackendUnavailableError, ConfigError } from '@reasonflow/core';
import { createOrtSession, type OnnxRuntime, type OrtSession, type OrtSessionOptions } from './runtime.js';

/**
 * Where a device keeps the KV cache between forward passes: `host` (CPU memory, typed-array copies)
 * or `device` (session outputs stay on the device, and row selection and rollback run there as tiny
 * ONNX graphs). The adapter, not the backend, names the KV tensors and places them.
 */
export type KvPlacement = 'host' | 'device';

/** Whether a device can run here. */
export interface DeviceAvailability {
  readonly available: boolean;
  /** Why not, when unavailable. */
  readonly reason?: string;
  readonly cause?: unknown;
  /** What runs it, when available (e.g. the WebGPU adapter's vendor and architecture). */
  readonly description?: string;
}

/** One device a backend offers, described once; the shared resolution rule reads this. */
export interface BackendDevice {
  /** What users pass as `device` and what a loaded model reports as `executionProvider`: `cuda`, `cpu`, `webgpu`, `wasm`. */
  readonly name: string;
  /** How messages name it: `CUDA`, `CPU`, `WebGPU`, `wasm (CPU)`. */
  readonly label: string;
  readonly kvPlacement: KvPlacement;
  /** onnxruntime's output location of device-resident tensors; required when `kvPlacement` is `device`. */
  readonly outputLocation?: 'gpu-buffer' | 'ml-tensor' | 'texture';
  /** Whether it can run here (asked at most once per load). Absent: it always runs. */
  probe?(): Promise<DeviceAvailability>;
  /** Appended to the `BackendUnavailableError` when this device was forced and cannot run (how to get it). */
  readonly unavailableHint?: string;
  /** Appended to the fallback warning when `auto` skipped this device (where to read more). */
  readonly fallbackNote?: string;
}

/**
 * One runtime behind ReasonFlow's ONNX loader, modelled on onnxruntime-common's `Backend`: it says
 * which devices it offers and creates sessions on them. Everything else (file layout, KV naming and
 * placement, device resolution and fallback, events) is the shared loader's.
 */
export interface RuntimeBackend {
  /** e.g. `onnxruntime-node`, `onnxruntime-web`. */
  readonly name: string;
  /** The onnxruntime flavour: tensors and sessions (KV-operation graphs are created with it too). */
  readonly runtime: OnnxRuntime;
  /** Devices in preference order: `auto` takes the first available one; the last one must always run. */
  readonly devices: readonly BackendDevice[];
  /**
   * Creates one session on `device`. `options` already holds everything but the execution providers
   * (which the backend sets, e.g. with a CUDA device ordinal). Default: the device name as the only provider.
   * `model`: the graph's bytes, or its path when the file source is local (see `ModelFileSource.localPath`).
   */
  createSession?(model: Uint8Array | string, device: BackendDevice, options: OrtSessionOptions): Promise<OrtSession>;
}

/** Creates a session on `device` with the backend's rule (or the device name as the only provider). */
export function createBackendSession(
  backend: RuntimeBackend,
  model: Uint8Array | string,
  device: BackendDevice,
  options: OrtSessionOptions,
): Promise<OrtSession> {
  if (backend.createSession) return backend.createSession(model, device, options);
  return createOrtSession(backend.runtime, model, { ...options, executionProviders: [device.name] });
}

/** A device picked for a load: the device, what was asked for, and the one warning line when `auto` skipped devices. */
export interface ResolvedDevice {
  readonly device: BackendDevice;
  /** What its probe said (`description`: e.g. the GPU adapter). */
  readonly availability: DeviceAvailability;
  /** Present when `auto` skipped an unavailable device. */
  readonly warning?: string;
}

/**
 * The one device-resolution rule: a named device is used when its probe says it can run (else a
 * `BackendUnavailableError` with the device's hint); `auto` takes the first available device in the
 * backend's order, with ONE warning line naming the first device it skipped. onnxruntime itself does
 * not fall back (a provider list like `['cuda', 'cpu']` throws when the CUDA library is missing), hence the probes.
 * @throws RangeError for a device the backend does not offer.
 */
export async function resolveDevice(backend: RuntimeBackend, requested: string): Promise<ResolvedDevice> {
  const { devices } = backend;
  if (requested !== 'auto') {
    const device = devices.find((d) => d.name === requested);
    if (device === undefined) {
      const names = ['auto', ...devices.map((d) => d.name)].map((n) => `'${n}'`);
      throw new RangeError(`device must be ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, got ${JSON.stringify(requested)}`);
    }
    const availability = await availabilityOf(device);
    if (!availability.available) {
      throw new BackendUnavailableError(device.name, availability.reason ?? 'unknown reason', device.unavailableHint ?? '', { cause: availability.cause });
    }
    return { device, availability };
  }
  let skipped: { device: BackendDevice; availability: DeviceAvailability } | undefined;
  for (const device of devices) {
    const availability = await availabilityOf(device);
    if (!availability.available) {
      skipped ??= { device, availability };
      continue;
    }
    if (skipped === undefined) return { device, availability };
    const warning = `[reasonflow] ${skipped.device.label} is not available (${skipped.availability.reason ?? 'unknown reason'}); running on ${device.label}.${skipped.device.fallbackNote ?? ''}`;
    return { device, availability, warning };
  }
  throw new BackendUnavailableError(devices.at(-1)?.name ?? backend.name, 'no device of this backend can run here', '');
}

async function availabilityOf(device: BackendDevice): Promise<DeviceAvailability> {
  return device.probe ? device.probe() : { available: true };
}

/** The device after `device` in the backend's order (the fallback of a failed load under `auto`). */
export function nextDevice(backend: RuntimeBackend, device: BackendDevice): BackendDevice | undefined {
  return backend.devices[backend.devices.indexOf(device) + 1];
}

interface Registration {
  readonly backend: RuntimeBackend;
  readonly priority: number;
}

const registry = new Map<string, Registration>();

/**
 * Registers `backend` under `name` (as onnxruntime-common's `registerBackend`): `resolveBackend`
 * prefers higher `priority`. Registering a name again replaces it only with a priority at least as high.
 */
export function registerBackend(name: string, backend: RuntimeBackend, priority: number): void {
  if (!Number.isFinite(priority)) throw new ConfigError('priority', priority, 'a finite number');
  const existing = registry.get(name);
  if (existing !== undefined && existing.priority > priority) return;
  registry.set(name, { backend, priority });
}

/**
 * The registered backend to load with: by `name`, or the highest-priority one that offers `device`
 * (any, for `auto`).
 * @throws ConfigError when no registered backend fits (import a backend package, e.g. `@reasonflow/backend-cuda`).
 */
export function resolveBackend(options: { readonly name?: string; readonly device?: string } = {}): RuntimeBackend {
  const { name, device = 'auto' } = options;
  if (name !== undefined) {
    const found = registry.get(name);
    if (found === undefined) throw new ConfigError('backend', name, `a registered backend (${[...registry.keys()].join(', ') || 'none registered'})`);
    return found.backend;
  }
  const candidates = [...registry.values()]
    .filter((r) => device === 'auto' || r.backend.devices.some((d) => d.name === device))
    .sort((a, b) => b.priority - a.priority);
  const best = candidates[0];
  if (best === undefined) {
    throw new ConfigError('device', device, 'a device offered by a registered backend (import @reasonflow/backend-cuda or @reasonflow/backend-webgpu)');
  }
  return best.backend;
}
