import { ReasonFlowError } from '@reasonflow/core';

/** Which server protocol a remote source speaks. */
export type RemoteEngineKind = 'sglang' | 'vllm' | 'llama.cpp';

/** A remote inference server answered with an error status, an unreadable body, or not at all. */
export class RemoteEngineError extends ReasonFlowError {
  override readonly name: string = 'RemoteEngineError';
  constructor(
    readonly engine: RemoteEngineKind,
    readonly url: string,
    /** HTTP status; undefined when no response arrived (connection refused, reset). */
    readonly status: number | undefined,
    /** The response body as text ('' when none). */
    readonly body: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${engine} at ${url}: ${message}`, options);
  }
}

/** The server did not answer within `timeoutMs`; the request was cancelled. */
export class RemoteTimeoutError extends RemoteEngineError {
  override readonly name = 'RemoteTimeoutError';
  constructor(engine: RemoteEngineKind, url: string, readonly timeoutMs: number) {
    super(engine, url, undefined, '', `no response within ${timeoutMs} ms (request cancelled)`);
  }
}

/** The server refused the number of top log-probabilities asked for (vLLM: over `--max-logprobs`). */
export class TopLogProbsLimitError extends RemoteEngineError {
  override readonly name = 'TopLogProbsLimitError';
  constructor(
    engine: RemoteEngineKind,
    url: string,
    status: number,
    body: string,
    readonly requested: number,
    /** The server's limit, when its message names it. */
    readonly limit: number | undefined,
  ) {
    super(
      engine,
      url,
      status,
      body,
      `the server allows ${limit ?? 'fewer'} top log-probabilities per token, ${requested} were asked for: ` +
        `start it with a larger --max-logprobs or pass topLogProbs ≤ ${limit ?? 'its limit'}`,
    );
  }
}
