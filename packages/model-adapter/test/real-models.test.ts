/**
 * The models users have, in the layouts they download them in: every fixture folder and dtype
 * (tools/make-conformance-models) loads through the dtype file naming, passes core's conformance
 * suite, reproduces torch's last-position logits and its greedy continuation (the same tokens
 * transformers.js produces on these folders).
 */
import { ReasonFlowEngine } from '@reasonflow/core';
import { decoderModelConformance } from '@reasonflow/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type LoadedModel, loadModelFolder } from '../src/index.js';
import { fixturePath, fixtureVariants, isGenai, tolerance } from './fixture-models.js';
import { fsSource } from './helpers.js';
import { cpuSessionOptions, ort } from './fixtures.js';

for (const { folder, dtype, variant, reference } of fixtureVariants()) {
  const genai = isGenai(folder);
  const loaded: LoadedModel = await loadModelFolder(fsSource(fixturePath(folder)), {
    runtime: ort,
    sessionOptions: cpuSessionOptions,
    ...(genai ? {} : { dtype }),
  });
  const tol = tolerance(variant);
  describe(`${folder} ${dtype} (${variant.file})`, () => {
    afterAll(() => loaded.dispose());

    it('loads the requested file', () => {
      expect(loaded.model.files).toEqual([variant.file]);
      expect(loaded.dtype).toBe(genai ? undefined : dtype);
    });

    it('the tokenizer encodes the reference prompt as torch was fed it', () => {
      expect([...loaded.tokenizer.encode(reference.prompt)]).toEqual(reference.input_ids);
    });

    it('last-position logits of the prompt match torch (first 16 and the argmax)', async () => {
      const seq = await loaded.model.startSequence({ rows: 1 });
      try {
        const logits = (await seq.forward({ kind: 'tokens', tokens: Int32Array.from(reference.input_ids), tokensPerRow: reference.input_ids.length })).data as Float32Array;
        expect(logits).toHaveLength(loaded.model.info.vocabSize);
        const worst = Math.max(...variant.last_logits_first16.map((v, i) => Math.abs(v - logits[i]!)));
        expect(worst).toBeLessThanOrEqual(tol);
        expect(argmax(logits)).toBe(variant.argmax_per_position.at(-1));
        expect(argmax(logits)).toBe(argmax(Float32Array.from(variant.last_logits)));
      } finally {
        await seq.dispose();
      }
    });

    it('greedy through the engine (one thinker) continues as torch and transformers.js do', async () => {
      const result = await new ReasonFlowEngine(loaded.model).generate(reference.input_ids, {
        maxNewTokens: variant.greedy_tokens.length,
        eosTokenIds: [],
      });
      expect(result.tokenIds).toEqual(variant.greedy_tokens);
      expect(loaded.model.liveTensors).toBe(0);
    });

    for (const check of decoderModelConformance({ model: loaded.model, tokens: reference.input_ids.slice(0, 12), tolerance: tol })) {
      it(`conformance: ${check.name}`, check.run);
    }
  });
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
