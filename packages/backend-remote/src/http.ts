import { RemoteEngineError, type RemoteEngineKind, RemoteTimeoutError } from './errors.js';

export interface HttpOptions {
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly fetch: typeof fetch;
}

export interface HttpFailure {
  readonly status: number;
  readonly body: string;
}

/**
 * One POST with a JSON body, no retries. `signal` cancels the request (the connection is closed);
 * the timeout cancels it too and surfaces as RemoteTimeoutError; an error status goes through
 * `onError` (which may return a more specific error) or becomes a RemoteEngineError.
 */
export async function postJson(
  engine: RemoteEngineKind,
  url: string,
  body: unknown,
  http: HttpOptions,
  signal: AbortSignal,
  onError?: (failure: HttpFailure) => Error | undefined,
): Promise<unknown> {
  signal.throwIfAborted();
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', forwardAbort, { once: true });
  let timedOut = false;
  const timer =
    http.timeoutMs > 0 && Number.isFinite(http.timeoutMs)
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, http.timeoutMs)
      : undefined;
  let status: number;
  let text: string;
  try {
    const response = await http.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...http.headers },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    if (timedOut) throw new RemoteTimeoutError(engine, url, http.timeoutMs);
    if (signal.aborted) throw signal.reason ?? error;
    throw new RemoteEngineError(engine, url, undefined, '', `request failed: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', forwardAbort);
  }
  if (status < 200 || status >= 300) {
    throw onError?.({ status, body: text }) ?? new RemoteEngineError(engine, url, status, text, `HTTP ${status}: ${text.slice(0, 500)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RemoteEngineError(engine, url, status, text, 'the response is not JSON', { cause: error });
  }
}

/**
 * Runs requests concurrently under one signal: the first failure cancels the others and is thrown;
 * an abort of `signal` cancels all of them.
 */
export async function allOrNothing<T>(signal: AbortSignal | undefined, tasks: readonly ((signal: AbortSignal) => Promise<T>)[]): Promise<T[]> {
  const group = new AbortController();
  const forwardAbort = () => group.abort(signal?.reason);
  if (signal?.aborted) forwardAbort();
  signal?.addEventListener('abort', forwardAbort, { once: true });
  try {
    return await Promise.all(
      tasks.map((task) =>
        task(group.signal).catch((error: unknown) => {
          group.abort(error);
          throw error;
        }),
      ),
    );
  } finally {
    signal?.removeEventListener('abort', forwardAbort);
  }
}
