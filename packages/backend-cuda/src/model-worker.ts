/**
 * The worker side of `loadModelInWorker`: loads the folder with `loadModel` and serves it over the
 * shared model RPC, so that onnxruntime-node's blocking forward passes never stall the caller.
 */
import { parentPort } from 'node:worker_threads';
import { emitterEndpoint, serveModel } from '@reasonflow/model-adapter/rpc';
import { type LoadModelOptions, loadModel } from './load.js';
import type { WorkerLoadDetails, WorkerLoadRequest } from './worker-model.js';

serveModel<WorkerLoadRequest, WorkerLoadDetails>(emitterEndpoint(parentPort!), async ({ folder, options, reportProgress }, events) => {
  const loaded = await loadModel(folder, {
    ...(options as LoadModelOptions),
    onWarning: events.onWarning,
    ...(reportProgress ? { onProgress: events.onProgress } : {}),
  });
  return {
    model: loaded.model,
    details: { config: loaded.config, generationConfig: loaded.generationConfig, executionProvider: loaded.executionProvider },
    dispose: () => loaded.dispose(),
  };
});
