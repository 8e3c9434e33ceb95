/** One benchmark run: speed + quality → JSON, SVG and the Markdown page, all from one call. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evalSet, modelPath as tinyModelPath } from '@reasonflow/model-tiny';
import { renderAccuracyChart } from './chart.js';
import { type MachineInfo, machineInfo } from './machine.js';
import { type GridEntry, type QualityResults, runQuality } from './quality.js';
import { renderReport } from './report.js';
import type { SearchBenchResults } from './search.js';
import type { RealShapesRecord } from './real-shapes.js';
import { runSpeed, type SpeedResults } from './speed.js';

export type Mode = 'full' | 'quick';

export interface BenchSettings {
  reps: number;
  fixedTokens: number;
  speedPrompts: string[];
  speedMaxNewTokens: number;
  leakRuns: number;
  transformers: boolean;
  problems: number;
  gridProblems: number;
  samples: number;
  sampleCounts: number[];
  temperature: number;
  maxNewTokens: number;
  /** Wall-clock budget of the quality part, seconds (0: none); see QualityOptions.budgetSeconds. */
  qualityBudgetSeconds: number;
  /** Worker threads for the quality part (its results do not depend on it). */
  qualityWorkers: number;
  grid: GridEntry[];
  speed: boolean;
  quality: boolean;
}

export interface BenchResults {
  mode: Mode;
  startedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  model: { path: string; training: string };
  settings: BenchSettings;
  files: { json: string; svg: string; markdown: string };
  speed?: SpeedResults;
  quality?: QualityResults;
  /** When a part was measured by an earlier run (`--no-speed`, `--no-quality` keep the saved part): that run's start. */
  carriedOver?: { speed?: string; quality?: string };
  /** `pnpm bench --real-shapes` (default shapes) records its run here; every later run keeps it. */
  realShapes?: RealShapesRecord;
}

function rf(n: number, t: number, extra: Record<string, unknown> = {}, suffix = ''): GridEntry {
  return {
    id: `rf-n${n}-t${t}${suffix ? `-${suffix.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}` : ''}`,
    label: `ReasonFlow N=${n} T=${t}${suffix ? ` ${suffix}` : ''}`,
    config: { numOfThinkers: n, numOfThoughts: t, ...extra },
  };
}

/**
 * The full grid: N ∈ {2, 4, 8} × T ∈ {2, 4}, and at N = 4, T = 4 one change each: topk 2,
 * diversity weight 0, the original's path scoring, path acceptance (alone and with narrowing).
 */
export const FULL_GRID: GridEntry[] = [
  rf(2, 2),
  rf(4, 2),
  rf(8, 2),
  rf(2, 4),
  rf(4, 4),
  rf(8, 4),
  rf(4, 4, { topkThinkers: 2 }, 'topk 2'),
  rf(4, 4, { diversityWeight: 0 }, 'diversity 0'),
  rf(4, 4, { pathScoring: 'original' }, 'original scoring'),
  rf(4, 4, { pathAcceptance: true }, 'path acceptance'),
  rf(4, 4, { pathAcceptance: true, narrowWhenConfident: true }, 'path acceptance, narrowing'),
];

export const QUICK_GRID: GridEntry[] = [rf(2, 2), rf(2, 2, { pathScoring: 'original' }, 'original scoring')];

function speedPrompts(count: number): string[] {
  // Alternate addition and countdown, hard split (long traces), from the held-out sets.
  const add = evalSet('addition', 'hard', count);
  const cd = evalSet('countdown', 'hard', count);
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? add[i]! : cd[i]!).prompt);
}

export function defaultSettings(mode: Mode): BenchSettings {
  if (mode === 'quick') {
    return {
      reps: 2,
      fixedTokens: 16,
      speedPrompts: speedPrompts(1),
      speedMaxNewTokens: 12,
      leakRuns: 20,
      transformers: true,
      problems: 3,
      gridProblems: 2,
      samples: 4,
      sampleCounts: [2, 4],
      temperature: 0.8,
      maxNewTokens: 48,
      qualityBudgetSeconds: 0,
      qualityWorkers: 1,
      grid: QUICK_GRID,
      speed: true,
      quality: true,
    };
  }
  return {
    reps: 5,
    fixedTokens: 64,
    speedPrompts: speedPrompts(2),
    speedMaxNewTokens: 48,
    leakRuns: 1000,
    transformers: true,
    problems: 200,
    gridProblems: 200,
    samples: 8,
    sampleCounts: [2, 4, 8],
    temperature: 0.8,
    maxNewTokens: 256,
    qualityBudgetSeconds: 0,
    qualityWorkers: availableParallelism(),
    grid: FULL_GRID,
    speed: true,
    quality: true,
  };
}

export interface RunOptions {
  mode: Mode;
  settings?: Partial<BenchSettings>;
  /** Folder of the JSON and SVG (default apps/bench/results). */
  outDir: string;
  /** The Markdown page (full: docs/benchmarks.md; quick: next to the JSON). */
  markdownPath: string;
  modelPath?: string;
  log?: (line: string) => void;
}

export async function runBenchmark(options: RunOptions): Promise<BenchResults> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const log = options.log ?? ((line: string) => console.error(`[bench] ${line}`));
  const settings: BenchSettings = { ...defaultSettings(options.mode), ...options.settings };
  const model = options.modelPath ?? tinyModelPath;
  const machine = machineInfo();
  let training = 'unknown training state';
  try {
    const t = JSON.parse(await readFile(join(model, 'training.json'), 'utf8')) as Record<string, unknown>;
    // Scalars only: nested records (per-stage settings, evaluations) belong to training.json itself.
    training = Object.entries(t)
      .filter(([, v]) => v === null || typeof v !== 'object')
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ');
  } catch {
    // no training.json
  }
  await mkdir(options.outDir, { recursive: true });
  await mkdir(dirname(options.markdownPath), { recursive: true });
  const stem = options.mode === 'full' ? 'full' : 'quick';
  const jsonPath = join(options.outDir, `${stem}.json`);
  const svgPath = join(options.outDir, `${stem}-accuracy-vs-compute.svg`);
  const files = {
    json: relative(dirname(options.markdownPath), jsonPath) || basename(jsonPath),
    svg: relative(dirname(options.markdownPath), svgPath) || basename(svgPath),
    markdown: options.markdownPath,
  };

  let speed: SpeedResults | undefined;
  if (settings.speed) {
    speed = await runSpeed({
      modelPath: model,
      reps: settings.reps,
      fixedTokens: settings.fixedTokens,
      prompts: settings.speedPrompts,
      maxNewTokens: settings.speedMaxNewTokens,
      leakRuns: settings.leakRuns,
      transformers: settings.transformers,
      log,
    });
  }
  let quality: QualityResults | undefined;
  if (settings.quality) {
    const q = await runQuality({
      modelPath: model,
      problems: settings.problems,
      gridProblems: settings.gridProblems,
      samples: settings.samples,
      sampleCounts: settings.sampleCounts.filter((n) => n <= settings.samples),
      temperature: settings.temperature,
      grid: settings.grid,
      maxNewTokens: settings.maxNewTokens,
      budgetSeconds: settings.qualityBudgetSeconds,
      workers: settings.qualityWorkers,
      log,
    });
    quality = q.results;
  }
  // A part left out keeps its saved results, and says when they were measured.
  const saved = await readSavedResults(jsonPath);
  const carriedOver: NonNullable<BenchResults['carriedOver']> = {};
  if (!speed && saved?.speed) {
    speed = saved.speed;
    carriedOver.speed = saved.carriedOver?.speed ?? saved.startedAt;
  }
  if (!quality && saved?.quality) {
    quality = saved.quality;
    carriedOver.quality = saved.carriedOver?.quality ?? saved.startedAt;
  }
  const results: BenchResults = {
    mode: options.mode,
    startedAt,
    durationSeconds: (performance.now() - started) / 1000,
    machine,
    model: { path: relative(process.cwd(), model) || model, training },
    settings,
    files,
    ...(speed ? { speed } : {}),
    ...(quality ? { quality } : {}),
    ...(Object.keys(carriedOver).length ? { carriedOver } : {}),
    ...(saved?.realShapes ? { realShapes: saved.realShapes } : {}),
  };
  await writeFile(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  await writeRenderings(results, svgPath, options.markdownPath);
  log(`wrote ${jsonPath}, ${svgPath}, ${options.markdownPath} in ${results.durationSeconds.toFixed(0)} s`);
  return results;
}

/** The chart and the Markdown page, from results alone. */
async function writeRenderings(results: BenchResults, svgPath: string, markdownPath: string): Promise<void> {
  const q = results.quality;
  const title = `Accuracy vs compute — ${q?.gridProblemsPerSplit ?? 0} problems × ${q?.splits.length ?? 0} splits (${results.mode})`;
  await writeFile(svgPath, renderAccuracyChart(q?.onGridSubset ?? [], { title }));
  const search = await readSavedSearch(join(dirname(svgPath), 'search-full.json'), markdownPath);
  await writeFile(markdownPath, renderReport(results, results.files.svg, search));
}

/** The full search benchmark's results, when they were saved beside ours (`pnpm bench:search`), and links to its pages. */
async function readSavedSearch(
  jsonPath: string,
  markdownPath: string,
): Promise<{ results: SearchBenchResults; links: { page: string; findings: string } } | undefined> {
  try {
    const results = JSON.parse(await readFile(jsonPath, 'utf8')) as SearchBenchResults;
    const link = (doc: string) => {
      const target = fileURLToPath(new URL(`../../../docs/${doc}`, import.meta.url));
      return relative(dirname(markdownPath), target) || basename(target);
    };
    return { results, links: { page: link('search-benchmarks.md'), findings: link('search-findings.md') } };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function readSavedResults(jsonPath: string): Promise<BenchResults | undefined> {
  try {
    return JSON.parse(await readFile(jsonPath, 'utf8')) as BenchResults;
  } catch {
    return undefined;
  }
}

/**
 * Records a real-shapes run in the saved full results and re-renders the page (nothing else is
 * measured). Returns false when there are no saved full results to add it to.
 */
export async function recordRealShapes(jsonPath: string, markdownPath: string, record: RealShapesRecord): Promise<boolean> {
  const saved = await readSavedResults(jsonPath);
  if (!saved) return false;
  const results: BenchResults = { ...saved, realShapes: record };
  await writeFile(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  await writeRenderings(results, join(dirname(jsonPath), basename(results.files.svg)), markdownPath);
  return true;
}

/**
 * Re-renders the chart and the page from a results JSON written earlier (after a change to the
 * report's layout; nothing is measured again).
 */
export async function renderSaved(jsonPath: string, markdownPath: string): Promise<void> {
  const results = JSON.parse(await readFile(jsonPath, 'utf8')) as BenchResults;
  await writeRenderings(results, join(dirname(jsonPath), basename(results.files.svg)), markdownPath);
}
