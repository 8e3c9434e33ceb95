/** Worker-thread entry of one quality shard (see quality-shard.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { type QualityShardOptions, runQualityShard, type ShardMessage } from './quality-shard.js';

const port = parentPort;
if (!port) throw new Error('quality-worker.js must run in a worker thread');
const post = (message: ShardMessage) => port.postMessage(message);

try {
  const result = await runQualityShard(workerData as QualityShardOptions, (line) => post({ type: 'log', line }));
  post({ type: 'done', result });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
}
