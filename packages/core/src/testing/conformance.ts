import { ReasonFlowEngine } from '../engine.js';
import { ReasonFlowError } from '../errors.js';
import { logitsToHost } from '../logits.js';
import type { DecoderModel, DecoderSequence, ModelResources, StepInput } from '../model.js';

/** A conformance check failed: the model breaks an invariant the engine relies on. */
export class ConformanceError extends ReasonFlowError {
  override readonly name = 'ConformanceError';
}

export interface ConformanceOptions {
  /** The model under test. It is not disposed by the checks (dispose it after them). */
  readonly model: DecoderModel;
  /** Token ids to feed (at least 8, all in the vocabulary). Default: 1…12 (taken modulo the vocabulary). */
  readonly tokens?: readonly number[];
  /** Largest absolute difference allowed between cached and recomputed logits. Default 1e-4. */
  readonly tolerance?: number;
}

/** One named invariant; `run` throws a ConformanceError (or the model's own error) when it is broken. */
export interface ConformanceCheck {
  readonly name: string;
  run(): Promise<void>;
}

/**
 * The invariants every `DecoderModel` must keep for the engine to be correct, as framework-free checks:
 *
 * ```ts
 * for (const check of decoderModelConformance({ model })) it(check.name, check.run);
 * ```
 *
 * Every backend in this repository runs them, and so should a custom one.
 */
export function decoderModelConformance(options: ConformanceOptions): ConformanceCheck[] {
  const { model } = options;
  const tolerance = options.tolerance ?? 1e-4;
  const vocab = model.info.vocabSize;
  const tokens = (options.tokens ?? Array.from({ length: 12 }, (_, i) => (i + 1) % vocab)).slice();
  const t = (i: number): number => tokens[i % tokens.length]!;
  const checks: ConformanceCheck[] = [
    {
      name: 'info describes the model consistently',
      async run() {
        const { info } = model;
        expect(Number.isSafeInteger(info.vocabSize) && info.vocabSize >= 2, `vocabSize ${info.vocabSize} is an integer ≥ 2`);
        expect(Number.isSafeInteger(info.maxSequenceLength) && info.maxSequenceLength >= 2, `maxSequenceLength ${info.maxSequenceLength} ≥ 2`);
        for (const id of info.eosTokenIds) expect(Number.isInteger(id) && id >= 0 && id < vocab, `eos id ${id} is in the vocabulary`);
        expect((info.embeddingSize !== undefined) === (model.embedTokens !== undefined), 'embedTokens is present exactly when embeddingSize is set');
        expect(tokens.length >= 8 && tokens.every((x) => Number.isInteger(x) && x >= 0 && x < vocab), 'the test tokens are ≥ 8 ids in the vocabulary');
      },
    },
    {
      name: 'forward returns finite [rows, vocab] logits and advances the length',
      async run() {
        await withSequence(model, 3, async (seq) => {
          expect(seq.rows === 3 && seq.length === 0, `a new sequence has 3 rows and length 0 (got ${seq.rows}, ${seq.length})`);
          const logits = await forward(seq, [[t(0), t(1)], [t(2), t(3)], [t(4), t(5)]]);
          expect(logits.length === 3 * vocab, `logits hold rows × vocab = ${3 * vocab} values (got ${logits.length})`);
          expect(logits.every(Number.isFinite), 'logits are finite');
          expect(seq.length === 2, `length is 2 after feeding 2 positions (got ${seq.length})`);
        });
      },
    },
    {
      name: 'cached decoding equals recomputation from scratch',
      async run() {
        await withSequence(model, 1, async (seq) => {
          const history = [t(0), t(1), t(2)];
          let cached = await forward(seq, [history]);
          for (let step = 0; step < 4; step++) {
            closeTo(cached, await recompute(model, [history]), tolerance, `after ${history.length} tokens`);
            history.push(t(3 + step));
            cached = await forward(seq, [[history.at(-1)!]]);
          }
        });
      },
    },
    {
      name: 'rows of a batch are independent',
      async run() {
        const histories = [
          [t(0), t(1), t(2)],
          [t(3), t(4), t(5)],
        ];
        await withSequence(model, 2, async (seq) => {
          const batched = await forward(seq, histories);
          for (let r = 0; r < 2; r++) {
            closeTo(batched.subarray(r * vocab, (r + 1) * vocab), await recompute(model, [histories[r]!]), tolerance, `row ${r}`);
          }
        });
      },
    },
    {
      name: 'selectRows re-forms the batch from the chosen rows (broadcast and permutation)',
      async run() {
        await withSequence(model, 2, async (seq) => {
          await forward(seq, [
            [t(0), t(1)],
            [t(2), t(3)],
          ]);
          await seq.selectRows(Int32Array.of(1, 1, 0));
          expect(seq.rows === 3, `rows follow the selection (got ${seq.rows})`);
          const next = await forward(seq, [[t(4)], [t(5)], [t(6)]]);
          const expected = await recompute(model, [
            [t(2), t(3), t(4)],
            [t(2), t(3), t(5)],
            [t(0), t(1), t(6)],
          ]);
          closeTo(next, expected, tolerance, 'after selectRows([1, 1, 0])');
        });
      },
    },
    {
      name: 'truncate rolls every row back to exactly the kept prefix',
      async run() {
        await withSequence(model, 2, async (seq) => {
          await forward(seq, [
            [t(0), t(1), t(2)],
            [t(3), t(4), t(5)],
          ]);
          await forward(seq, [[t(6)], [t(7)]]); // lookahead positions, then dropped
          await forward(seq, [[t(8)], [t(9)]]);
          await seq.truncate(2);
          expect(seq.length === 2, `length is the kept prefix (got ${seq.length})`);
          await seq.selectRows(Int32Array.of(1, 0));
          const next = await forward(seq, [[t(10)], [t(11)]]);
          const expected = await recompute(model, [
            [t(3), t(4), t(10)],
            [t(0), t(1), t(11)],
          ]);
          closeTo(next, expected, tolerance, 'after truncate(2) and selectRows([1, 0])');
        });
      },
    },
    {
      name: 'the embeddings path equals the token path (models that take embeddings)',
      async run() {
        if (model.embedTokens === undefined) return;
        const ids = Int32Array.of(t(0), t(1), t(2));
        const embeddings = await model.embedTokens(ids);
        expect(embeddings.length === ids.length * model.info.embeddingSize!, 'embedTokens returns tokens × embeddingSize values');
        await withSequence(model, 1, async (seq) => {
          const byEmbeddings = await logitsToHost(await seq.forward({ kind: 'embeddings', embeddings, tokensPerRow: 3 }));
          closeTo(byEmbeddings, await recompute(model, [Array.from(ids)]), tolerance, 'embeddings vs tokens');
        });
      },
    },
    {
      name: 'mergeRows with all weight on one row equals selecting that row (models that merge)',
      async run() {
        await withSequence(model, 2, async (seq) => {
          if (seq.mergeRows === undefined) return;
          await forward(seq, [
            [t(0), t(1)],
            [t(2), t(3)],
          ]);
          await seq.mergeRows(Int32Array.of(1, 0), Float32Array.of(1, 0));
          const next = await forward(seq, [[t(4)], [t(5)]]);
          closeTo(next, await recompute(model, [[t(2), t(3), t(4)], [t(2), t(3), t(5)]]), tolerance, 'after mergeRows');
        });
      },
    },
    {
      name: 'a disposed sequence refuses work, dispose is idempotent, and nothing stays live',
      async run() {
        const before = await model.resources?.();
        const seq = await model.startSequence({ rows: 2 });
        await forward(seq, [[t(0)], [t(1)]]);
        await seq.dispose();
        await seq.dispose();
        const refused = await seq.forward(tokensInput([[t(2)], [t(3)]])).then(
          () => false,
          () => true,
        );
        expect(refused, 'forward on a disposed sequence rejects');
        await expectResources(model, before, 'after dispose');
      },
    },
    {
      name: 'ReasonFlow runs end to end, and an abort after the first token leaves nothing live',
      async run() {
        const before = await model.resources?.();
        const engine = new ReasonFlowEngine(model, { config: { numOfThinkers: 3, numOfThoughts: 3, pathAcceptance: true } });
        const prompt = [t(0), t(1), t(2)];
        const full = await engine.generate(prompt, { maxNewTokens: 6, eosTokenIds: [] });
        expect(full.tokenIds.length === 6 && full.stopReason === 'max-new-tokens', `6 tokens generated (got ${full.tokenIds.length}, ${full.stopReason})`);
        const controller = new AbortController();
        const aborted = await engine.generate(prompt, { maxNewTokens: 6, eosTokenIds: [], signal: controller.signal, onToken: () => controller.abort() });
        expect(aborted.stopReason === 'aborted' && aborted.tokenIds.length >= 1, `the abort ends the generation (got ${aborted.stopReason})`);
        expect(engine.backend.liveTensors === 0, `the engine holds no logits tensors (got ${engine.backend.liveTensors})`);
        await expectResources(model, before, 'after the generations');
      },
    },
  ];
  return checks;
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new ConformanceError(`Expected: ${what}.`);
}

function closeTo(actual: Float32Array, expected: Float32Array, tolerance: number, where: string): void {
  expect(actual.length === expected.length, `${where}: ${expected.length} logits (got ${actual.length})`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst <= tolerance, `${where}: cached logits within ${tolerance} of recomputed ones (largest difference ${worst})`);
}

async function expectResources(model: DecoderModel, before: ModelResources | undefined, where: string): Promise<void> {
  if (before === undefined || model.resources === undefined) return;
  const after = await model.resources();
  expect(
    after.sequences === before.sequences && after.tensors === before.tensors && after.sessions === before.sessions,
    `${where}: resources back to ${JSON.stringify(before)} (got ${JSON.stringify(after)})`,
  );
}

function tokensInput(rows: readonly (readonly number[])[]): StepInput {
  return { kind: 'tokens', tokens: Int32Array.from(rows.flat()), tokensPerRow: rows[0]!.length };
}

async function forward(seq: DecoderSequence, rows: readonly (readonly number[])[]): Promise<Float32Array> {
  return logitsToHost(await seq.forward(tokensInput(rows)));
}

async function withSequence<T>(model: DecoderModel, rows: number, work: (seq: DecoderSequence) => Promise<T>): Promise<T> {
  const seq = await model.startSequence({ rows });
  try {
    return await work(seq);
  } finally {
    await seq.dispose();
  }
}

/** Last-position logits of each history, fed at once to a fresh sequence (no cache reuse). */
async function recompute(model: DecoderModel, histories: readonly (readonly number[])[]): Promise<Float32Array> {
  return withSequence(model, histories.length, (seq) => forward(seq, histories));
}
