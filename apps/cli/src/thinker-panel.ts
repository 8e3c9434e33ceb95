import type { IterationReport } from 'reasonflow';

/** What the live view shows at one moment of a run. */
export interface LiveViewState {
  /** The latest iteration; undefined before the first one. */
  readonly report: IterationReport | undefined;
  /** Show the thinker rows (off for greedy and sample: one thinker, nothing searched). */
  readonly showThinkers: boolean;
  /** The text committed so far: exactly what stdout gets. */
  readonly committedText: string;
  readonly tokens: number;
  readonly iterations: number;
  readonly elapsedMs: number;
  readonly maxNewTokens: number;
}

export interface PanelStyle {
  /** Terminal columns: every line is cut to fit, so a line never wraps and the redraw stays exact. */
  readonly width: number;
  /** Thinker rows shown at most (the panel must fit on the screen to be redrawn in place). */
  readonly maxThinkerRows: number;
  /** Dim repeated paths with ANSI SGR codes. */
  readonly color: boolean;
  /** Token ids to text, special tokens kept. */
  readonly decode: (ids: readonly number[]) => string;
  readonly eosTokenIds: ReadonlySet<number>;
}

export const EOS_MARK = '⏎EOS';
export const WINNER_MARK = '★';
export const FUSED_MARK = '+';
const NEWLINE_MARK = '↵';
const BAR_WIDTH = 20;
const ANSWER_LINES = 3;

/** The legend printed by --help; it names the same marks the panel draws. */
export const LIVE_VIEW_LEGEND = `Live view (stderr; redrawn in place on a terminal, one frame per iteration with --show-thinkers
elsewhere). One row per thinker of the current iteration:
  ${WINNER_MARK}          the winner (highest score): the kept cache follows it; with -k 1 its
             distribution alone picks the next token
  ${FUSED_MARK}          another of the K selected thinkers, fused with the winner (-k > 1)
  score      (1-w)*quality + w*diversity, w = --diversity-weight; the K best are selected
  quality    the path's raw score rescaled over this iteration's thinkers: 1 best, 0 worst. It is
             relative: thinkers on the same path still differ, as each one's first step is perturbed
  diversity  1 - mean cosine similarity of the thinker's next-token distribution to the others'
  raw        the path's log-likelihood, the sum of its tokens' log-probabilities (with
             --path-scoring original: the original's cross-entropy formula)
  path       the thinker's lookahead as text; ${NEWLINE_MARK} a newline, ${EOS_MARK} the end-of-sequence token.
             "×3 same path": three thinkers took this path; the repeats show "= #r" (dimmed
             unless selected).
Below the rows: the answer so far (what stdout gets) and the progress: a bar against
--max-new-tokens, tokens, iterations and tokens/s.
`;

/** Text as one visible line: newlines become ${NEWLINE_MARK}, other control characters (ESC too) '·'. */
export function visibleText(text: string): string {
  return text
    .replace(/\r?\n/g, NEWLINE_MARK)
    .replace(/\t/g, ' ')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '·');
}

/** A lookahead path as text: quoted up to the first EOS, then ${EOS_MARK} (the lookahead past it is moot). */
export function pathText(ids: readonly number[], style: Pick<PanelStyle, 'decode' | 'eosTokenIds'>): string {
  const eosAt = ids.findIndex((id) => style.eosTokenIds.has(id));
  const textIds = eosAt < 0 ? ids : ids.slice(0, eosAt);
  const text = textIds.length > 0 ? `"${visibleText(style.decode(textIds))}"` : '';
  return eosAt < 0 ? text : text ? `${text} ${EOS_MARK}` : EOS_MARK;
}

/** Cuts a line to `width - 1` code points (the last column would make some terminals wrap). */
export function fitLine(line: string, width: number): string {
  const points = Array.from(line);
  const room = Math.max(width - 1, 8);
  return points.length <= room ? line : `${points.slice(0, room - 1).join('')}…`;
}

const dim = (text: string, color: boolean) => (color ? `\u001b[2m${text}\u001b[22m` : text);
const num = (x: number, width: number) => (Number.isFinite(x) ? x.toFixed(2) : String(x)).padStart(width);
/** Raw scores are often tiny log-probabilities: -0.00012 must not print as -0.00. */
const raw = (x: number, width: number) =>
  (x === 0 || !Number.isFinite(x) || Math.abs(x) >= 0.01 ? num(x, 0) : x.toExponential(1)).padStart(width);

function thinkerLines(report: IterationReport, style: PanelStyle): string[] {
  const paths = report.thinkers.map((t) => t.pathTokens.join(','));
  const firstWithPath = new Map<string, number>();
  const count = new Map<string, number>();
  report.thinkers.forEach((t, i) => {
    if (!firstWithPath.has(paths[i]!)) firstWithPath.set(paths[i]!, t.row);
    count.set(paths[i]!, (count.get(paths[i]!) ?? 0) + 1);
  });
  const committed = pathText(report.committed, style) || '""';
  const distinct = firstWithPath.size;
  const lines = [
    `iteration ${report.iteration + 1} · ${report.thinkers.length} thinker${report.thinkers.length === 1 ? '' : 's'}, ` +
      `${distinct} distinct path${distinct === 1 ? '' : 's'} · committed ${committed}`,
    '  row  score quality diversity      raw  path',
  ];
  const shown = report.thinkers.slice(0, style.maxThinkerRows);
  shown.forEach((t, i) => {
    const mark = t.row === report.selected[0] ? WINNER_MARK : report.selected.includes(t.row) ? FUSED_MARK : ' ';
    const numbers = `${mark} ${`#${t.row}`.padStart(3)} ${num(t.combined, 6)} ${num(t.quality, 7)} ${num(t.diversity, 9)} ${raw(t.rawQuality, 8)}`;
    const first = firstWithPath.get(paths[i]!)!;
    if (first !== t.row) {
      const line = fitLine(`${numbers}  = #${first}`, style.width);
      lines.push(report.selected.includes(t.row) ? line : dim(line, style.color));
      return;
    }
    const repeats = count.get(paths[i]!)!;
    const path = pathText(t.pathTokens, style) || '""';
    lines.push(fitLine(`${numbers}  ${path}${repeats > 1 ? `  ×${repeats} same path` : ''}`, style.width));
  });
  if (report.thinkers.length > shown.length) lines.push(`  … ${report.thinkers.length - shown.length} more thinkers`);
  return lines;
}

function answerLines(text: string, width: number): string[] {
  const prefix = 'answer  ';
  const room = Math.max(width - 1 - prefix.length, 8);
  let points = Array.from(visibleText(text));
  if (points.length > room * ANSWER_LINES) points = ['…', ...points.slice(points.length - (room * ANSWER_LINES - 1))];
  const lines: string[] = [];
  for (let i = 0; i < Math.max(points.length, 1); i += room) {
    lines.push(`${i === 0 ? prefix : ' '.repeat(prefix.length)}${points.slice(i, i + room).join('')}`);
  }
  return lines;
}

function progressLine(state: LiveViewState, width: number): string {
  const filled = Math.min(BAR_WIDTH, Math.round((BAR_WIDTH * state.tokens) / state.maxNewTokens));
  const rate = state.elapsedMs > 0 ? ((state.tokens * 1000) / state.elapsedMs).toFixed(1) : '–';
  return fitLine(
    `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${state.tokens}/${state.maxNewTokens} tokens · ` +
      `${state.iterations} iteration${state.iterations === 1 ? '' : 's'} · ${rate} tokens/s`,
    width,
  );
}

/** The live view's lines for one moment: thinker rows (when shown), the answer so far, the progress. */
export function renderLiveView(state: LiveViewState, style: PanelStyle): string[] {
  return [
    ...(state.showThinkers && state.report ? thinkerLines(state.report, style) : []),
    ...answerLines(state.committedText, style.width),
    progressLine(state, style.width),
  ];
}
