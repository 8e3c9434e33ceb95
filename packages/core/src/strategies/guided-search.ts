import { SeededRandom, mixSeeds } from '../random.js';
import type { Tensor } from '../tensor-backend.js';
import { meanOf } from './confidence.js';
import { softmaxWeights, systematicResample } from './resampling.js';
import { mostLikelyWith, stopOf } from './sampled-traces.js';
import { type SearchRun, samplingOf, TokenChooser, Trace } from './search-run.js';
import type { TraceContext } from './trace-context.js';
import { StepBoundary } from './step-boundary.js';
import type { GuidedSearchStrategy, SearchCandidate, SearchResult, StepScorer } from './types.js';
import { weightedVote } from './voting.js';

/** Resampling weights of the verifier-free scorer are sharper: mean log-probabilities differ by little. */
const VERIFIER_FREE_WEIGHT_TEMPERATURE = 0.2;
export const RESAMPLING_STREAM = 0x5e5a3b1;
export const DEFAULT_MAX_RETRIES = 4;

/** The built-in verifier-free step score: the step's mean token log-probability under the model. */
export const meanLogProbStepScorer: StepScorer = (step) => meanOf(step.stepLogProbs);

export interface Particle {
  trace: Trace;
  /** Index in trace.tokenIds where the current step starts. */
  stepStart: number;
  /** Lowest step score since the last resampling (the resampling log-weight). */
  sinceResample: number;
  /** A step completed since the last resampling. */
  completed: boolean;
  /** Lowest step score of the whole trace (the final vote's log-weight; +∞ before the first step). */
  lowest: number;
}

/** A particle's copy after resampling: its weight since the resampling starts afresh. */
export const copyParticle = (p: Particle): Particle => ({ trace: p.trace.copy(), stepStart: p.stepStart, sinceResample: 0, completed: false, lowest: p.lowest });

export const fresh = (trace: Trace): Particle => ({ trace, stepStart: 0, sinceResample: 0, completed: false, lowest: Number.POSITIVE_INFINITY });

/**
 * Guided search (particle filtering, Puri et al. 2025): each row is a particle that samples a token
 * at a time. When a particle completes a step (the delimiter, EOS or length), the step scorer gives
 * it a log-weight; −∞ rejects it. A particle that completed its step keeps sampling (its tokens are
 * the start of its next step, drawn from the right distribution), so rows stay one length and the
 * KV cache of a row only ever holds its own particle's tokens. Once every live particle has completed
 * a step, all rows are resampled systematically from the live particles by softmax(score / τ): the
 * KV rows follow (selectRows) with the pending logits, rejected particles are replaced, and rows of
 * finished particles are refilled, so every row keeps working. Finished particles are kept; the
 * answer is the vote over them weighted by softmax(lowest step score / τ). When every particle of a
 * round is rejected (and none has finished), all rows roll back to the round's start (one truncate:
 * they started it at one length) and the round is sampled again, up to `maxRetries` times in a row;
 * rolled-back positions count in rowsComputed.
 */
export async function runGuidedSearch(run: SearchRun, strategy: GuidedSearchStrategy): Promise<SearchResult> {
  const { scorer, tau, boundary } = guidedSettings(strategy, run.options.decode);
  const chooser = new TokenChooser(run.batch.vocab, samplingOf(strategy), run.seed);
  const resampler = new SeededRandom(mixSeeds(run.seed, RESAMPLING_STREAM));
  const rows = run.rows;
  const finished: { trace: Trace; lowest: number }[] = [];
  let particles: (Particle | undefined)[] = Array.from({ length: rows }, () => fresh(new Trace()));
  let scored: { row: number; stepText: string; score: number }[] = [];
  let rounds = 0;
  let retries = 0;
  let retriesLeft = strategy.maxRetries ?? DEFAULT_MAX_RETRIES;
  // The state the current round started from: every row at one length, and the tokens to feed next.
  let snapshot: { length: number; particles: Particle[]; feed: Int32Array } = {
    length: run.promptIds.length - 1,
    particles: particles.map((p) => copyParticle(p!)),
    feed: new Int32Array(rows).fill(run.promptIds[run.promptIds.length - 1]!),
  };
  let stopReason: SearchResult['stopReason'] = 'eos';
  try {
    let logits: Tensor | undefined = await run.prefill();
    if (!logits) stopReason = 'aborted';
    while (logits) {
      const traces = particles.map((p) => p?.trace ?? DEAD);
      const tokens = run.choose(logits, traces, () => chooser);
      logits = undefined;
      await scoreCompletedSteps(run, particles, boundary, scorer, scored);
      collectFinished(particles, finished);
      const live = particles.filter((p): p is Particle => p !== undefined);
      if (run.aborted) {
        stopReason = 'aborted';
        break;
      }
      if (live.length === 0 && finished.length === 0 && retriesLeft > 0) {
        // Every particle was rejected: roll every row back to the round's start and sample the round again.
        retriesLeft--;
        retries++;
        await run.batch.truncate(snapshot.length);
        particles = snapshot.particles.map(copyParticle);
        scored = [];
        logits = await run.feed(snapshot.feed, rows);
        continue;
      }
      if (live.length === 0) {
        if (finished.length === 0) stopReason = 'rejected';
        break;
      }
      let feed = tokens;
      if (live.every((p) => p.completed)) {
        const sources = resampleRows(run, particles, tau, resampler.next(), rounds, scored, finished.length);
        scored = [];
        rounds++;
        particles = Array.from(sources, (source) => copyParticle(particles[source]!));
        if (!sources.every((source, r) => source === r)) await run.batch.selectRows(sources);
        feed = Int32Array.from(sources, (source) => tokens[source]!);
        snapshot = { length: run.batch.length, particles: particles.map((p) => copyParticle(p!)), feed };
        retriesLeft = strategy.maxRetries ?? DEFAULT_MAX_RETRIES;
      }
      logits = await run.feed(feed, particles.filter((p) => p?.trace.live).length);
    }
  } finally {
    await run.dispose();
  }
  const choice = guidedChoice(run, finished, tau);
  if (!choice) return run.finish([], null, [], stopReason, { rounds, retries });
  const { candidates, answer, chosen } = choice;
  return run.finish(chosen.tokenIds, answer, candidates, stopReason === 'aborted' ? 'aborted' : stopOf(chosen), { rounds, retries });
}

/** The scorer, the resampling temperature and the step boundary of a guided-search strategy. */
export function guidedSettings(strategy: GuidedSearchStrategy, decode: ((ids: readonly number[]) => string) | undefined) {
  return {
    scorer: strategy.scoreStep === 'verifier-free' ? meanLogProbStepScorer : strategy.scoreStep,
    tau: strategy.weightTemperature ?? (strategy.scoreStep === 'verifier-free' ? VERIFIER_FREE_WEIGHT_TEMPERATURE : 1),
    boundary: new StepBoundary(strategy.stepDelimiter, decode),
  };
}

/**
 * One systematic resampling of every row from the live particles by softmax(score since the last
 * resampling / τ), reported as a 'resample' event. @returns for each row, the row of the particle it continues
 */
export function resampleRows(
  run: TraceContext,
  particles: readonly (Particle | undefined)[],
  tau: number,
  u: number,
  round: number,
  scored: readonly { row: number; stepText: string; score: number }[],
  finished: number,
): Int32Array {
  const rows = particles.length;
  const liveRows = particles.flatMap((p, r) => (p ? [r] : []));
  const weights = softmaxWeights(liveRows.map((r) => particles[r]!.sinceResample), tau)!;
  const parents = systematicResample(weights, rows, u);
  const sources = Int32Array.from(parents, (i) => liveRows[i]!);
  const byRow = new Array<number>(rows).fill(0);
  liveRows.forEach((r, i) => {
    byRow[r] = weights[i]!;
  });
  run.options.onIteration?.({ kind: 'resample', round, weights: byRow, ancestors: Array.from(sources), scored, finished });
  return sources;
}

/** Moves every particle that stopped out of `particles` (its slot becomes empty); finished, not rejected, ones join `finished`. */
export function collectFinished(particles: (Particle | undefined)[], finished: { trace: Trace; lowest: number }[]): void {
  for (let r = 0; r < particles.length; r++) {
    const p = particles[r];
    if (!p || p.trace.live) continue;
    if (p.trace.finish !== 'rejected') finished.push({ trace: p.trace, lowest: Number.isFinite(p.lowest) ? p.lowest : 0 });
    particles[r] = undefined;
  }
}

/** The final vote over finished particles, weighted by softmax(lowest step score / τ); undefined when none finished. */
export function guidedChoice(run: TraceContext, finished: readonly { trace: Trace; lowest: number }[], tau: number) {
  if (finished.length === 0) return undefined;
  const weights = softmaxWeights(finished.map((f) => f.lowest), tau)!;
  const candidates: SearchCandidate[] = finished.map((f, i) => run.candidate(f.trace, weights[i]!, { lowestScore: f.lowest }));
  const { answer } = weightedVote(candidates);
  return { candidates, answer, chosen: mostLikelyWith(candidates, answer) };
}

/** A row without a particle: never chosen for. */
const DEAD = (() => {
  const t = new Trace();
  t.finish = 'rejected';
  return t;
})();

/** Scores every step that the newest token completed (in parallel; scorers may be async). */
export async function scoreCompletedSteps(
  run: TraceContext,
  particles: readonly (Particle | undefined)[],
  boundary: StepBoundary,
  scorer: StepScorer,
  scored: { row: number; stepText: string; score: number }[],
): Promise<void> {
  const work: Promise<void>[] = [];
  particles.forEach((p, row) => {
    if (!p) return;
    const { trace } = p;
    // Rows hold live particles and particles that ended with this token (removed right after).
    const ended = !trace.live;
    const stepIds = trace.tokenIds.slice(p.stepStart);
    if (stepIds.length === 0) return;
    const atDelimiter = boundary.endsStep(stepIds);
    if (!atDelimiter && !ended) return;
    const prefixIds = trace.tokenIds.slice(0, p.stepStart);
    const stepLogProbs = trace.logProbs.slice(p.stepStart);
    p.stepStart = trace.tokenIds.length;
    work.push(
      run
        .score(() =>
          scorer({
            prefixText: run.text(prefixIds) ?? '',
            stepText: run.text(stepIds) ?? '',
            prefixIds,
            stepIds,
            stepLogProbs,
            particle: row,
            final: !atDelimiter,
          }),
        )
        .then((score) => {
          const s = Number.isNaN(score) ? Number.NEGATIVE_INFINITY : score;
          p.sinceResample = p.completed ? Math.min(p.sinceResample, s) : s;
          p.completed = true;
          p.lowest = Math.min(p.lowest, s);
          if (s === Number.NEGATIVE_INFINITY) trace.finish = 'rejected';
          scored.push({ row, stepText: run.text(stepIds) ?? '', score: s });
        }),
    );
  });
  await Promise.all(work);
}
