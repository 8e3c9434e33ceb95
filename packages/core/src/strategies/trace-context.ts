import { meanOf } from './confidence.js';
import type { CandidateFinish, SearchCandidate, SearchOptions, StrategyKind } from './types.js';

/** One row's trace: the tokens it took, the model's log-probability of each, and (when asked) each token's confidence. */
export class Trace {
  readonly tokenIds: number[] = [];
  readonly logProbs: number[] = [];
  readonly confidences: number[] = [];
  finish: CandidateFinish | undefined;

  get live(): boolean {
    return this.finish === undefined;
  }

  copy(): Trace {
    const t = new Trace();
    t.tokenIds.push(...this.tokenIds);
    t.logProbs.push(...this.logProbs);
    t.confidences.push(...this.confidences);
    t.finish = this.finish;
    return t;
  }

  get meanLogProb(): number {
    return meanOf(this.logProbs);
  }
}

/**
 * What the strategies' choosing, scoring and voting code needs from a run, whatever computes the
 * traces: the options, text and answers of token ids, candidates, and a counted scorer call. The
 * local `SearchRun` (a RowBatch) and `PathStrategyRun` (a PathSource) both extend it, so best-of-N,
 * self-consistency, guided search and DeepConf share one implementation of their decisions.
 */
export class TraceContext {
  protected scorerCount = 0;
  protected scorerTime = 0;

  constructor(
    readonly kind: StrategyKind,
    readonly options: SearchOptions,
  ) {}

  /** Calls a user scorer, counting its calls and time apart from the model's. */
  async score<T>(work: () => T | Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.scorerCount++;
      this.scorerTime += performance.now() - start;
    }
  }

  text(ids: readonly number[]): string | undefined {
    return this.options.decode ? (ids.length === 0 ? '' : this.options.decode(ids)) : undefined;
  }

  answerOf(ids: readonly number[]): string | null {
    const text = this.text(ids);
    return text !== undefined && this.options.extractAnswer ? this.options.extractAnswer(text) : null;
  }

  candidate(trace: Trace, weight: number, extra: { lowestScore?: number } = {}): SearchCandidate {
    const text = this.text(trace.tokenIds);
    return {
      tokenIds: [...trace.tokenIds],
      ...(text !== undefined ? { text } : {}),
      answer: this.answerOf(trace.tokenIds),
      weight,
      meanLogProb: trace.meanLogProb,
      finish: trace.finish ?? 'aborted',
      ...extra,
    };
  }
}
