import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { checkAnswer, evalSet, modelPath } from '@reasonflow/model-tiny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ContextLengthError, type FileProgress, type IterationReport, ReasonFlow } from '../src/node.js';

const warnings: string[] = [];
const progress: FileProgress[] = [];
let rf: ReasonFlow;

beforeAll(async () => {
  rf = await ReasonFlow.fromPretrained(modelPath, { device: 'auto', onWarning: (m) => warnings.push(m), onProgress: (p) => progress.push(p) });
});
afterAll(async () => {
  await rf.dispose();
});

describe('ReasonFlow on the embedded model (CPU provider)', () => {
  it('runs on the CPU here, after one fallback warning', () => {
    expect(rf.executionProvider).toBe('cpu');
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/CUDA/);
  });

  it('reports each weight file once it has been read', () => {
    const model = progress.find((p) => p.file === 'onnx/model.onnx');
    expect(model).toEqual({ file: 'onnx/model.onnx', loaded: statSync(join(modelPath, 'onnx/model.onnx')).size, total: model?.loaded, done: true });
    expect(progress.every((p) => p.done && p.loaded === p.total && p.loaded > 0)).toBe(true);
    expect(new Set(progress.map((p) => p.file)).size).toBe(progress.length);
  });

  it('N = 1, T = 1 gives the same tokens as @huggingface/transformers greedy generate', async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${dirname(modelPath)}/`;
    const tokenizer = await AutoTokenizer.from_pretrained('model');
    const model = await AutoModelForCausalLM.from_pretrained('model', {
      device: 'cpu',
      dtype: 'fp32',
      session_options: { intraOpNumThreads: 1 },
    });
    const greedy = rf.withConfig({ numOfThinkers: 1, numOfThoughts: 1 });
    try {
      const problems = [...evalSet('addition', 'easy', 2), ...evalSet('countdown', 'easy', 2), ...evalSet('addition', 'hard', 2)];
      for (const problem of problems) {
        const inputs = tokenizer(problem.prompt);
        const promptLength = (inputs.input_ids as Tensor).dims[1]!;
        const out = (await model.generate({ ...inputs, max_new_tokens: 60, do_sample: false })) as Tensor;
        const reference = (out.tolist() as bigint[][])[0]!.slice(promptLength).map(Number);
        const ours = await greedy.generateThoughts(problem.prompt, { maxNewTokens: 60 });
        expect(ours.tokenIds).toEqual(reference);
      }
    } finally {
      await model.dispose();
    }
  });

  it('N = 4, T = 4 answers easy problems, with one summary entry per iteration', async () => {
    const reasonflow = rf.withConfig({ numOfThinkers: 4, numOfThoughts: 4 });
    const problems = [...evalSet('addition', 'easy', 4), ...evalSet('countdown', 'easy', 4)];
    let correct = 0;
    for (const problem of problems) {
      const reports: IterationReport[] = [];
      const result = await reasonflow.generateThoughts(problem.prompt, {
        maxNewTokens: 200,
        onIteration: (r) => reports.push(r),
      });
      expect(result.bestThinkersSummary.length).toBe(result.stats.iterations);
      expect(result.bestThinkersSummary).toEqual(reports.map((r) => r.selected));
      expect(result.stopReason).toBe('eos');
      if (checkAnswer(problem.prompt, result.output)) correct++;
    }
    expect(correct).toBeGreaterThanOrEqual(problems.length - 1);
  });

  it("path acceptance with N = 1 gives greedy's tokens in fewer iterations", async () => {
    const prompt = evalSet('addition', 'easy', 1)[0]!.prompt;
    const greedy = await rf.withConfig({ numOfThinkers: 1 }).generateThoughts(prompt, { maxNewTokens: 120 });
    const accepted = await rf
      .withConfig({ numOfThinkers: 1, numOfThoughts: 4, pathAcceptance: true })
      .generateThoughts(prompt, { maxNewTokens: 120 });
    expect(accepted.tokenIds).toEqual(greedy.tokenIds);
    expect(accepted.stats.iterations).toBeLessThan(greedy.stats.iterations);
  });

  it('streams text whose concatenation is the output', async () => {
    const chunks: string[] = [];
    const result = await rf.withConfig({ numOfThinkers: 2, numOfThoughts: 3 }).generateThoughts('12+34=', {
      maxNewTokens: 80,
      stream: (c) => chunks.push(c.text),
    });
    expect(chunks.join('')).toBe(result.output);
    const iterated: string[] = [];
    const iterator = rf.stream('12+34=', { maxNewTokens: 80 });
    for await (const chunk of iterator) iterated.push(chunk.text);
    expect(iterated.join('').length).toBeGreaterThan(0);
  });

  it('accepts chat messages through the chat template', async () => {
    const chat = await rf.generateThoughts([{ role: 'user', content: '12+34=' }], { maxNewTokens: 80 });
    const plain = await rf.generateThoughts('12+34=', { maxNewTokens: 80 });
    expect(chat.tokenIds).toEqual(plain.tokenIds);
  });

  it('rejects bad input with typed errors that name the problem', async () => {
    expect(() => rf.withConfig({ numOfThinkers: 2, topkThinkers: 5 })).toThrow(ConfigError);
    expect(() => rf.withConfig({ numOfThinkers: 2, topkThinkers: 5 })).toThrow(/topkThinkers/);
    await expect(rf.generateThoughts('1+'.repeat(200), { maxNewTokens: 10 })).rejects.toThrow(ContextLengthError);
    await expect(rf.generateThoughts('1+1=', { device: 'cuda' })).rejects.toThrow(/device.*"cpu"/);
    await expect(ReasonFlow.fromPretrained(modelPath, { config: { diversity_weight: 2 } as never })).rejects.toThrow(
      /diversityWeight/,
    );
  });
});
