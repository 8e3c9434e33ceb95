/** Accuracy against compute, as a hand-written SVG (no chart library). */
import type { StrategyKind } from './quality.js';

/** What the chart reads of a strategy: its kind (colour, legend), n, label, and cells by key. */
export interface ChartStrategy {
  readonly label: string;
  readonly kind: string;
  readonly n?: number;
  readonly cells: Readonly<Record<string, { readonly accuracy: number; readonly rowsPerProblem: number } | undefined>>;
}

/** Colours and legend entries by kind; `series`: kinds whose n-points are joined; `squares`: kinds drawn as squares. */
export interface ChartPalette {
  readonly colors: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly series: readonly string[];
  readonly squares: readonly string[];
}

const COLORS: Record<StrategyKind, string> = {
  greedy: '#222222',
  sampling: '#8c8c8c',
  'best-of-n': '#1f77b4',
  'self-consistency': '#2ca02c',
  'pass@n': '#bcbd22',
  reasonflow: '#d62728',
};

const KIND_LABEL: Record<StrategyKind, string> = {
  greedy: 'greedy',
  sampling: 'sampling (T=0.8)',
  'best-of-n': 'best-of-n (log-prob)',
  'self-consistency': 'self-consistency',
  'pass@n': 'pass@n (ceiling)',
  reasonflow: 'ReasonFlow grid',
};

/** The quality part's palette. */
export const QUALITY_PALETTE: ChartPalette = {
  colors: COLORS,
  labels: KIND_LABEL,
  series: ['best-of-n', 'self-consistency', 'pass@n'],
  squares: ['reasonflow'],
};

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  return Number.isFinite(v) ? (Math.round(v * 10) / 10).toString() : '0';
}

/**
 * Accuracy (y) against model rows computed per problem (x, log scale) for the `cell` key (default the
 * pooled `all`); one point per strategy, the n-series joined by lines. The y axis spans the data,
 * padded and rounded to 5 points (0–100 % would squeeze close strategies into one blur); the axis
 * labels say where it starts.
 */
export function renderAccuracyChart(
  strategies: readonly ChartStrategy[],
  options: { title: string; cell?: string; palette?: ChartPalette } = { title: '' },
): string {
  const key = options.cell ?? 'all';
  const { colors, labels, series: seriesKinds, squares } = options.palette ?? QUALITY_PALETTE;
  const points = strategies
    .map((s) => ({ s, cell: s.cells[key] }))
    .filter((p): p is { s: ChartStrategy; cell: NonNullable<typeof p.cell> } => p.cell !== undefined && p.cell.rowsPerProblem > 0);
  const width = 900;
  const height = 560;
  const margin = { left: 70, right: 230, top: 50, bottom: 60 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const xs = points.map((p) => p.cell.rowsPerProblem);
  let lo = Math.min(...xs, Number.POSITIVE_INFINITY);
  let hi = Math.max(...xs, Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 1;
    hi = 10;
  }
  const logLo = Math.floor(Math.log10(lo) * 4) / 4;
  let logHi = Math.ceil(Math.log10(hi) * 4) / 4;
  if (logHi <= logLo) logHi = logLo + 0.5;
  const x = (v: number) => margin.left + ((Math.log10(v) - logLo) / (logHi - logLo)) * plotW;
  const accs = points.map((p) => p.cell.accuracy * 100);
  const accLo = accs.length ? Math.max(0, Math.floor((Math.min(...accs) - 2) / 5) * 5) : 0;
  const accHi = accs.length ? Math.min(100, Math.ceil((Math.max(...accs) + 2) / 5) * 5) : 100;
  const step = accHi - accLo > 40 ? 20 : accHi - accLo > 10 ? 5 : 1;
  const y = (acc: number) => margin.top + (1 - (acc * 100 - accLo) / (accHi - accLo)) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2 - margin.right / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
  );
  // Grid and axes.
  for (let a = accLo; a <= accHi; a += step) {
    const yy = fmt(y(a / 100));
    parts.push(
      `<line x1="${margin.left}" y1="${yy}" x2="${margin.left + plotW}" y2="${yy}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${a}%</text>`,
    );
  }
  for (let e = Math.ceil(logLo); e <= Math.floor(logHi); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (Math.log10(v) < logLo || Math.log10(v) > logHi) continue;
      const xx = fmt(x(v));
      parts.push(
        `<line x1="${xx}" y1="${margin.top}" x2="${xx}" y2="${margin.top + plotH}" stroke="#e5e5e5"/>`,
        `<text x="${xx}" y="${margin.top + plotH + 18}" text-anchor="middle">${v >= 1000 ? `${v / 1000}k` : v}</text>`,
      );
    }
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 16}" text-anchor="middle">model rows computed per problem (log scale)</text>`,
    `<text transform="translate(18 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`,
  );
  // n-series lines.
  for (const kind of seriesKinds) {
    const series = points.filter((p) => p.s.kind === kind).sort((a, b) => (a.s.n ?? 0) - (b.s.n ?? 0));
    if (series.length > 1) {
      const d = series.map((p, i) => `${i ? 'L' : 'M'}${fmt(x(p.cell.rowsPerProblem))} ${fmt(y(p.cell.accuracy))}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${colors[kind]}" stroke-width="1.5"/>`);
    }
  }
  // Points with short labels; a label that would overlap one already placed moves down or up a line.
  const placed: { x0: number; x1: number; y0: number; y1: number }[] = [];
  const placeLabel = (lx: number, ly: number, text: string): number => {
    const w = text.length * 5.6;
    for (const dy of [0, 12, -12, 24, -24, 36, -36, 48]) {
      const box = { x0: lx, x1: lx + w, y0: ly + dy - 9, y1: ly + dy + 2 };
      if (!placed.some((b) => box.x0 < b.x1 && b.x0 < box.x1 && box.y0 < b.y1 && b.y0 < box.y1)) {
        placed.push(box);
        return ly + dy;
      }
    }
    return ly;
  };
  for (const p of points) {
    const cx = fmt(x(p.cell.rowsPerProblem));
    const cy = fmt(y(p.cell.accuracy));
    const color = colors[p.s.kind];
    const shape =
      squares.includes(p.s.kind)
        ? `<rect x="${fmt(Number(cx) - 4.5)}" y="${fmt(Number(cy) - 4.5)}" width="9" height="9" fill="${color}"/>`
        : `<circle cx="${cx}" cy="${cy}" r="4.5" fill="${color}"/>`;
    const short = p.s.kind === 'reasonflow' && p.s.n === undefined ? p.s.label.replace(/^ReasonFlow /, '') : p.s.n !== undefined ? `n=${p.s.n}` : p.s.label;
    parts.push(
      `<g><title>${escapeXml(`${p.s.label}: ${(p.cell.accuracy * 100).toFixed(1)}% at ${p.cell.rowsPerProblem.toFixed(0)} rows/problem`)}</title>${shape}` +
        `<text x="${fmt(Number(cx) + 7)}" y="${fmt(placeLabel(Number(cx) + 7, Number(cy) - 6, short))}" font-size="10" fill="${color}">${escapeXml(short)}</text></g>`,
    );
  }
  // Legend.
  const kinds = [...new Set(points.map((p) => p.s.kind))];
  kinds.forEach((kind, i) => {
    const ly = margin.top + 10 + i * 20;
    const lx = margin.left + plotW + 20;
    const mark =
      squares.includes(kind)
        ? `<rect x="${lx - 4.5}" y="${ly - 4.5}" width="9" height="9" fill="${colors[kind]}"/>`
        : `<circle cx="${lx}" cy="${ly}" r="4.5" fill="${colors[kind]}"/>`;
    parts.push(`${mark}<text x="${lx + 12}" y="${ly}" dominant-baseline="middle">${escapeXml(labels[kind] ?? kind)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
