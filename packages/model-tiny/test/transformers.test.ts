import { dirname } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { CHAT_TEMPLATE, checkAnswer, evalSet, MODEL_SPEC, modelPath } from '../src/index.js';
import { createSession, greedyBatch } from './helpers.js';

const MAX_NEW = 220;

describe('@huggingface/transformers conformance (offline, cpu, fp32)', () => {
  it('loads the folder and greedy generate solves easy problems', async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${dirname(modelPath)}/`;
    const id = 'model'; // packages/model-tiny/model
    const tokenizer = await AutoTokenizer.from_pretrained(id);
    const model = await AutoModelForCausalLM.from_pretrained(id, {
      device: 'cpu',
      dtype: 'fp32',
      session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 },
    });
    try {
      expect(tokenizer.bos_token_id).toBe(MODEL_SPEC.bosTokenId);
      expect(tokenizer.eos_token_id).toBe(MODEL_SPEC.eosTokenId);
      expect(tokenizer.pad_token_id).toBe(MODEL_SPEC.padTokenId);
      // the chat template: <s> then the message contents
      const chat = tokenizer.apply_chat_template([{ role: 'user', content: '12+34=' }], {
        tokenize: false,
        add_generation_prompt: true,
      });
      expect(chat).toBe('<s>12+34=');
      expect(tokenizer.chat_template).toBe(CHAT_TEMPLATE);

      const problems = [...evalSet('addition', 'easy', 3), ...evalSet('countdown', 'easy', 3)];
      let correct = 0;
      const session = await createSession(MODEL_SPEC.files.model);
      const reference = await greedyBatch(
        session,
        problems.map((p) => p.prompt),
        MAX_NEW,
      );
      await session.release();
      for (const [k, p] of problems.entries()) {
        const inputs = tokenizer(p.prompt);
        const promptLen = (inputs.input_ids as Tensor).dims[1]!;
        expect(promptLen).toBe(p.prompt.length + 1); // <s> + one token per character
        const out = (await model.generate({
          ...inputs,
          max_new_tokens: MAX_NEW,
          do_sample: false,
        })) as Tensor;
        const ids = (out.tolist() as bigint[][])[0]!.slice(promptLen).map(Number);
        const text = tokenizer.decode(ids, { skip_special_tokens: true });
        // transformers.js drives the graph exactly like the test's own KV-cached loop
        expect(text).toBe(reference[k]);
        if (checkAnswer(p.prompt, text)) correct++;
      }
      expect(correct).toBeGreaterThanOrEqual(problems.length - 1);
    } finally {
      await model.dispose();
    }
  });
});
