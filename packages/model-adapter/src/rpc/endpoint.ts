/**
 * The one transport the model RPC needs: messages both ways (with transferred buffers) and a way to
 * hear that the other side died. Two tiny adapters cover every host: DOM-style event targets
 * (a browser `Worker`, a worker's `self`, a `MessagePort`) and Node's emitters (`worker_threads`'
 * `Worker` and `parentPort`).
 */
export interface MessageEndpoint {
  /** Sends `message`; the buffers in `transfer` move to the other side (no copy) and are detached here. */
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  /** Subscribes to incoming messages; returns the unsubscribe function. */
  onMessage(listener: (message: unknown) => void): () => void;
  /** Subscribes to the other side failing or ending (a worker's error or exit). */
  onClose(listener: (error: Error) => void): () => void;
  /** Ends the other side (terminates a worker); absent on the worker's own side. */
  close?(): Promise<void>;
  /** Lets the host process exit while nothing is in flight (Node), and keeps it alive while something is. */
  ref?(): void;
  unref?(): void;
}

/** What `eventTargetEndpoint` needs: a browser `Worker`, `self` inside one, or a `MessagePort`. */
export interface MessageEventTarget {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (event: Event) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'error', listener: (event: Event) => void): void;
  terminate?(): void;
  start?(): void;
}

/** Adapts a DOM-style message target (browser `Worker`, `DedicatedWorkerGlobalScope`, `MessagePort`). */
export function eventTargetEndpoint(target: MessageEventTarget): MessageEndpoint {
  const endpoint: MessageEndpoint = {
    postMessage: (message, transfer) => target.postMessage(message, transfer),
    onMessage(listener) {
      const handler = (event: MessageEvent) => listener(event.data);
      target.addEventListener('message', handler);
      // A MessagePort delivers nothing until started (addEventListener does not start it).
      target.start?.();
      return () => target.removeEventListener('message', handler);
    },
    onClose(listener) {
      const handler = (event: Event) => {
        const message = (event as ErrorEvent).message;
        listener(new Error(`the model worker failed${message ? `: ${message}` : ''}`));
      };
      target.addEventListener('error', handler);
      return () => target.removeEventListener('error', handler);
    },
  };
  const terminate = target.terminate?.bind(target);
  if (terminate !== undefined) endpoint.close = async () => terminate();
  return endpoint;
}

/** What `emitterEndpoint` needs: Node's `worker_threads` `Worker` or `parentPort`. */
export interface MessageEmitter {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit' | 'close', listener: (code?: number) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'exit' | 'close', listener: (code?: number) => void): unknown;
  terminate?(): Promise<number>;
  ref?(): void;
  unref?(): void;
}

/** Adapts Node's `worker_threads` `Worker` (the calling side) or `parentPort` (the worker side). */
export function emitterEndpoint(emitter: MessageEmitter): MessageEndpoint {
  const isWorker = emitter.terminate !== undefined;
  const endpoint: MessageEndpoint = {
    postMessage: (message, transfer) => emitter.postMessage(message, transfer),
    onMessage(listener) {
      emitter.on('message', listener);
      return () => emitter.off('message', listener);
    },
    onClose(listener) {
      const onError = (error: Error) => listener(new Error(`the model worker failed: ${error.message}`, { cause: error }));
      // A Worker emits 'exit' when its thread ends; a port emits 'close' when the other side is gone.
      const ended = isWorker ? 'exit' : 'close';
      const onEnd = (code?: number) => listener(new Error(`the model worker exited${code !== undefined ? ` (code ${code})` : ''}`));
      emitter.on('error', onError);
      emitter.on(ended, onEnd);
      return () => {
        emitter.off('error', onError);
        emitter.off(ended, onEnd);
      };
    },
  };
  const { terminate, ref, unref } = emitter;
  if (terminate !== undefined) endpoint.close = async () => void (await terminate.call(emitter));
  if (ref !== undefined) endpoint.ref = () => ref.call(emitter);
  if (unref !== undefined) endpoint.unref = () => unref.call(emitter);
  return endpoint;
}
