/** Worker-thread entry of one quality shard (see quality-shard.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { type QualityShardOptions, runQualityShard } from './quality-shard.js';
import { serveWorker } from './worker-run.js';

if (!parentPort) throw new Error('quality-worker.js must run in a worker thread');
await serveWorker(parentPort, workerData as QualityShardOptions, runQualityShard);
