/** The queue already holds `maxQueue` waiting requests. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

/** The queue was closed (shutdown) before the request's turn came. */
export class QueueClosedError extends Error {
  override readonly name = 'QueueClosedError';
}

interface Waiting {
  start: () => void;
  reject: (error: Error) => void;
}

/**
 * Admits at most `maxConcurrent` tasks at once and lets at most `maxQueue` more wait, first in first
 * out: the model runs generations one after another (onnxruntime serialises session runs anyway), and
 * an unbounded backlog would only turn overload into timeouts and memory growth.
 */
export class GenerationQueue {
  private readonly waiting: Waiting[] = [];
  private running = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly maxQueue: number,
    readonly maxConcurrent: number,
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `task` when a slot is free. Throws QueueFullError at once when the queue is full,
   * QueueClosedError after `close()`; `signal` (the client leaving) takes a waiting request out of the
   * queue and rejects with the signal's reason.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.closed) throw new QueueClosedError('the server is shutting down');
    signal?.throwIfAborted();
    if (this.running >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueue) {
        throw new QueueFullError(`the queue is full (${this.maxQueue} requests waiting, ${this.running} running)`);
      }
      await new Promise<void>((resolve, reject) => {
        const entry: Waiting = {
          start: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          reject: (error) => {
            signal?.removeEventListener('abort', onAbort);
            reject(error);
          },
        };
        const onAbort = () => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(entry);
      });
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Refuses new tasks and rejects the waiting ones with QueueClosedError; running ones go on. */
  close(): void {
    this.closed = true;
    for (const entry of this.waiting.splice(0)) entry.reject(new QueueClosedError('the server is shutting down'));
  }

  /** Resolves once no task is running. */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** A finished task hands its slot straight to the next waiting one. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) {
      next.start();
      return;
    }
    this.running--;
    if (this.running === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
