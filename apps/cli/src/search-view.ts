/** The stderr view of the multi-path strategies: one line per resampling round, DeepConf wave, and candidate. */
import type { SearchIteration, SearchOutput } from 'reasonflow';

const score = (v: number) => (v === Number.NEGATIVE_INFINITY ? '-inf' : Number.isFinite(v) ? v.toFixed(2) : String(v));
const short = (text: string, max = 24) => {
  const flat = JSON.stringify(text);
  return flat.length > max ? `${flat.slice(0, max - 2)}…"` : flat;
};

/** A line for a search event, or undefined for per-token steps (too many to print). */
export function searchEventLine(event: SearchIteration): string | undefined {
  switch (event.kind) {
    case 'resample': {
      const live = event.weights.filter((w) => w > 0).length;
      const scores = event.scored.map((s) => `${s.row}:${short(s.stepText)}=${score(s.score)}`).join(' ');
      return (
        `round ${event.round} · ${live}/${event.weights.length} live particles · ${event.finished} finished · ` +
        `resampled [${event.ancestors.join(',')}] · scores ${scores || '–'}`
      );
    }
    case 'wave': {
      const traces = event.traces
        .map((t) => `${t.row}:${t.finish}${t.answer === null ? '' : ` #${t.answer}`} conf ${score(t.lowestConfidence)}`)
        .join(' | ');
      const threshold = event.threshold === undefined ? 'warm-up' : `threshold ${score(event.threshold)}`;
      return `wave ${event.wave} · ${threshold} · ${traces}`;
    }
    default:
      return undefined;
  }
}

/** One line per candidate trace the strategy weighed; the chosen one marked ★. */
export function candidateLines(result: SearchOutput): string[] {
  return result.candidates.map((c, i) => {
    const chosen = c.tokenIds.length === result.tokenIds.length && c.tokenIds.every((t, j) => t === result.tokenIds[j]);
    const answer = c.answer === null ? '' : ` answer ${c.answer} ·`;
    return `${chosen ? '★' : ' '} trace ${i} ·${answer} weight ${score(c.weight)} · ${c.finish} · ${short(c.text, 60)}`;
  });
}
