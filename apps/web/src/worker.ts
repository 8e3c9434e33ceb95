/// <reference lib="webworker" />
// The model runs here, off the page's main thread.
import { ReasonFlow } from 'reasonflow';
import { browserModelLoader, configureOrtWeb, ORT_WEB_VERSION, type WebLoadedModel } from 'reasonflow/browser';
import type { FromWorker, ToWorker, WorkerResources } from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

// onnxruntime-web's wasm files come from this app (see vite.config.ts), never from a CDN.
configureOrtWeb({ wasmPaths: new URL(`${import.meta.env.BASE_URL}ort/`, self.location.href).href, numThreads: 1 });

let rf: ReasonFlow | undefined;
let loaded: WebLoadedModel | undefined;
let controller: AbortController | undefined;

const post = (message: FromWorker) => self.postMessage(message);

async function resources(): Promise<WorkerResources> {
  const counts = loaded?.resources() ?? { sessions: 0, deviceTensors: 0, deviceTensorsCreated: 0, adapterTensors: 0, sequences: 0 };
  return { ...counts, engineTensors: (await rf?.resources())?.engineTensors ?? 0 };
}

async function load(device: 'auto' | 'webgpu' | 'wasm', modelUrl: string): Promise<void> {
  const start = performance.now();
  const base = browserModelLoader({
    onProgress: (p) => post({ type: 'progress', file: p.file, loaded: p.loaded, total: p.total }),
    onLoaded: (model) => {
      loaded = model;
    },
  });
  rf = await ReasonFlow.fromPretrained(new URL(modelUrl, self.location.href).href, {
    device,
    onWarning: (message) => post({ type: 'warning', message }),
    loader: base,
  });
  post({
    type: 'loaded',
    executionProvider: rf.executionProvider,
    adapter: loaded?.deviceInfo,
    loadMs: performance.now() - start,
    ortVersion: ORT_WEB_VERSION,
  });
}

async function generate(message: Extract<ToWorker, { type: 'generate' }>): Promise<void> {
  if (rf === undefined) throw new Error('no model loaded');
  const config =
    message.strategy === 'greedy' ? { ...message.config, numOfThinkers: 1, topkThinkers: 1, pathAcceptance: false } : message.config;
  const runner = rf.withConfig(config);
  controller = new AbortController();
  const decode = (id: number) => rf!.tokenizer.decode([id], { skipSpecialTokens: false });
  const start = performance.now();
  const result = await runner.generateThoughts(message.prompt, {
    maxNewTokens: message.maxNewTokens,
    signal: controller.signal,
    stream: (chunk) => post({ type: 'token', id: message.id, text: chunk.text, tokenId: chunk.tokenId }),
    onIteration: (report) =>
      post({ type: 'iteration', id: message.id, view: { report, pathTexts: report.thinkers.map((t) => t.pathTokens.map(decode)), committedText: rf!.tokenizer.decode(report.committed, { skipSpecialTokens: false }) } }),
  });
  const elapsedMs = performance.now() - start;
  post({
    type: 'done',
    id: message.id,
    result: {
      output: result.output,
      tokenIds: result.tokenIds,
      bestThinkersSummary: result.bestThinkersSummary,
      stopReason: result.stopReason,
      iterations: result.stats.iterations,
      tokens: result.tokenIds.length,
      elapsedMs,
      tokensPerSecond: result.tokenIds.length / (elapsedMs / 1000),
      modelTimeMs: result.stats.modelTimeMs,
      engineTimeMs: result.stats.engineTimeMs,
      forwardSteps: result.stats.forwardSteps,
      executionProvider: result.stats.executionProvider,
    },
  });
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  const id = 'id' in message ? message.id : undefined;
  try {
    switch (message.type) {
      case 'load':
        await load(message.device, message.modelUrl);
        break;
      case 'generate':
        await generate(message);
        break;
      case 'abort':
        controller?.abort();
        break;
      case 'resources':
        post({ type: 'resources', id: message.id, resources: await resources() });
        break;
      case 'dispose':
        await rf?.dispose();
        post({ type: 'resources', id: message.id, resources: await resources() });
        rf = undefined;
        break;
    }
  } catch (error) {
    post({ type: 'error', ...(id !== undefined ? { id } : {}), message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
};
