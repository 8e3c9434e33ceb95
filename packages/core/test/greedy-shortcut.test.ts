import { describe, expect, it } from 'vitest';
import { type DecoderModel, type DecoderSequence, type IterationReport, ReasonFlowEngine, ReferenceBackend } from '../src/index.js';

/** A one-row model that hands out `script[i]` as the logits of its i-th forward call (cycling). */
function scriptedModel(script: readonly number[][]): DecoderModel {
  const vocabSize = script[0]!.length;
  return {
    info: { vocabSize, maxSequenceLength: 1000, eosTokenIds: [] },
    async startSequence({ rows }): Promise<DecoderSequence> {
      let length = 0;
      let call = 0;
      return {
        rows,
        get length() {
          return length;
        },
        async forward(input) {
          length += input.tokensPerRow;
          const row = script[call++ % script.length]!;
          return { location: 'cpu', dims: [rows, vocabSize], data: Float32Array.from({ length: rows * vocabSize }, (_, i) => row[i % vocabSize]!) };
        },
        async selectRows() {},
        async truncate(n) {
          length = n;
        },
        async dispose() {},
      };
    },
  };
}

async function run(script: readonly number[][], options: { topK?: number } = {}) {
  const engine = new ReasonFlowEngine(scriptedModel(script), { config: { numOfThinkers: 1 }, backend: new ReferenceBackend() });
  const reports: IterationReport[] = [];
  const result = await engine.generate([0], { maxNewTokens: script.length, onIteration: (r) => reports.push(r), ...options });
  return { tokens: result.tokenIds, logProbs: reports.map((r) => r.thinkers[0]!.pathLogProbs[0]!), uncertainty: reports.map((r) => r.uncertainty) };
}

describe('greedy shortcut (N = 1, no lookahead, no processors, no sampling)', () => {
  const script = [
    [2, 7.5, -1, 3, 7.25], // clear winner
    [0.001, 0.00100002, -5, -5, -5], // raw argmax 1, but log-softmax rounding ties it with 0: the full path commits 0
    [4, 1, 4, -2, 0], // exact tie: the lower index
    [-1e30, 0, 0.5, -Infinity, 0.25], // extreme values
    [10, 10.0001, 9, 3, 10.00009], // close, but wider than float32 rounding
  ];

  it('commits exactly the tokens of the full log-softmax, fusion and argmax path', async () => {
    // topK = vocabulary size changes no score but turns the processor chain on: the full path.
    const full = await run(script, { topK: 5 });
    const fast = await run(script);
    expect(full.tokens).toEqual([1, 0, 0, 2, 1]);
    expect(fast.tokens).toEqual(full.tokens);
    for (let i = 0; i < script.length; i++) {
      expect(fast.logProbs[i]).toBeCloseTo(full.logProbs[i]!, 6);
      expect(fast.uncertainty[i]).toBeCloseTo(full.uncertainty[i]!, 5);
    }
  });
});
