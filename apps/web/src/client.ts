import type { DeviceChoice, FromWorker, GenerateRequest, IterationView, RunResult, ToWorker, WorkerResources } from './protocol.js';

export interface LoadInfo {
  readonly executionProvider: string;
  readonly adapter: string | undefined;
  readonly loadMs: number;
  readonly ortVersion: string;
}

export interface ClientEvents {
  progress?(file: string, loaded: number, total: number | undefined): void;
  warning?(message: string): void;
  token?(text: string, tokenId: number): void;
  iteration?(view: IterationView): void;
}

/** The page's side of the model worker: one request at a time, promises for the answers. */
export class ModelClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void }>();
  private loading: { resolve: (info: LoadInfo) => void; reject: (error: Error) => void } | undefined;

  constructor(private readonly events: ClientEvents) {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'reasonflow-model' });
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    this.worker.onerror = (event) => this.failAll(new Error(`worker error: ${event.message}`));
  }

  load(device: DeviceChoice, modelUrl: string): Promise<LoadInfo> {
    return new Promise((resolve, reject) => {
      this.loading = { resolve, reject };
      this.send({ type: 'load', device, modelUrl });
    });
  }

  generate(request: GenerateRequest): Promise<RunResult> {
    return this.request((id) => ({ type: 'generate', id, ...request }));
  }

  abort(): void {
    this.send({ type: 'abort' });
  }

  resources(): Promise<WorkerResources> {
    return this.request((id) => ({ type: 'resources', id }));
  }

  /** Releases the model in the worker; resolves with what is still alive (all 0 when nothing leaked). */
  dispose(): Promise<WorkerResources> {
    return this.request((id) => ({ type: 'dispose', id }));
  }

  terminate(): void {
    this.worker.terminate();
    this.failAll(new Error('worker terminated'));
  }

  private request<T>(make: (id: number) => ToWorker): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: never) => void, reject });
      this.send(make(id));
    });
  }

  private send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private settle(id: number, value: unknown): void {
    const entry = this.pending.get(id);
    this.pending.delete(id);
    entry?.resolve(value as never);
  }

  private failAll(error: Error): void {
    this.loading?.reject(error);
    this.loading = undefined;
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case 'progress':
        this.events.progress?.(message.file, message.loaded, message.total);
        break;
      case 'warning':
        this.events.warning?.(message.message);
        break;
      case 'loaded':
        this.loading?.resolve(message);
        this.loading = undefined;
        break;
      case 'token':
        this.events.token?.(message.text, message.tokenId);
        break;
      case 'iteration':
        this.events.iteration?.(message.view);
        break;
      case 'done':
        this.settle(message.id, message.result);
        break;
      case 'resources':
        this.settle(message.id, message.resources);
        break;
      case 'error': {
        const error = new Error(message.message);
        if (message.id !== undefined && this.pending.has(message.id)) {
          this.pending.get(message.id)!.reject(error);
          this.pending.delete(message.id);
        } else if (this.loading) {
          this.loading.reject(error);
          this.loading = undefined;
        }
        break;
      }
    }
  }
}
