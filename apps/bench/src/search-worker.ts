/** Worker-thread entry of one search-benchmark shard (see search-shard.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { runSearchShard, type SearchShardOptions } from './search-shard.js';
import { serveWorker } from './worker-run.js';

if (!parentPort) throw new Error('search-worker.js must run in a worker thread');
await serveWorker(parentPort, workerData as SearchShardOptions, runSearchShard);
