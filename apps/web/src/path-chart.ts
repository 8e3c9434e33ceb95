import type { IterationReport } from 'reasonflow';

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#3a5bd9', '#d97706', '#1f9d55', '#c53030', '#805ad5', '#0987a0', '#b83280', '#718096'];
const COLUMN = 34;
const HEIGHT = 150;
const PAD = 22;

/**
 * The thinkers' paths across iterations as an SVG chart: one column per iteration, each thinker's
 * combined score as a line through the columns, the winner of each iteration ringed in gold, and
 * the tokens it committed under its column. Hover a point for the thinker's path.
 */
export class PathChart {
  private readonly reports: { report: IterationReport; paths: readonly string[]; committed: string }[] = [];

  constructor(private readonly host: HTMLElement) {}

  clear(): void {
    this.reports.length = 0;
    this.host.textContent = '';
  }

  add(report: IterationReport, paths: readonly string[], committed: string): void {
    this.reports.push({ report, paths, committed });
    this.draw();
  }

  private draw(): void {
    const n = this.reports.length;
    const scores = this.reports.flatMap(({ report }) => report.thinkers.map((t) => t.combined));
    const [lo, hi] = [Math.min(...scores), Math.max(...scores)];
    const y = (score: number) => PAD + (HEIGHT - 2 * PAD) * (hi > lo ? (hi - score) / (hi - lo) : 0.5);
    const x = (i: number) => PAD + i * COLUMN;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('width', String(PAD * 2 + Math.max(0, n - 1) * COLUMN));
    svg.setAttribute('height', String(HEIGHT + 16));
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', "each thinker's combined score per iteration; gold rings mark the winners");
    const el = (name: string, attrs: Record<string, string | number>, text?: string) => {
      const node = document.createElementNS(SVG, name);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      if (text !== undefined) node.textContent = text;
      svg.append(node);
      return node;
    };
    const rows = Math.max(...this.reports.map(({ report }) => report.thinkers.length));
    for (let row = 0; row < rows; row++) {
      const points = this.reports.map(({ report }, i) => {
        const thinker = report.thinkers.find((t) => t.row === row);
        return thinker ? `${x(i)},${y(thinker.combined).toFixed(1)}` : '';
      });
      el('polyline', { points: points.filter(Boolean).join(' '), fill: 'none', stroke: COLORS[row % COLORS.length]!, 'stroke-width': 1.5, opacity: 0.8 });
    }
    this.reports.forEach(({ report, paths, committed }, i) => {
      el('line', { x1: x(i), x2: x(i), y1: PAD - 6, y2: HEIGHT - PAD + 6, stroke: '#e3e6ec' });
      report.thinkers.forEach((thinker, k) => {
        const won = report.selected.includes(thinker.row);
        const dot = el('circle', {
          cx: x(i),
          cy: y(thinker.combined).toFixed(1),
          r: won ? 5 : 3,
          fill: COLORS[thinker.row % COLORS.length]!,
          stroke: won ? '#d69e2e' : 'none',
          'stroke-width': won ? 2.5 : 0,
          class: won ? 'winner' : 'thinker-dot',
        });
        const title = document.createElementNS(SVG, 'title');
        title.textContent = `#${report.iteration} t${thinker.row}${won ? ' ★' : ''}: ${paths[k] ?? ''} · score ${thinker.combined.toFixed(2)}`;
        dot.append(title);
      });
      el('text', { x: x(i), y: HEIGHT + 10, 'text-anchor': 'middle', 'font-size': 10, fill: '#17663a' }, committed.replace(/ /g, '␣').slice(0, 4));
    });
    this.host.replaceChildren(svg);
    this.host.scrollLeft = this.host.scrollWidth;
  }
}
