import type { Tensor } from '../tensor-backend.js';
import { meanOf, percentile } from './confidence.js';
import { mostLikelyWith } from './sampled-traces.js';
import { type SearchRun, samplingOf, TokenChooser, Trace } from './search-run.js';
import type { TraceContext } from './trace-context.js';
import { StepBoundary } from './step-boundary.js';
import type { DeepConfStrategy, SearchCandidate, SearchResult } from './types.js';
import { weightedVote } from './voting.js';

export const DEFAULT_CONFIDENCE_TOP_K = 20;
const DEFAULT_WINDOW_TOKENS = 16;
const DEFAULT_KEEP_PERCENT = 90;
const DEFAULT_CONSENSUS = 0.95;

/** A trace's windows: each completed step (or sliding window) gives a mean token confidence. */
export class WindowedTrace {
  readonly trace = new Trace();
  /** Lowest window confidence so far (+∞ before the first window). */
  lowest = Number.POSITIVE_INFINITY;
  private stepStart = 0;

  constructor(
    private readonly boundary: StepBoundary | undefined,
    private readonly windowTokens: number,
  ) {}

  /** Updates the lowest window after the newest token; returns the window just closed, if any. */
  update(): number | undefined {
    const { tokenIds, confidences } = this.trace;
    const n = tokenIds.length;
    let window: number | undefined;
    if (this.boundary) {
      if (n > this.stepStart && (this.boundary.endsStep(tokenIds.slice(this.stepStart)) || !this.trace.live)) {
        window = meanOf(confidences, this.stepStart, n);
        this.stepStart = n;
      }
    } else if (n >= this.windowTokens) {
      window = meanOf(confidences, n - this.windowTokens, n);
    } else if (!this.trace.live) {
      window = meanOf(confidences); // a trace shorter than one window: the whole trace
    }
    if (window !== undefined) this.lowest = Math.min(this.lowest, window);
    return window;
  }
}

/**
 * Confidence-weighted voting with early termination (DeepConf online, Fu et al. 2025). Token
 * confidence = −mean of the top-k log-probabilities; a window is one step (or a sliding window of
 * tokens). Warm-up traces run to completion and set the threshold at the (100 − keepPercent)-th
 * percentile of their lowest-window confidence; afterwards a trace whose window falls below the
 * threshold stops. Answers are voted with their trace's lowest-window confidence as weight.
 *
 * Compute: the sequence keeps all rows at one length, so traces run in waves of `rows`: a wave starts
 * from the prompt's cache (rolled back, not recomputed) and ends when each of its traces finished or
 * stopped; a stopped trace's row idles until then (counted in rowsComputed, not activeRowPositions) and
 * the next wave gives it a fresh trace. Waves start while the budget (rowsComputed) allows; the last is
 * cut when the budget runs out (its unfinished traces do not vote).
 */
export async function runDeepConf(run: SearchRun, strategy: DeepConfStrategy): Promise<SearchResult> {
  const { batch, rows } = run;
  const vocab = batch.vocab;
  const k = Math.min(strategy.confidenceTopK ?? DEFAULT_CONFIDENCE_TOP_K, vocab);
  const { boundary, windowTokens, budget } = deepConfSettings(strategy, run, rows, run.promptIds.length, run.maxNewTokens);
  const chooser = new TokenChooser(vocab, samplingOf(strategy), run.seed);
  const done: { trace: Trace; lowest: number; warmup: boolean }[] = [];
  let threshold: number | undefined;
  let stopped = 0;
  let waves = 0;
  let stopReason: SearchResult['stopReason'] | undefined;
  try {
    const promptLogits = await run.prefill();
    if (!promptLogits) stopReason = 'aborted';
    const base = promptLogits && batch.adopt(batch.backend.clone(promptLogits));
    let first: Tensor | undefined = promptLogits;
    while (stopReason === undefined) {
      if (batch.stats.rowsComputed + rows > budget) {
        stopReason = 'budget';
        break;
      }
      const warmup = threshold === undefined;
      if (waves > 0) await batch.truncate(run.promptIds.length);
      let logits: Tensor | undefined = first ?? batch.adopt(batch.backend.clone(base!));
      first = undefined;
      const traces = Array.from({ length: rows }, () => new WindowedTrace(boundary, windowTokens));
      while (logits) {
        const choosing = traces.filter((t) => t.trace.live);
        const tokens = run.choose(logits, traces.map((t) => t.trace), () => chooser, k);
        logits = undefined;
        for (const t of choosing) {
          const window = t.update();
          if (window !== undefined && threshold !== undefined && window < threshold && t.trace.live) {
            t.trace.finish = 'low-confidence';
            stopped++;
          }
        }
        const live = traces.filter((t) => t.trace.live).length;
        if (live === 0) break;
        if (run.aborted) {
          stopReason = 'aborted';
          break;
        }
        if (batch.stats.rowsComputed + rows > budget) {
          for (const t of traces) if (t.trace.live) t.trace.finish = 'budget';
          stopReason = 'budget';
          break;
        }
        logits = await run.feed(tokens, live);
      }
      waves++;
      const ended = endWave(run, strategy, rows, done, traces, warmup, threshold, waves - 1, stopReason);
      threshold = ended.threshold;
      stopReason = ended.stopReason;
    }
  } finally {
    await run.dispose();
  }
  return run.finish(...deepConfChoice(run, done, threshold, stopReason), {
    rounds: waves,
    tracesStopped: stopped,
    ...(threshold !== undefined ? { threshold } : {}),
  });
}

/** A DeepConf strategy's window, budget and boundary (the budget's default: rows × (prompt + 2 × maxNewTokens)). */
export function deepConfSettings(strategy: DeepConfStrategy, run: TraceContext, rows: number, promptLength: number, maxNewTokens: number) {
  return {
    boundary: strategy.stepDelimiter !== undefined ? new StepBoundary(strategy.stepDelimiter, run.options.decode) : undefined,
    windowTokens: strategy.windowTokens ?? DEFAULT_WINDOW_TOKENS,
    budget: strategy.budget ?? rows * (promptLength + 2 * maxNewTokens),
  };
}

/**
 * The end of a wave: its traces join `done`, the warm-up sets the threshold, the wave is reported,
 * and (after the warm-up) a consensus ends the run.
 */
export function endWave(
  run: TraceContext,
  strategy: DeepConfStrategy,
  rows: number,
  done: { trace: Trace; lowest: number; warmup: boolean }[],
  traces: readonly WindowedTrace[],
  warmup: boolean,
  threshold: number | undefined,
  wave: number,
  stopReason: SearchResult['stopReason'] | undefined,
): { threshold: number | undefined; stopReason: SearchResult['stopReason'] | undefined } {
  const warmupTraces = strategy.warmupTraces ?? rows;
  const keepPercent = strategy.keepPercent ?? DEFAULT_KEEP_PERCENT;
  const consensus = strategy.consensus ?? DEFAULT_CONSENSUS;
  for (const t of traces) if (t.trace.tokenIds.length > 0) done.push({ trace: t.trace, lowest: t.lowest, warmup });
  if (warmup && stopReason === undefined) {
    const lowest = done.filter((d) => d.warmup && completed(d.trace)).map((d) => d.lowest);
    if (done.filter((d) => d.warmup).length >= warmupTraces && lowest.length > 0) threshold = percentile(lowest, 100 - keepPercent);
  }
  run.options.onIteration?.({
    kind: 'wave',
    wave,
    warmup,
    threshold: warmup ? undefined : threshold,
    traces: traces.map((t, row) => ({ row, lowestConfidence: t.lowest, finish: t.trace.finish ?? 'aborted', answer: run.answerOf(t.trace.tokenIds) })),
  });
  if (stopReason === undefined && threshold !== undefined && consensus < 1) {
    const { share, answer } = weightedVote(votes(run, done, threshold));
    if (answer !== null && share >= consensus) stopReason = 'consensus';
  }
  return { threshold, stopReason };
}

/** The confidence-weighted vote over every trace: the answer, its most likely voting trace, the candidates and the stop reason. */
export function deepConfChoice(
  run: TraceContext,
  done: readonly { trace: Trace; lowest: number }[],
  threshold: number | undefined,
  stopReason: SearchResult['stopReason'] | undefined,
): [readonly number[], string | null, SearchCandidate[], SearchResult['stopReason']] {
  const weights = votes(run, done, threshold);
  const candidates: SearchCandidate[] = done.map((d, i) => run.candidate(d.trace, weights[i]!.weight, { lowestScore: d.lowest }));
  const { answer } = weightedVote(candidates);
  const pool = candidates.filter((c) => c.weight > 0);
  const chosen = pool.length > 0 ? mostLikelyWith(pool, answer) : undefined;
  return [chosen?.tokenIds ?? [], answer, candidates, stopReason ?? 'budget'];
}

/** A trace that ended by itself (EOS or length), not stopped, cut or aborted. */
function completed(trace: Trace): boolean {
  return trace.finish === 'eos' || trace.finish === 'max-new-tokens' || trace.finish === 'max-length';
}

/** Vote weights: a completed trace's lowest-window confidence, 0 below the threshold or when it did not complete. */
function votes(run: TraceContext, done: readonly { trace: Trace; lowest: number }[], threshold: number | undefined) {
  return done.map((d) => ({
    answer: run.answerOf(d.trace.tokenIds),
    weight: completed(d.trace) && (threshold === undefined || d.lowest >= threshold) && Number.isFinite(d.lowest) ? d.lowest : 0,
  }));
}
