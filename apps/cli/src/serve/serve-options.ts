import { parseArgs } from 'node:util';
import { type Device, parseInteger, UsageError } from '../options.js';

export interface ServeOptions {
  model: string | undefined;
  /** The id clients pass as `model` (default: the model folder's name). */
  modelId: string | undefined;
  device: Device;
  threads: number | undefined;
  host: string;
  port: number;
  /** Requests that may wait for the model; one more gets a 429. */
  maxQueue: number;
  /** Generations run at once on the one loaded model. */
  maxConcurrent: number;
  /** How long in-flight requests may run on after SIGTERM/SIGINT before they are aborted. */
  shutdownGraceMs: number;
  /** Largest `logprobs` a completion may ask for (vLLM's --max-logprobs). */
  maxLogprobs: number;
  help: boolean;
}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8000,
  maxQueue: 16,
  maxConcurrent: 1,
  shutdownGraceMs: 10_000,
  maxLogprobs: 20,
} as const;

/** Parses the arguments after `serve`. @throws UsageError */
export function parseServeOptions(argv: readonly string[]): ServeOptions {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string', short: 'm' },
        'model-id': { type: 'string' },
        device: { type: 'string', short: 'd' },
        threads: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
        'max-queue': { type: 'string' },
        'max-concurrent': { type: 'string' },
        'shutdown-grace-ms': { type: 'string' },
        'max-logprobs': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const str = (name: string) => v[name] as string | undefined;
  const int = (flag: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const text = str(flag);
    if (text === undefined) return fallback;
    const value = parseInteger(flag, text, min);
    if (value > max) throw new UsageError(`--${flag} expects a whole number ≤ ${max}, got "${text}".`);
    return value;
  };
  const device = str('device') ?? 'auto';
  if (device !== 'auto' && device !== 'cuda' && device !== 'cpu') {
    throw new UsageError(`--device must be one of auto, cuda, cpu; got "${device}".`);
  }
  const modelId = str('model-id');
  if (modelId !== undefined && modelId.trim() === '') throw new UsageError('--model-id must not be empty.');
  const host = str('host') ?? SERVE_DEFAULTS.host;
  if (host.trim() === '') throw new UsageError('--host must not be empty.');
  return {
    model: str('model'),
    modelId,
    device,
    threads: str('threads') === undefined ? undefined : parseInteger('threads', str('threads')!, 1),
    host,
    port: int('port', SERVE_DEFAULTS.port, 0, 65_535),
    maxQueue: int('max-queue', SERVE_DEFAULTS.maxQueue, 0),
    maxConcurrent: int('max-concurrent', SERVE_DEFAULTS.maxConcurrent, 1),
    shutdownGraceMs: int('shutdown-grace-ms', SERVE_DEFAULTS.shutdownGraceMs, 0),
    maxLogprobs: int('max-logprobs', SERVE_DEFAULTS.maxLogprobs, 0),
    help: Boolean(v.help),
  };
}

export function serveUsage(): string {
  return `Usage: reasonflow serve [options]

Serves the model over an OpenAI-compatible HTTP API: GET /v1/models, POST /v1/completions and
POST /v1/chat/completions (stream: true for server-sent events). ReasonFlow's settings come per
request in an extra body field, e.g. "reasonflow": { "num_of_thinkers": 4, "num_of_thoughts": 4 }.
/v1/completions with token-id prompts or "logprobs": k answers as vLLM does (plain decoding with
top-k log-probabilities), so @reasonflow/backend-remote (engine 'vllm') can run its search here.

Options:
  -m, --model <dir>            model folder (default: the embedded tiny model)
      --model-id <id>          the model name clients send (default: the folder's name;
                               reasonflow-tiny for the embedded model)
  -d, --device <auto|cuda|cpu> default auto
      --threads <int>          onnxruntime intra-op threads, ≥ 1 (default 1)
      --host <address>         default ${SERVE_DEFAULTS.host}
  -p, --port <int>             default ${SERVE_DEFAULTS.port}; 0 picks a free port
      --max-queue <int>        requests waiting for the model, ≥ 0 (default ${SERVE_DEFAULTS.maxQueue}); more get HTTP 429
      --max-concurrent <int>   generations at once on the model, ≥ 1 (default ${SERVE_DEFAULTS.maxConcurrent}); no batching
      --shutdown-grace-ms <int> on SIGTERM/SIGINT, how long in-flight requests may finish before they
                               are aborted (default ${SERVE_DEFAULTS.shutdownGraceMs}); waiting ones get HTTP 503
      --max-logprobs <int>     largest "logprobs" a completion may ask for, ≥ 0 (default
                               ${SERVE_DEFAULTS.maxLogprobs}, as vLLM); more get HTTP 400
  -h, --help

The address is printed on stderr once the model is loaded: "listening on http://HOST:PORT/v1".
A second SIGTERM/SIGINT aborts everything at once. Exit codes: 0 after a shutdown, 1 model or
startup error (e.g. the port is taken), 2 bad usage.
`;
}
