import { describe, expect, it } from 'vitest';
import type { DecoderModel, DecoderSequence } from '../src/index.js';
import { ConformanceError, decoderModelConformance, ToyModel } from '../src/testing/index.js';

describe('conformance suite on the toy model', () => {
  for (const acceptsEmbeddings of [true, false]) {
    describe(acceptsEmbeddings ? 'with embeddings' : 'token ids only', () => {
      const model = new ToyModel({ acceptsEmbeddings });
      for (const check of decoderModelConformance({ model })) it(check.name, check.run);
    });
  }
});

/** Wraps a model and breaks one sequence method, to show the suite catches it. */
function broken(inner: DecoderModel, breakSequence: (seq: DecoderSequence) => Partial<DecoderSequence>): DecoderModel {
  return {
    info: inner.info,
    async startSequence(options) {
      const seq = await inner.startSequence(options);
      const override = breakSequence(seq);
      return {
        get rows() {
          return seq.rows;
        },
        get length() {
          return seq.length;
        },
        forward: (input) => seq.forward(input),
        selectRows: (rows) => seq.selectRows(rows),
        truncate: (length) => seq.truncate(length),
        dispose: () => seq.dispose(),
        ...override,
      };
    },
  };
}

async function failures(model: DecoderModel): Promise<string[]> {
  const failed: string[] = [];
  for (const check of decoderModelConformance({ model })) {
    await check.run().catch((error: unknown) => {
      expect(error).toBeInstanceOf(ConformanceError);
      failed.push(check.name);
    });
  }
  return failed;
}

describe('conformance suite catches broken models', () => {
  it('a model whose truncate keeps the lookahead positions', async () => {
    const model = broken(new ToyModel({ acceptsEmbeddings: false }), () => ({ truncate: async () => {} }));
    expect(await failures(model)).toEqual(['truncate rolls every row back to exactly the kept prefix']);
  });

  it('a model whose selectRows ignores the order of the rows', async () => {
    const model = broken(new ToyModel({ acceptsEmbeddings: false }), (seq) => ({
      selectRows: (rows) => seq.selectRows(Int32Array.from(rows).sort()),
    }));
    expect(await failures(model)).toContain('selectRows re-forms the batch from the chosen rows (broadcast and permutation)');
  });

  it('a model that leaks a sequence per generation', async () => {
    const inner = new ToyModel({ acceptsEmbeddings: false });
    let live = 0;
    const model: DecoderModel = {
      info: inner.info,
      startSequence: async (options) => {
        live++;
        return inner.startSequence(options); // never decremented: dispose is not tracked
      },
      resources: async () => ({ sessions: 0, tensors: 0, sequences: live }),
    };
    const failed = await failures(model);
    expect(failed).toContain('a disposed sequence refuses work, dispose is idempotent, and nothing stays live');
    expect(failed).toContain('ReasonFlow runs end to end, and an abort after the first token leaves nothing live');
  });
});
