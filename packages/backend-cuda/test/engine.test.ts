/** The whole Node stack: core's engine over model-adapter's ONNX model, in process and in a worker. */
import { ReasonFlowEngine } from '@reasonflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, loadModelInWorker, type NodeLoadedModel, type WorkerLoadedModel } from '../src/index.js';
import { argmaxRows, recompute } from '../../model-adapter/test/helpers.js';
import { writeToyFolder } from './toy-folder.js';

describe('ReasonFlowEngine on the ONNX model', () => {
  let toy: ReturnType<typeof writeToyFolder>;
  let local: NodeLoadedModel;
  let worker: WorkerLoadedModel;
  beforeAll(async () => {
    toy = writeToyFolder();
    local = await loadModel(toy.folder, { device: 'cpu' });
    worker = await loadModelInWorker(toy.folder, { device: 'cpu' });
  });
  afterAll(async () => {
    await local.dispose();
    await worker.dispose();
    toy.remove();
  });

  it('one thinker commits the greedy continuation computed without a cache', async () => {
    const prompt = [5, 6, 7, 8];
    const result = await new ReasonFlowEngine(local.model).generate(prompt, { maxNewTokens: 8, eosTokenIds: [] });
    const history = [...prompt];
    for (let i = 0; i < 8; i++) history.push(argmaxRows(await recompute(local.model, [history]), 1)[0]!);
    expect(result.tokenIds).toEqual(history.slice(prompt.length));
    expect(local.model.liveTensors).toBe(0);
  });

  for (const [label, config] of [
    ['3 thinkers, 3 thoughts, embedding noise', { numOfThinkers: 3, numOfThoughts: 3 }],
    ['mean KV merge of 2 thinkers', { numOfThinkers: 3, numOfThoughts: 2, topkThinkers: 2, kvMerge: 'mean' as const }],
    ['soft thoughts', { numOfThinkers: 2, numOfThoughts: 3, useTokens: false }],
    ['path acceptance', { numOfThinkers: 2, numOfThoughts: 4, pathAcceptance: true }],
  ] as const) {
    it(`${label}: the worker and the in-process model agree, nothing leaks`, async () => {
      const a = await new ReasonFlowEngine(local.model, { config }).generate([5, 6, 7], { maxNewTokens: 6, eosTokenIds: [] });
      const b = await new ReasonFlowEngine(worker.model, { config }).generate([5, 6, 7], { maxNewTokens: 6, eosTokenIds: [] });
      expect(a.tokenIds).toHaveLength(6);
      expect(b.tokenIds).toEqual(a.tokenIds);
      expect(b.bestThinkersSummary).toEqual(a.bestThinkersSummary);
      expect(local.model.liveTensors).toBe(0);
      expect(local.model.liveSequences).toBe(0);
      expect(await worker.model.resources()).toEqual({ sessions: 3, tensors: 0, sequences: 0 });
    });
  }
});
