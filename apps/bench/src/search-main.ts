#!/usr/bin/env node
/**
 * The search benchmark: `node dist/search-main.js [--quick | --reduced] [--problems N] [--ns 4,8,16] [--seeds S]
 * [--saturated-problems N] [--workers N] [--out DIR] [--markdown FILE] [--render]`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { modelPath } from '@reasonflow/model-tiny';
import { renderAccuracyChart } from './chart.js';
import { runSearchBench, type SearchBenchResults, type SearchBenchSettings, type SearchMode } from './search.js';
import { chartStrategies, renderSearchReport, SEARCH_PALETTE } from './search-report.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reduced: { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
    problems: { type: 'string' },
    ns: { type: 'string' },
    seeds: { type: 'string' },
    'saturated-problems': { type: 'string' },
    workers: { type: 'string' },
    out: { type: 'string' },
    markdown: { type: 'string' },
  },
});

const usageError = (message: string): never => {
  console.error(message);
  process.exit(2);
};
const int = (v: string | undefined, name: string, min: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= min ? n : usageError(`--${name} must be an integer ≥ ${min}`);
};
const mode: SearchMode = values.quick ? 'quick' : values.reduced ? 'reduced' : 'full';
const settings: Partial<SearchBenchSettings> = {};
const set = <K extends keyof SearchBenchSettings>(key: K, value: SearchBenchSettings[K] | undefined) => {
  if (value !== undefined) settings[key] = value;
};
set('problems', int(values.problems, 'problems', 1));
set('seeds', int(values.seeds, 'seeds', 1));
set('saturatedProblems', int(values['saturated-problems'], 'saturated-problems', 0));
set('workers', int(values.workers, 'workers', 1));
if (values.ns !== undefined) {
  const ns = values.ns.split(',').map((x) => int(x, 'ns', 2)!);
  if (ns.some((n) => n % 2 !== 0)) usageError('--ns takes even numbers (DeepConf runs N/2 rows)');
  settings.ns = ns;
}

const outDir = values.out ?? here('../results');
const stem = `search-${mode}`;
const jsonPath = join(outDir, `${stem}.json`);
const svgPath = join(outDir, `${stem}-accuracy-vs-compute.svg`);
const markdownPath = values.markdown ?? (mode === 'full' ? here('../../../docs/search-benchmarks.md') : join(outDir, `${stem}.md`));

async function render(results: SearchBenchResults): Promise<void> {
  const key = `${results.plans[0]!.family}/${results.plans[0]!.split}`;
  const title = `Accuracy vs row-positions — ${key}, ${results.plans[0]!.problems} problems × ${results.plans[0]!.seeds} seeds (${results.mode})`;
  await writeFile(svgPath, renderAccuracyChart(chartStrategies(results.strategies), { title, cell: key, palette: SEARCH_PALETTE }));
  await mkdir(dirname(markdownPath), { recursive: true });
  await writeFile(markdownPath, renderSearchReport(results, relative(dirname(markdownPath), svgPath) || basename(svgPath)));
}

try {
  await mkdir(outDir, { recursive: true });
  if (values.render) {
    await render(JSON.parse(await readFile(jsonPath, 'utf8')) as SearchBenchResults);
  } else {
    const { results, records } = await runSearchBench({ mode, settings, modelPath, log: (line) => console.error(`[bench] ${line}`) });
    await writeFile(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
    // Per-run records (one line), so later runs with other seeds can be pooled with this one.
    await writeFile(join(outDir, `${stem}.records.json`), `${JSON.stringify(records)}\n`);
    await render(results);
    console.error(`[bench] wrote ${jsonPath}, ${svgPath}, ${markdownPath} in ${results.durationSeconds.toFixed(0)} s`);
  }
} catch (error) {
  console.error(error);
  process.exit(1);
}
