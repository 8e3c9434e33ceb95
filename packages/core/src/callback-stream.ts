/**
 * Turns a callback-driven async job into an async generator: items pushed by the job are yielded in
 * order, and the generator's return value is the job's result. Leaving the loop early (break, throw)
 * aborts the job through the signal it was given and waits for it to release what it holds.
 */
export async function* callbackStream<T, R>(
  job: (push: (item: T) => void, signal: AbortSignal) => Promise<R>,
  outerSignal?: AbortSignal,
): AsyncGenerator<T, R, undefined> {
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(outerSignal?.reason);
  if (outerSignal?.aborted) controller.abort(outerSignal.reason);
  outerSignal?.addEventListener('abort', forwardAbort, { once: true });
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  const done = job((item) => {
    queue.push(item);
    wake?.();
  }, controller.signal).finally(() => {
    finished = true;
    wake?.();
  });
  try {
    while (true) {
      while (queue.length > 0) yield queue.shift()!;
      if (finished) return await done;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    outerSignal?.removeEventListener('abort', forwardAbort);
    if (!finished) controller.abort();
    await done.catch(() => undefined);
  }
}
