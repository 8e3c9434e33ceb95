#!/usr/bin/env node
/**
 * `pnpm bench` (full) or `pnpm --filter @reasonflow/bench bench --quick`.
 * Options: --quick, --render (re-render the page and chart from the saved JSON, measuring nothing), --out <dir>, --markdown <file>, --problems <n>, --grid-problems <n>, --reps <n>,
 * --samples <n>, --leak-runs <n>, --quality-budget <s>, --workers <n>, --no-speed, --no-quality, --no-transformers.
 * --real-shapes: speed at real model shapes instead (see src/real-shapes.ts and the README): --shapes, --dtypes,
 * --layers, --threads, --tokens, --reps, --models-dir, --folder, --no-transformers-defaults.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runRealShapesCli } from './real-shapes-cli.js';
import { type BenchSettings, renderSaved, runBenchmark } from './run.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
    out: { type: 'string' },
    markdown: { type: 'string' },
    problems: { type: 'string' },
    'grid-problems': { type: 'string' },
    reps: { type: 'string' },
    samples: { type: 'string' },
    'leak-runs': { type: 'string' },
    'quality-budget': { type: 'string' },
    workers: { type: 'string' },
    'no-speed': { type: 'boolean', default: false },
    'no-quality': { type: 'boolean', default: false },
    'no-transformers': { type: 'boolean', default: false },
    'real-shapes': { type: 'boolean', default: false },
    shapes: { type: 'string' },
    dtypes: { type: 'string' },
    layers: { type: 'string' },
    threads: { type: 'string' },
    tokens: { type: 'string' },
    'models-dir': { type: 'string' },
    folder: { type: 'string', multiple: true },
    'no-transformers-defaults': { type: 'boolean', default: false },
  },
});

if (values['real-shapes']) {
  try {
    await runRealShapesCli(values, here('../results/real-shapes.json'), { json: here('../results/full.json'), markdown: here('../../../docs/benchmarks.md') });
    process.exit(0);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}

const mode = values.quick ? 'quick' : 'full';
const settings: Partial<BenchSettings> = {};
const int = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be an integer ≥ 0`);
    process.exit(2);
  }
  return n;
};
const problems = int(values.problems, 'problems');
if (problems !== undefined) settings.problems = problems;
const gridProblems = int(values['grid-problems'], 'grid-problems');
if (gridProblems !== undefined) settings.gridProblems = gridProblems;
const reps = int(values.reps, 'reps');
if (reps !== undefined) settings.reps = Math.max(1, reps);
const samples = int(values.samples, 'samples');
if (samples !== undefined) settings.samples = samples;
const leakRuns = int(values['leak-runs'], 'leak-runs');
if (leakRuns !== undefined) settings.leakRuns = Math.max(10, leakRuns);
const budget = int(values['quality-budget'], 'quality-budget');
if (budget !== undefined) settings.qualityBudgetSeconds = budget;
const workers = int(values.workers, 'workers');
if (workers !== undefined) settings.qualityWorkers = Math.max(1, workers);
if (values['no-speed']) settings.speed = false;
if (values['no-quality']) settings.quality = false;
if (values['no-transformers']) settings.transformers = false;

const outDir = values.out ?? here('../results');
const markdown = values.markdown ?? (mode === 'full' ? here('../../../docs/benchmarks.md') : `${outDir}/quick.md`);

try {
  if (values.render) await renderSaved(`${outDir}/${mode}.json`, markdown);
  else await runBenchmark({ mode, settings, outDir, markdownPath: markdown });
} catch (error) {
  console.error(error);
  process.exit(1);
}
