/// <reference lib="webworker" />
/**
 * `@reasonflow/backend-webgpu/worker`: the model worker. Importing it (the whole body of a worker
 * script, or the worker `loadModelInWorker` starts itself) serves one model over model-adapter's RPC:
 * the page sends a folder URL or picked files, this loads it with onnxruntime-web (WebGPU or wasm)
 * and answers forward passes and KV operations; the engine and the tokenizer stay in the page.
 */
import { fetchFileSource, memoryFileSource } from '@reasonflow/model-adapter';
import { eventTargetEndpoint, serveModel } from '@reasonflow/model-adapter/rpc';
import { configureOrtWeb, loadModel, ORT_WEB_VERSION } from './load.js';
import { cachedFetch } from './model-cache.js';
import type { WebWorkerLoadDetails, WebWorkerLoadRequest, WebWorkerResources } from './worker-protocol.js';

declare const self: DedicatedWorkerGlobalScope;

serveModel<WebWorkerLoadRequest, WebWorkerLoadDetails>(eventTargetEndpoint(self), async (request, events) => {
  configureOrtWeb(request.ort);
  const onProgress = request.reportProgress ? events.onProgress : undefined;
  const source =
    'url' in request.source
      ? fetchFileSource(request.source.url, {
          ...(request.source.cache !== null ? { fetch: cachedFetch(request.source.cache) } : {}),
          ...(onProgress ? { onProgress } : {}),
        })
      : memoryFileSource(request.source.files, request.source.description);
  const loaded = await loadModel(source, {
    device: request.device,
    onWarning: events.onWarning,
    ...(request.inputsEmbeds !== undefined ? { inputsEmbeds: request.inputsEmbeds } : {}),
    ...(request.dtype !== undefined ? { dtype: request.dtype } : {}),
  });
  return {
    model: loaded.model,
    details: {
      executionProvider: loaded.executionProvider,
      ...(loaded.deviceInfo !== undefined ? { adapter: loaded.deviceInfo } : {}),
      ortVersion: ORT_WEB_VERSION,
      config: loaded.config,
      generationConfig: loaded.generationConfig,
    },
    resources: (): WebWorkerResources => {
      const counts = loaded.resources();
      return { ...counts, tensors: counts.adapterTensors };
    },
    dispose: () => loaded.dispose(),
  };
});
