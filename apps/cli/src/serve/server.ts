/**
 * The OpenAI-compatible HTTP server over one loaded model (node:http, no framework): routing, request
 * bodies, the bounded queue, streaming (server-sent events), client disconnects and shutdown.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DecoderPathSource, ReferenceBackend } from '@reasonflow/core';
import { ContextLengthError, type ReasonFlow, ReasonFlowError, UnsupportedFeatureError } from 'reasonflow';
import { ApiError, invalidRequest } from './api-error.js';
import { GenerationQueue, QueueClosedError, QueueFullError } from './generation-queue.js';
import { apiErrorOf, DEFAULT_MAX_LOGPROBS, type Endpoint, type ParsedRequest, type PathsRequest, parseOpenAIRequest } from './openai-request.js';
import {
  chatChunk,
  chatResponse,
  completionChunk,
  completionResponse,
  extensionOf,
  finishReasonOf,
  type ResponseMeta,
  usageChunk,
  usageOf,
} from './openai-response.js';
import { completePaths } from './path-completions.js';
import { StopSequenceFilter } from './stop-sequences.js';

export interface ServerOptions {
  /** The model name clients send and see. */
  readonly modelId: string;
  readonly maxQueue: number;
  readonly maxConcurrent: number;
  /** Largest request body accepted (default 4 MiB); more is a 413. */
  readonly maxBodyBytes?: number;
  /** Largest `logprobs` a completion may ask for (vLLM's `--max-logprobs`, default 20); more is a 400. */
  readonly maxLogprobs?: number;
}

/** OpenAI's documented default for /v1/completions; chat defaults to the rest of the context. */
const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;
const DEFAULT_MAX_BODY_BYTES = 4 * 2 ** 20;

/** Why a generation was aborted: the client left (nothing to answer) or the server is stopping. */
class ClientGone extends Error {
  override readonly name = 'ClientGone';
}
class ShuttingDown extends Error {
  override readonly name = 'ShuttingDown';
}

const shuttingDownError = () =>
  new ApiError(503, 'The server is shutting down.', 'server_error', null, 'shutting_down', { Connection: 'close' });

type Route = { path: RegExp; methods: Record<string, (req: IncomingMessage, res: ServerResponse, match: RegExpMatchArray) => Promise<void>> };

export class ReasonFlowServer {
  readonly http: Server;
  readonly queue: GenerationQueue;
  private readonly routes: Route[];
  /** Abort controllers of admitted generation requests (waiting or running). */
  private readonly generations = new Set<AbortController>();
  /** Every request being handled, so shutdown can wait until each has been answered. */
  private readonly handling = new Set<Promise<void>>();
  private stopping: Promise<void> | undefined;
  /** The served model's `created` (Unix seconds): when the server came up. */
  private readonly startedAt = Math.floor(Date.now() / 1000);
  /** Log-softmax and top-k of path requests, on the host; its live tensors show in the status. */
  private readonly pathBackend = new ReferenceBackend();
  /** Path requests decode through core's PathSource over the loaded model, as a local search would. */
  private readonly pathSource: DecoderPathSource;

  constructor(
    private readonly rf: ReasonFlow,
    private readonly options: ServerOptions,
  ) {
    this.queue = new GenerationQueue(options.maxQueue, options.maxConcurrent);
    this.pathSource = new DecoderPathSource(rf.model, this.pathBackend, { name: 'serve' });
    this.routes = [
      { path: /^\/v1\/models$/, methods: { GET: (_req, res) => this.listModels(res) } },
      { path: /^\/v1\/models\/(.+)$/, methods: { GET: (_req, res, match) => this.getModel(res, decodeURIComponent(match[1]!)) } },
      { path: /^\/v1\/completions$/, methods: { POST: (req, res) => this.generate('completions', req, res) } },
      { path: /^\/v1\/chat\/completions$/, methods: { POST: (req, res) => this.generate('chat', req, res) } },
      { path: /^\/v1\/reasonflow\/status$/, methods: { GET: (_req, res) => this.status(res) } },
    ];
    this.http = createServer((req, res) => {
      const handled = this.handle(req, res).finally(() => this.handling.delete(handled));
      this.handling.add(handled);
    });
  }

  /** Starts listening; port 0 picks a free one. */
  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  /**
   * Stops accepting connections, answers waiting requests with 503, lets running generations finish
   * for `graceMs` and aborts the rest, then closes every connection. Does not dispose the model.
   */
  shutdown(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeIdleConnections();
      this.queue.close();
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace over'>((resolve) => (timer = setTimeout(() => resolve('grace over'), graceMs)));
      if ((await Promise.race([this.queue.idle(), graceOver])) === 'grace over') this.abortAll();
      clearTimeout(timer);
      await this.settled();
      this.http.closeAllConnections();
      await closed;
    })();
    return this.stopping;
  }

  /** Aborts every generation now (a second shutdown signal). */
  abortAll(): void {
    for (const controller of this.generations) controller.abort(new ShuttingDown());
  }

  private async settled(): Promise<void> {
    while (this.handling.size > 0) await Promise.allSettled([...this.handling]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
      const route = this.routes.find((r) => r.path.test(path));
      if (!route) throw new ApiError(404, `Unknown route: ${req.method} ${path || '/'}.`, 'invalid_request_error', null, 'not_found');
      const handler = route.methods[req.method ?? ''];
      if (!handler) {
        const allowed = Object.keys(route.methods).join(', ');
        throw new ApiError(405, `Method ${req.method} is not allowed on ${path}; use ${allowed}.`, 'invalid_request_error', null, 'method_not_allowed', {
          Allow: allowed,
        });
      }
      if (this.stopping) throw shuttingDownError();
      await handler(req, res, path.match(route.path)!);
    } catch (error) {
      await this.fail(res, error);
    }
  }

  private listModels(res: ServerResponse): Promise<void> {
    return sendJson(res, 200, { object: 'list', data: [this.modelObject()] });
  }

  private getModel(res: ServerResponse, id: string): Promise<void> {
    if (id !== this.options.modelId) {
      throw new ApiError(404, `The model "${id}" does not exist; this server serves "${this.options.modelId}".`, 'invalid_request_error', 'model', 'model_not_found');
    }
    return sendJson(res, 200, this.modelObject());
  }

  private modelObject() {
    return { id: this.options.modelId, object: 'model', created: this.startedAt, owned_by: 'reasonflow' };
  }

  /** Load and leak checks: the queue, the model's live resources and the process's memory. */
  private async status(res: ServerResponse): Promise<void> {
    return sendJson(res, 200, {
      model: this.options.modelId,
      active: this.queue.active,
      queued: this.queue.queued,
      max_queue: this.queue.maxQueue,
      max_concurrent: this.queue.maxConcurrent,
      resources: { ...(await this.rf.resources()), pathTensors: this.pathBackend.liveTensors },
      memory: process.memoryUsage(),
    });
  }

  private async generate(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req, this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    const request = parseOpenAIRequest(endpoint, body, this.options.modelId, {
      maxLogprobs: this.options.maxLogprobs ?? DEFAULT_MAX_LOGPROBS,
      vocabSize: this.rf.model.info.vocabSize,
    });
    const controller = new AbortController();
    // 'close' before the response finished: the client went away, so did the point of generating.
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new ClientGone());
    };
    res.on('close', onClose);
    this.generations.add(controller);
    const queuedAt = performance.now();
    try {
      await this.queue.run(() => this.respond(request, res, controller.signal, performance.now() - queuedAt), controller.signal);
    } catch (error) {
      if (error instanceof QueueFullError) {
        throw new ApiError(429, `Too many requests: ${error.message}. Retry later.`, 'rate_limit_exceeded', null, 'queue_full', { 'Retry-After': '1' });
      }
      if (error instanceof QueueClosedError || error instanceof ShuttingDown) throw shuttingDownError();
      throw apiErrorOf(error, request.paramOf) ?? error;
    } finally {
      res.off('close', onClose);
      this.generations.delete(controller);
    }
  }

  /** Runs one generation and writes its response (JSON, or SSE chunks as the text grows). */
  private async respond(request: ParsedRequest, res: ServerResponse, signal: AbortSignal, queueTimeMs: number): Promise<void> {
    signal.throwIfAborted();
    if (request.paths) return this.respondPaths(request.paths, request, res, signal);
    const chat = request.endpoint === 'chat';
    const rf = this.rf.withConfig(request.config);
    const maxNewTokens =
      request.options.maxNewTokens ??
      (chat ? Math.max(1, this.rf.model.info.maxSequenceLength - rf.encode(request.input).length) : COMPLETIONS_DEFAULT_MAX_TOKENS);
    const meta: ResponseMeta = { id: `${chat ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: this.options.modelId };
    const filter = new StopSequenceFilter(request.options.stopStrings ?? []);
    const events = request.stream ? new EventStream(res) : undefined;
    const sendText = (text: string) => {
      if (!text || !events) return;
      if (chat && !events.started) events.send(chatChunk(meta, { role: 'assistant', content: '' }, null));
      events.send(chat ? chatChunk(meta, { content: text }, null) : completionChunk(meta, text, null));
    };

    const result = await rf.generateThoughts(request.input, {
      ...request.options,
      maxNewTokens,
      signal,
      ...(events ? { stream: (chunk: { text: string }) => sendText(filter.push(chunk.text)) } : {}),
    });
    if (result.stopReason === 'aborted') throw signal.reason;
    const finish = finishReasonOf(result.stopReason);
    const usage = usageOf(result);
    const extension = extensionOf(result, rf.config, queueTimeMs);
    if (!events) {
      const text = filter.push(result.output) + filter.finish();
      await sendJson(res, 200, chat ? chatResponse(meta, text, finish, usage, extension) : completionResponse(meta, text, finish, usage, extension));
      return;
    }
    sendText(filter.finish());
    if (chat && !events.started) events.send(chatChunk(meta, { role: 'assistant', content: '' }, null));
    events.send(chat ? chatChunk(meta, {}, finish, extension) : completionChunk(meta, '', finish, extension));
    if (request.includeUsage) events.send(usageChunk(meta, chat ? 'chat.completion.chunk' : 'text_completion', usage));
    await events.end();
  }

  /** A path request (token-id prompts or logprobs): one choice per prompt, as vLLM answers it. */
  private async respondPaths(paths: PathsRequest, request: ParsedRequest, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const meta: ResponseMeta = { id: `cmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: this.options.modelId };
    const context = { source: this.pathSource, tokenizer: this.rf.tokenizer, encode: (text: string) => this.rf.encode(text) };
    const { choices, usage } = await completePaths(context, paths, request.options, request.options.maxNewTokens ?? COMPLETIONS_DEFAULT_MAX_TOKENS, signal);
    await sendJson(res, 200, { id: meta.id, object: 'text_completion', created: meta.created, model: meta.model, choices, usage });
  }

  /** Answers with the error: a JSON error body, or an error event when a stream has begun. */
  private async fail(res: ServerResponse, error: unknown): Promise<void> {
    if (error instanceof ClientGone || res.destroyed) return;
    const apiError = toApiError(error);
    if (apiError.status >= 500 && !(error instanceof ShuttingDown) && apiError.code !== 'shutting_down') {
      process.stderr.write(`reasonflow serve: ${(error as Error)?.stack ?? String(error)}\n`);
    }
    if (res.headersSent) {
      // A stream already under way: OpenAI clients raise an `error` event as an APIError.
      res.end(`data: ${JSON.stringify(apiError.body())}\n\n`);
      return;
    }
    if (this.stopping) res.setHeader('Connection', 'close');
    for (const [name, value] of Object.entries(apiError.headers)) res.setHeader(name, value);
    await sendJson(res, apiError.status, apiError.body());
  }
}

/** Library errors as HTTP errors: bad settings and inputs are the client's (400), the rest the server's. */
function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ShuttingDown) return shuttingDownError();
  if (error instanceof ContextLengthError) return invalidRequest(error.message, null, 'context_length_exceeded');
  if (error instanceof UnsupportedFeatureError) return invalidRequest(error.message, 'reasonflow', 'unsupported_feature');
  const configError = apiErrorOf(error, (field) => field);
  if (configError) return configError;
  const name = error instanceof ReasonFlowError ? `${error.name}: ` : '';
  return new ApiError(500, `${name}${(error as Error)?.message ?? String(error)}`, 'server_error', null, null);
}

/** Server-sent events, headers sent with the first event (until then an error can still be a JSON 4xx). */
class EventStream {
  started = false;
  constructor(private readonly res: ServerResponse) {}

  send(data: unknown): void {
    if (!this.started) {
      this.started = true;
      this.res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
    }
    this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  end(): Promise<void> {
    return finished(this.res, 'data: [DONE]\n\n');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): Promise<void> {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  return finished(res, text);
}

/** Ends the response; resolves once its bytes are handed to the socket (or the socket is gone). */
function finished(res: ServerResponse, last: string): Promise<void> {
  return new Promise((resolve) => {
    res.once('close', resolve);
    res.end(last, resolve);
  });
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new ApiError(413, `The request body exceeds ${maxBytes} bytes.`, 'invalid_request_error', null, 'body_too_large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`The request body is not valid JSON: ${(error as Error).message}.`, null, 'invalid_json');
  }
}
