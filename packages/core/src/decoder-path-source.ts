import { ConfigError } from './errors.js';
import type { DecoderModel } from './model.js';
import type { PathExtendOptions, PathRowRequest, PathRowResult, PathSource, TopLogProbs } from './path-source.js';
import { SeededRandom } from './random.js';
import { ReferenceBackend } from './reference-backend.js';
import { RowBatch } from './row-batch.js';
import { sampleFromScores } from './sampling.js';
import type { TensorBackend } from './tensor-backend.js';

/**
 * The local implementation of the PathSource seam, over a DecoderModel: the reference that remote
 * sources are compared with, and the model behind the test suites' fake inference servers. Each call
 * prefills the prefix again (a local generation should use `ReasonFlowEngine`, which keeps its KV cache).
 */
export class DecoderPathSource implements PathSource {
  readonly name: string;
  readonly maxTopLogProbs: number;

  constructor(
    readonly model: DecoderModel,
    private readonly backend: TensorBackend = new ReferenceBackend(),
    options: { name?: string; maxTopLogProbs?: number } = {},
  ) {
    this.name = options.name ?? 'local';
    this.maxTopLogProbs = options.maxTopLogProbs ?? model.info.vocabSize;
  }

  get vocabSize(): number {
    return this.model.info.vocabSize;
  }

  get maxSequenceLength(): number {
    return this.model.info.maxSequenceLength;
  }

  get eosTokenIds(): readonly number[] {
    return this.model.info.eosTokenIds;
  }

  async extend(prefix: readonly number[], rows: readonly PathRowRequest[], options: PathExtendOptions): Promise<PathRowResult[]> {
    const k = options.topLogProbs;
    if (!Number.isInteger(k) || k < 1 || k > this.maxTopLogProbs) {
      throw new ConfigError('topLogProbs', k, `an integer in [1, ${this.maxTopLogProbs}]`);
    }
    // Each row runs alone: rows may force different numbers of tokens and sample with their own seed.
    const results: PathRowResult[] = [];
    for (const row of rows) results.push(await this.extendRow(prefix, row, Math.min(k, this.vocabSize), options.signal));
    return results;
  }

  private async extendRow(prefix: readonly number[], row: PathRowRequest, k: number, signal: AbortSignal | undefined): Promise<PathRowResult> {
    const batch = new RowBatch(this.model, this.backend, 1, undefined, signal);
    const random = new SeededRandom(row.seed ?? 0);
    const tokens: number[] = [];
    const logProbs: number[] = [];
    const top: TopLogProbs[] = [];
    try {
      await batch.start();
      const input = [...prefix, ...row.forced];
      const steps = Math.max(0, Math.min(row.steps, this.maxSequenceLength - input.length + 1));
      let logits = await batch.forwardShared(input);
      for (let step = 0; step < steps; step++) {
        signal?.throwIfAborted();
        this.backend.logSoftmax(logits);
        const best = this.backend.topK(logits, k);
        const values = this.backend.toHost(logits);
        const token = row.temperature > 0 ? sampleFromScores(values.map((v) => v / row.temperature), random.next()) : best.indices[0]!;
        tokens.push(token);
        logProbs.push(values[token]!);
        top.push({ ids: Array.from(best.indices), logProbs: Array.from(best.values) });
        batch.release(logits);
        if (step + 1 < steps) logits = await batch.forwardTokens(Int32Array.of(token));
      }
    } finally {
      await batch.dispose();
    }
    return { tokens, logProbs, top };
  }
}
