/** `reasonflow serve`: loads the model, serves it until SIGTERM/SIGINT, then shuts down gracefully. */
import { basename, resolve } from 'node:path';
import { modelPath } from '@reasonflow/model-tiny';
import { ReasonFlow, ReasonFlowError } from 'reasonflow';
import { UsageError } from '../options.js';
import { parseServeOptions, type ServeOptions, serveUsage } from './serve-options.js';
import { ReasonFlowServer } from './server.js';

const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/** The embedded model's id (its folder is just "model"). */
export const EMBEDDED_MODEL_ID = 'reasonflow-tiny';

/** The id clients send as `model`: --model-id, else the model folder's name. */
export function servedModelId(options: Pick<ServeOptions, 'model' | 'modelId'>): string {
  return options.modelId ?? (options.model ? basename(resolve(options.model)) : EMBEDDED_MODEL_ID);
}

export async function runServe(argv: readonly string[]): Promise<number> {
  let options: ServeOptions;
  try {
    options = parseServeOptions(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`reasonflow serve: ${error.message}\nTry 'reasonflow serve --help'.\n`);
      return EXIT.usage;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(serveUsage());
    return EXIT.ok;
  }

  const log = (line: string) => process.stderr.write(`reasonflow serve: ${line}\n`);
  let rf: ReasonFlow;
  try {
    log(`loading ${options.model ?? 'the embedded model'}…`);
    rf = await ReasonFlow.fromPretrained(options.model ?? modelPath, {
      device: options.device,
      onWarning: log,
      ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
    });
  } catch (error) {
    log(error instanceof ReasonFlowError ? `${error.name}: ${error.message}` : `cannot load the model: ${(error as Error).stack ?? String(error)}`);
    return EXIT.error;
  }

  const modelId = servedModelId(options);
  const server = new ReasonFlowServer(rf, {
    modelId,
    maxQueue: options.maxQueue,
    maxConcurrent: options.maxConcurrent,
    maxLogprobs: options.maxLogprobs,
  });
  try {
    const address = await server.listen(options.port, options.host);
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    log(`serving "${modelId}" on ${rf.executionProvider}; listening on http://${host}:${address.port}/v1`);
  } catch (error) {
    log(`cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`);
    await rf.dispose();
    return EXIT.error;
  }

  await new Promise<void>((done) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        log(`${signal} again: aborting in-flight requests.`);
        server.abortAll();
        return;
      }
      log(`${signal}: shutting down (in-flight requests get ${options.shutdownGraceMs} ms, waiting ones a 503)…`);
      server.shutdown(options.shutdownGraceMs).then(done, (error: unknown) => {
        log(`shutdown failed: ${(error as Error).stack ?? String(error)}`);
        done();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await rf.dispose();
  log('stopped.');
  return EXIT.ok;
}
