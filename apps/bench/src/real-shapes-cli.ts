/** `pnpm bench --real-shapes`: argument parsing, model generation on demand, JSON and a table. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { machineInfo } from './machine.js';
import { DEFAULT_MODELS_DIR, ensureRealShape, REAL_SHAPES, type RealShapeDtype, type RealShapesRecord, renderRealShapes, runRealShapes } from './real-shapes.js';
import { recordRealShapes } from './run.js';

export interface RealShapesArgs {
  shapes?: string;
  dtypes?: string;
  layers?: string;
  threads?: string;
  tokens?: string;
  reps?: string;
  'models-dir'?: string;
  folder?: string[];
  'no-transformers-defaults'?: boolean;
}

/** The prompt every decoder continues (byte-level: one token per byte). */
export const REAL_SHAPES_PROMPT = 'The quick brown fox jumps over the lazy dog. 1234 + 5678 =';

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be an integer ≥ 1, got ${value}`);
  return n;
}

function list<T extends string>(value: string | undefined, allowed: readonly T[], name: string, fallback: readonly T[]): T[] {
  if (value === undefined) return [...fallback];
  const items = value.split(',').map((v) => v.trim()).filter(Boolean);
  const bad = items.filter((v) => !allowed.includes(v as T));
  if (bad.length) throw new RangeError(`--${name}: unknown ${bad.join(', ')} (known: ${allowed.join(', ')})`);
  return items as T[];
}

/**
 * Measures, writes `jsonPath` and prints the table. A run of the generated shapes at full depth is
 * also recorded in the saved full results (`report`) and docs/benchmarks.md is re-rendered.
 */
export async function runRealShapesCli(args: RealShapesArgs, jsonPath: string, report?: { json: string; markdown: string }): Promise<void> {
  const log = (line: string) => console.error(`[bench] ${line}`);
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const machine = machineInfo();
  const dtypes = list<RealShapeDtype>(args.dtypes, ['fp32', 'fp16'], 'dtypes', ['fp32', 'fp16']);
  const layers = args.layers === undefined ? undefined : positiveInt(args.layers, 'layers', 1);
  let folders = args.folder ?? [];
  if (folders.length === 0) {
    const shapes = list(args.shapes, REAL_SHAPES, 'shapes', REAL_SHAPES);
    const modelsDir = args['models-dir'] ?? DEFAULT_MODELS_DIR;
    folders = [];
    for (const shape of shapes) folders.push(await ensureRealShape(modelsDir, shape, layers, log));
  }
  const options = {
    folders,
    dtypes,
    reps: positiveInt(args.reps, 'reps', 5),
    tokens: positiveInt(args.tokens, 'tokens', 64),
    threads: positiveInt(args.threads, 'threads', 1),
    prompt: REAL_SHAPES_PROMPT,
    transformersDefaults: !args['no-transformers-defaults'],
    log,
  };
  const results = await runRealShapes(options);
  const { log: _log, ...settings } = options;
  await mkdir(dirname(jsonPath), { recursive: true });
  const { folders: _folders, ...recorded } = settings;
  const record: RealShapesRecord = { startedAt, durationSeconds: (performance.now() - started) / 1000, machine, settings: recorded, results };
  await writeFile(jsonPath, `${JSON.stringify(record, null, 2)}\n`);
  console.log(renderRealShapes(results));
  log(`wrote ${jsonPath}`);
  const generatedShapes = (args.folder ?? []).length === 0 && layers === undefined;
  if (report && generatedShapes) {
    if (await recordRealShapes(report.json, report.markdown, record)) log(`recorded in ${report.json} and ${report.markdown}`);
    else log(`no ${report.json} to record this run in (run \`pnpm bench\` first)`);
  }
}
