/**
 * The page's picture of the multi-path strategies (best-of-N, self-consistency, guided search,
 * DeepConf): one block per guided-search resampling round (each particle's step, score and weight,
 * which particles survived, which rows were refilled from which ancestor, as arrows and a small
 * lineage chart), one block per DeepConf wave (traces, confidence, threshold, stopped-early marks), a
 * live step counter, and at the end the candidates with their answers, weights and votes, the chosen
 * one marked. Plain DOM, newest block on top as in the ReasonFlow view.
 */
import type { SearchIteration, SearchOutput } from 'reasonflow';

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#3a5bd9', '#d97706', '#1f9d55', '#c53030', '#805ad5', '#0987a0', '#b83280', '#718096'];

/** A score as people read it: -∞ for a rejected step, 2 decimals otherwise. */
export const formatScore = (v: number | null | undefined): string =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : v === Number.NEGATIVE_INFINITY ? '-∞' : v === Number.POSITIVE_INFINITY ? '∞' : v.toFixed(2);

const visible = (text: string) => text.replace(/ /g, '␣').replace(/\n/g, '⏎') || '∅';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** What the view drew, for `window.reasonflowDemo`. */
export interface SearchViewCounts {
  /** Guided search: resampling rounds drawn. */
  readonly roundsShown: number;
  /** Guided search: rows refilled from another particle (ancestor ≠ row), over all rounds. */
  readonly replacedShown: number;
  /** DeepConf: waves drawn. */
  readonly wavesShown: number;
  /** DeepConf: traces marked as stopped early (below the threshold). */
  readonly stoppedShown: number;
  /** Decode steps seen (sampled traces). */
  readonly stepsSeen: number;
}

export class SearchView {
  private counts = { roundsShown: 0, replacedShown: 0, wavesShown: 0, stoppedShown: 0, stepsSeen: 0 };
  private progress: HTMLElement | undefined;

  constructor(private readonly host: HTMLElement) {}

  get shown(): SearchViewCounts {
    return { ...this.counts };
  }

  clear(): void {
    this.counts = { roundsShown: 0, replacedShown: 0, wavesShown: 0, stoppedShown: 0, stepsSeen: 0 };
    this.progress = undefined;
  }

  event(event: SearchIteration): void {
    switch (event.kind) {
      case 'resample':
        this.add(this.round(event));
        break;
      case 'wave':
        this.add(this.wave(event));
        break;
      case 'step': {
        // Too many to draw one by one: a counter of decode steps and live rows.
        this.counts.stepsSeen++;
        if (this.progress === undefined || !this.progress.isConnected) {
          this.progress = el('div', 'steps');
          this.host.prepend(this.progress);
        }
        const live = event.tokens.filter((t) => t >= 0).length;
        this.progress.textContent = `decode step ${event.step + 1} · ${live}/${event.tokens.length} rows live`;
        break;
      }
      default:
        break;
    }
  }

  /** Newest block on top, under the live step counter. */
  private add(node: HTMLElement): void {
    if (this.progress?.isConnected) this.progress.after(node);
    else this.host.prepend(node);
  }

  private round(event: Extract<SearchIteration, { kind: 'resample' }>): HTMLElement {
    const n = event.ancestors.length;
    const live = event.weights.filter((w) => w > 0).length;
    const children = new Array<number>(n).fill(0);
    for (const a of event.ancestors) children[a] = (children[a] ?? 0) + 1;
    const replaced = event.ancestors.filter((a, row) => a !== row).length;
    this.counts.roundsShown++;
    this.counts.replacedShown += replaced;

    const node = el('div', 'round');
    node.dataset.round = String(event.round);
    const head = el('div', 'iter-head');
    head.append(
      el('b', '', `round ${event.round}`),
      el('span', 'live', `${live}/${n} live`),
      el('span', 'finished', `${event.finished} finished`),
      el('span', 'replaced-count', `${replaced} replaced`),
    );
    node.append(head);
    const body = el('div', 'round-body');
    const rows = el('div', 'particles');
    for (let row = 0; row < n; row++) {
      const scored = event.scored.find((s) => s.row === row);
      const weight = event.weights[row] ?? 0;
      const ancestor = event.ancestors[row]!;
      const kept = children[row]!;
      const line = el('div', `particle${kept === 0 ? ' dropped' : ''}${scored?.score === Number.NEGATIVE_INFINITY ? ' rejected' : ''}`);
      line.dataset.row = String(row);
      line.append(
        el('span', 'who', `p${row}`),
        el('span', 'step', scored ? visible(scored.stepText) : weight > 0 ? '(no new step)' : '(finished or idle)'),
        el('span', 'score', `${scored ? formatScore(scored.score) : '–'} · w ${weight.toFixed(2)}`),
        el('span', 'fate', kept === 0 ? 'dropped' : kept === 1 ? 'kept' : `kept ×${kept}`),
      );
      const arrow = el('span', `ancestor${ancestor === row ? '' : ' replaced'}`, `p${row} ← p${ancestor}`);
      arrow.title = ancestor === row ? `row ${row} continues its own particle` : `row ${row} is refilled with a copy of particle ${ancestor}`;
      line.append(arrow);
      rows.append(line);
    }
    body.append(rows, lineage(event.ancestors, children));
    node.append(body);
    return node;
  }

  private wave(event: Extract<SearchIteration, { kind: 'wave' }>): HTMLElement {
    this.counts.wavesShown++;
    const stopped = event.traces.filter((t) => t.finish === 'low-confidence').length;
    this.counts.stoppedShown += stopped;
    const node = el('div', 'wave');
    node.dataset.wave = String(event.wave);
    const head = el('div', 'iter-head');
    head.append(
      el('b', '', `wave ${event.wave}`),
      el('span', 'threshold', event.threshold === undefined ? 'warm-up: sets the threshold' : `threshold ${formatScore(event.threshold)}`),
      el('span', '', `${event.traces.length} traces`),
      el('span', '', `${stopped} stopped early`),
    );
    node.append(head);
    for (const trace of event.traces) {
      const early = trace.finish === 'low-confidence';
      const line = el('div', `trace${early ? ' stopped' : ''}`);
      line.dataset.row = String(trace.row);
      line.append(
        el('span', 'who', `r${trace.row}`),
        el('span', 'conf', `conf ${formatScore(trace.lowestConfidence)}`),
        el('span', 'finish', early ? '■ stopped early' : trace.finish),
        el('span', 'answer', trace.answer === null ? '' : `#${trace.answer}`),
      );
      node.append(line);
    }
    return node;
  }

  /** The candidates the strategy weighed, the chosen one marked ★; returns its index (-1 when none matches). */
  finish(result: SearchOutput): number {
    const chosen = result.candidates.findIndex(
      (c) => c.tokenIds.length === result.tokenIds.length && c.tokenIds.every((t, j) => t === result.tokenIds[j]),
    );
    const node = el('div', 'candidates');
    const head = el('div', 'iter-head');
    head.append(el('b', '', `${result.candidates.length} candidates`), el('span', '', result.answer === null ? 'no answer' : `answer ${result.answer}`));
    const votes = new Map<string, number>();
    for (const c of result.candidates) if (c.answer !== null && Number.isFinite(c.weight)) votes.set(c.answer, (votes.get(c.answer) ?? 0) + c.weight);
    if (votes.size > 0) {
      const ranked = [...votes].sort((a, b) => b[1] - a[1]);
      head.append(el('span', 'votes', `votes ${ranked.map(([a, w]) => `${a}: ${formatScore(w)}`).join(' · ')}`));
    }
    node.append(head);
    result.candidates.forEach((c, i) => {
      const line = el('div', `candidate${i === chosen ? ' chosen' : ''}`);
      line.dataset.index = String(i);
      line.append(
        el('span', 'who', `${i === chosen ? '★' : ''}#${i}`),
        el('span', 'answer', c.answer === null ? '–' : c.answer),
        el('span', 'score', `w ${formatScore(c.weight)}`),
        el('span', 'finish', c.finish),
        el('span', 'text', visible(c.text)),
      );
      line.title = `mean log-prob ${formatScore(c.meanLogProb)}${c.lowestScore === undefined ? '' : ` · lowest ${formatScore(c.lowestScore)}`}`;
      node.append(line);
    });
    this.host.prepend(node);
    return chosen;
  }
}

/** Two columns of dots (particles before, rows after the resampling) joined parent → child. */
function lineage(ancestors: readonly number[], children: readonly number[]): SVGSVGElement {
  const gap = 14;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'lineage');
  svg.setAttribute('width', '64');
  svg.setAttribute('height', String(ancestors.length * gap + 4));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'lineage: each row after resampling (right) and the particle it copies (left)');
  const y = (row: number) => 9 + row * gap;
  const add = (name: string, attrs: Record<string, string | number>) => {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    svg.append(node);
    return node;
  };
  ancestors.forEach((a, row) => {
    add('line', { x1: 8, y1: y(a), x2: 56, y2: y(row), stroke: COLORS[a % COLORS.length]!, 'stroke-width': a === row ? 1.2 : 2, class: a === row ? 'kept' : 'copied' });
  });
  ancestors.forEach((_, row) => {
    add('circle', { cx: 8, cy: y(row), r: 3.5, fill: children[row] ? COLORS[row % COLORS.length]! : '#cbd0da' });
    add('circle', { cx: 56, cy: y(row), r: 3.5, fill: COLORS[ancestors[row]! % COLORS.length]! });
  });
  return svg;
}
