/** Runs one unit of work in a worker thread: its log lines are forwarded, its result or error comes back. */
import { Worker } from 'node:worker_threads';

/** Worker → parent messages. */
export type WorkerMessage<R> = { type: 'log'; line: string } | { type: 'done'; result: R } | { type: 'error'; message: string; stack?: string };

/** Starts `script` with `data` as its workerData; `label` names it in errors. */
export function runInWorker<R>(script: URL, data: unknown, log: (line: string) => void, label: string): Promise<R> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: data });
    let settled = false;
    worker.on('message', (message: WorkerMessage<R>) => {
      if (message.type === 'log') log(message.line);
      else if (message.type === 'done') {
        settled = true;
        resolve(message.result);
      } else {
        settled = true;
        const error = new Error(`${label}: ${message.message}`);
        if (message.stack) error.stack = message.stack;
        reject(error);
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`${label}: worker exited with code ${code}`));
    });
  });
}

/** The worker side: runs `work` on workerData and posts its log lines and result (or error) to the parent. */
export async function serveWorker<O, R>(port: { postMessage(message: WorkerMessage<R>): void }, data: O, work: (data: O, log: (line: string) => void) => Promise<R>): Promise<void> {
  try {
    const result = await work(data, (line) => port.postMessage({ type: 'log', line }));
    port.postMessage({ type: 'done', result });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ type: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
  }
}
