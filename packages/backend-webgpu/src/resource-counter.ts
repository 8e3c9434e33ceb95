import type { OnnxRuntime, OrtSession, OrtTensor } from '@reasonflow/model-adapter';

/** Live resources of one loaded model, for leak checks and the demo's status line. */
export interface ResourceCounts {
  /** ONNX sessions created and not released (the model's graphs and the KV-operation graphs). */
  readonly sessions: number;
  /** Session outputs kept on the device (GPU buffers) and not yet disposed. */
  readonly deviceTensors: number;
  /** GPU buffers created so far (how much the device allocated). */
  readonly deviceTensorsCreated: number;
  /** ORT tensors the model adapter holds (KV caches and feeds of live sequences). */
  readonly adapterTensors: number;
  /** Sequences started and not yet disposed. */
  readonly sequences: number;
}

/**
 * Counts sessions and device-resident outputs by wrapping the runtime that model-adapter receives:
 * every session it creates (model graphs and KV-operation graphs alike) is counted until released,
 * and every `gpu-buffer` output until disposed.
 */
export class ResourceCounter {
  private sessions = 0;
  private deviceTensors = 0;
  private deviceTensorsCreated = 0;

  counts(): Omit<ResourceCounts, 'adapterTensors' | 'sequences'> {
    return { sessions: this.sessions, deviceTensors: this.deviceTensors, deviceTensorsCreated: this.deviceTensorsCreated };
  }

  wrapRuntime(runtime: OnnxRuntime): OnnxRuntime {
    return {
      Tensor: runtime.Tensor,
      InferenceSession: {
        create: async (buffer, options) => this.wrapSession(await runtime.InferenceSession.create(buffer, options)),
      },
    };
  }

  private wrapSession(session: OrtSession): OrtSession {
    this.sessions++;
    const release = session.release.bind(session);
    let released = false;
    const run = session.run.bind(session) as (...args: unknown[]) => Promise<Record<string, OrtTensor>>;
    Object.assign(session, {
      release: async () => {
        if (!released) {
          released = true;
          this.sessions--;
        }
        await release();
      },
      run: async (...args: unknown[]) => {
        const results = await run(...args);
        for (const tensor of Object.values(results)) if (tensor.location === 'gpu-buffer') this.adoptDeviceTensor(tensor);
        return results;
      },
    });
    return session;
  }

  private adoptDeviceTensor(tensor: OrtTensor): void {
    this.deviceTensors++;
    this.deviceTensorsCreated++;
    const dispose = tensor.dispose.bind(tensor);
    let disposed = false;
    Object.defineProperty(tensor, 'dispose', {
      configurable: true,
      value: () => {
        if (!disposed) {
          disposed = true;
          this.deviceTensors--;
        }
        dispose();
      },
    });
  }
}
