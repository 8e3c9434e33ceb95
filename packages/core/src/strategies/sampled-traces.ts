import { ConfigError } from '../errors.js';
import { type SearchRun, samplingOf, TokenChooser, Trace } from './search-run.js';
import type { TraceContext } from './trace-context.js';
import type { StopReason } from '../stop-conditions.js';
import type { BestOfNStrategy, GreedyStrategy, SamplingStrategy, SearchCandidate, SearchResult, SelfConsistencyStrategy } from './types.js';
import { weightedVote } from './voting.js';

/**
 * Runs one trace per row from the prompt until every trace ends (EOS or length) or the run is aborted.
 * Rows that ended idle until the last one ends (counted in rowsComputed, not in activeRowPositions).
 * With `stream`, the first row's tokens go to onToken as they are chosen.
 */
export async function runTraces(run: SearchRun, chooser: TokenChooser, stream = false): Promise<{ traces: Trace[]; aborted: boolean }> {
  const traces = Array.from({ length: run.rows }, () => new Trace());
  let logits = await run.prefill();
  if (!logits) return { traces, aborted: true };
  for (;;) {
    const tokens = run.choose(logits, traces, () => chooser);
    if (stream) {
      const t = traces[0]!;
      run.options.onToken?.({ tokenId: t.tokenIds[t.tokenIds.length - 1]!, index: t.tokenIds.length - 1 });
    }
    const live = traces.filter((t) => t.live).length;
    if (live === 0) return { traces, aborted: false };
    if (run.aborted) {
      for (const t of traces) if (t.live) t.finish = 'aborted';
      return { traces, aborted: true };
    }
    logits = await run.feed(tokens, live);
  }
}

/** Greedy (argmax) or plain sampled decoding of one trace, streamed token by token. */
export async function runSingle(run: SearchRun, strategy: GreedyStrategy | SamplingStrategy): Promise<SearchResult> {
  try {
    const sampling = strategy.kind === 'sampling' ? samplingOf(strategy) : undefined;
    const { traces, aborted } = await runTraces(run, new TokenChooser(run.batch.vocab, sampling, run.seed), true);
    const trace = traces[0]!;
    const candidate = run.candidate(trace, 1);
    return await run.finish(trace.tokenIds, candidate.answer, [candidate], aborted ? 'aborted' : (trace.finish as SearchResult['stopReason']), {}, true);
  } finally {
    await run.dispose();
  }
}

/** N samples in one batch; the best by mean log-probability, or by the caller's scorer. */
export async function runBestOfN(run: SearchRun, strategy: BestOfNStrategy): Promise<SearchResult> {
  try {
    const { traces, aborted } = await runTraces(run, new TokenChooser(run.batch.vocab, samplingOf(strategy), run.seed));
    const { candidates, chosen } = await chooseBestOfN(run, traces, strategy);
    return await run.finish(chosen.tokenIds, chosen.answer, candidates, aborted ? 'aborted' : stopOf(chosen));
  } finally {
    await run.dispose();
  }
}

/** N samples in one batch; the majority answer (extractAnswer), returned with its most likely trace. */
export async function runSelfConsistency(run: SearchRun, strategy: SelfConsistencyStrategy): Promise<SearchResult> {
  requireAnswers(run);
  try {
    const { traces, aborted } = await runTraces(run, new TokenChooser(run.batch.vocab, samplingOf(strategy), run.seed));
    const { candidates, answer, chosen } = voteSelfConsistency(run, traces);
    return await run.finish(chosen.tokenIds, answer, candidates, aborted ? 'aborted' : stopOf(chosen));
  } finally {
    await run.dispose();
  }
}

/** Best-of-N's choice: every trace scored (mean log-probability or the caller's scorer), the best first among ties. */
export async function chooseBestOfN(
  run: TraceContext,
  traces: readonly Trace[],
  strategy: BestOfNStrategy,
): Promise<{ candidates: SearchCandidate[]; chosen: SearchCandidate }> {
  const candidates: SearchCandidate[] = [];
  for (const trace of traces) {
    const text = run.text(trace.tokenIds) ?? '';
    const score = strategy.scorer
      ? await run.score(() => strategy.scorer!({ tokenIds: trace.tokenIds, text, logProbs: trace.logProbs }))
      : trace.meanLogProb;
    candidates.push(run.candidate(trace, score));
  }
  return { candidates, chosen: candidates[bestIndex(candidates.map((c) => c.weight))]! };
}

/** Self-consistency's choice: one vote per trace, the majority answer with its most likely trace. */
export function voteSelfConsistency(
  run: TraceContext,
  traces: readonly Trace[],
): { candidates: SearchCandidate[]; answer: string | null; chosen: SearchCandidate } {
  const candidates = traces.map((t) => run.candidate(t, 1));
  const { answer } = weightedVote(candidates);
  return { candidates, answer, chosen: mostLikelyWith(candidates, answer) };
}

/** Voting strategies need answers: extractAnswer and the decode it reads. */
export function requireAnswers(run: TraceContext): void {
  if (!run.options.extractAnswer) throw new ConfigError('extractAnswer', undefined, `a function (text) => answer | null for the ${run.kind} strategy`);
  if (!run.options.decode) throw new ConfigError('decode', undefined, `a decode function for the ${run.kind} strategy (extractAnswer reads text)`);
}

/** The candidate with `answer` (any when null) of the highest weight, then mean log-probability. */
export function mostLikelyWith(candidates: readonly SearchCandidate[], answer: string | null): SearchCandidate {
  const pool = candidates.filter((c) => answer === null || c.answer === answer);
  const likelihood = (c: SearchCandidate) => (Number.isNaN(c.meanLogProb) ? Number.NEGATIVE_INFINITY : c.meanLogProb);
  let best = (pool.length > 0 ? pool : candidates)[0]!;
  for (const c of pool.length > 0 ? pool : candidates) {
    if (c.weight > best.weight || (c.weight === best.weight && likelihood(c) > likelihood(best))) best = c;
  }
  return best;
}

/** Index of the largest value (NaN counts as −∞; the first among ties). */
export function bestIndex(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    const v = Number.isNaN(values[i]!) ? Number.NEGATIVE_INFINITY : values[i]!;
    const b = Number.isNaN(values[best]!) ? Number.NEGATIVE_INFINITY : values[best]!;
    if (v > b) best = i;
  }
  return best;
}

export function stopOf(candidate: SearchCandidate): SearchResult['stopReason'] {
  const f = candidate.finish;
  return f === 'low-confidence' ? 'rejected' : f;
}

/** A ReasonFlow run's one trace as a search result's text, answer and single candidate (local and over paths alike). */
export function singleTraceOutcome(
  tokenIds: readonly number[],
  stopReason: StopReason,
  decode: ((ids: readonly number[]) => string) | undefined,
  extractAnswer: ((text: string) => string | null) | undefined,
): Pick<SearchResult, 'tokenIds' | 'text' | 'answer' | 'candidates' | 'stopReason'> {
  const text = decode ? (tokenIds.length === 0 ? '' : decode(tokenIds)) : undefined;
  const answer = text !== undefined && extractAnswer ? extractAnswer(text) : null;
  return {
    tokenIds,
    ...(text !== undefined ? { text } : {}),
    answer,
    candidates: [{ tokenIds, ...(text !== undefined ? { text } : {}), answer, weight: 1, meanLogProb: Number.NaN, finish: stopReason }],
    stopReason,
  };
}
