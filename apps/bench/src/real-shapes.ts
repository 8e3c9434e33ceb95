/**
 * Speed at the shapes users run: random-weight models generated on demand by
 * tools/make-conformance-models (never committed), per model and dtype, interleaved repetition by
 * repetition, medians of paired ratios. Compares our greedy against transformers.js `generate` on the
 * same folder and dtype (same threads, and transformers.js' own defaults) and against a bare
 * `session.run` loop; ReasonFlow N=4, T=4 (with and without path acceptance) against greedy; the
 * engine's own time against model time at N=8, T=4; RSS.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadModel, type NodeLoadedModel } from '@reasonflow/backend-cuda';
import { ReasonFlow } from 'reasonflow';
import { BareOrtDecoder } from './bare-loop.js';
import type { MachineInfo } from './machine.js';
import { median, medianRatio } from './stats.js';

export type RealShapeDtype = 'fp32' | 'fp16';

export const REAL_SHAPES = ['smollm-135m', 'qwen2.5-0.5b'] as const;
export const DTYPE_FILES: Record<RealShapeDtype, string> = { fp32: 'model.onnx', fp16: 'model_fp16.onnx' };

const MiB = 2 ** 20;
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const DEFAULT_MODELS_DIR = here('../.models');
const GENERATOR = here('../../../tools/make-conformance-models/make_models.py');

export interface RealShapesOptions {
  /** Model folders to measure (each with onnx/model.onnx and/or onnx/model_fp16.onnx). */
  folders: string[];
  dtypes: RealShapeDtype[];
  reps: number;
  /** New tokens per generation (EOS disabled). */
  tokens: number;
  /** Intra-op threads for ours, the bare loop and transformers.js' equal-settings run. */
  threads: number;
  prompt: string;
  /** Also time transformers.js with its default session options (its own thread choice). */
  transformersDefaults: boolean;
  log: (line: string) => void;
}

/** One `--real-shapes` run as docs/benchmarks.md records it. */
export interface RealShapesRecord {
  startedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  settings: { reps: number; tokens: number; threads: number; prompt: string; transformersDefaults: boolean };
  results: RealShapeResult[];
}

export interface RealShapeResult {
  folder: string;
  dtype: RealShapeDtype;
  /** From real-shape.json, when the generator wrote the folder. */
  shape?: { name: string; layers: number; fullDepth: number; parameters: number };
  tokens: number;
  threads: number;
  /** Median tokens/s of each greedy decoder (same prompt, same token count, interleaved). */
  greedyTokensPerSecond: { ours?: number; transformersJs: number; transformersJsDefaults?: number; bareLoop: number };
  /** Medians of per-repetition ratios (tokens/s ÷ tokens/s). */
  ratios: {
    oursOverTransformersJs?: number;
    oursOverTransformersJsDefaults?: number;
    oursOverBareLoop?: number;
    bareLoopOverTransformersJs: number;
    bareLoopOverTransformersJsDefaults?: number;
    n4t4OverGreedy?: number;
    n4t4PathAcceptanceOverGreedy?: number;
  };
  /** GenerationStats.engineTimeMs ÷ modelTimeMs at N=8, T=4 (median). */
  engineOverModelN8T4?: number;
  /** The engine's TensorBackend in those runs (GenerationStats.backend, e.g. `wasm-simd`). */
  tensorBackend?: string;
  identicalTokens: { oursVsBareLoop?: boolean; transformersJsVsBareLoop: boolean };
  /** Why ours was not measured (e.g. the loader cannot read this dtype yet). */
  oursNote?: string;
  memory: { rssBeforeMiB: number; rssAfterLoadMiB: number; peakRssMiB: number };
}

interface ShapeInfo {
  shape: string;
  layers: number;
  full_depth: number;
  parameters: number;
}

const execFileAsync = promisify(execFile);

/**
 * The folder of `shape` in `modelsDir`, generated with Debian's python3-torch/python3-onnx when
 * missing (`layers`: fewer layers at the same width and vocabulary; folder `<shape>-L<layers>`).
 */
export async function ensureRealShape(modelsDir: string, shape: string, layers: number | undefined, log: (line: string) => void): Promise<string> {
  const folder = join(modelsDir, layers === undefined ? shape : `${shape}-L${layers}`);
  if (existsSync(join(folder, 'real-shape.json'))) return folder;
  log(`generating ${folder} (python3 ${basename(GENERATOR)} --real-shapes ${shape}; minutes, several GB for 0.5B)`);
  const args = [GENERATOR, '--real-shapes', shape, '--out', modelsDir, ...(layers === undefined ? [] : ['--layers', String(layers)])];
  const { stdout } = await execFileAsync(process.env.PYTHON ?? '/usr/bin/python3', args, {
    env: { ...process.env, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1' },
    maxBuffer: 16 * MiB,
  });
  log(stdout.trim());
  return folder;
}

async function shapeInfo(folder: string): Promise<ShapeInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(folder, 'real-shape.json'), 'utf8')) as ShapeInfo;
  } catch {
    return undefined;
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const rssMiB = () => process.memoryUsage.rss() / MiB;

type Tf = typeof import('@huggingface/transformers');
type TfModel = Awaited<ReturnType<Tf['AutoModelForCausalLM']['from_pretrained']>>;

function useLocalFolder(tf: Tf, folder: string): void {
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  tf.env.localModelPath = `${dirname(folder)}/`;
}

async function loadTransformersJs(tf: Tf, folder: string, dtype: RealShapeDtype, threads: number | undefined): Promise<TfModel> {
  useLocalFolder(tf, folder);
  return tf.AutoModelForCausalLM.from_pretrained(basename(folder), {
    device: 'cpu',
    dtype,
    ...(threads === undefined ? {} : { session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } }),
  });
}

async function transformersGreedy(tf: Tf, model: TfModel, promptIds: readonly number[], tokens: number): Promise<{ ms: number; ids: number[] }> {
  const inputIds = new tf.Tensor('int64', BigInt64Array.from(promptIds, (v) => BigInt(v)), [1, promptIds.length]);
  const mask = new tf.Tensor('int64', new BigInt64Array(promptIds.length).fill(1n), [1, promptIds.length]);
  const start = performance.now();
  const out = (await model.generate({
    input_ids: inputIds,
    attention_mask: mask,
    max_new_tokens: tokens,
    min_new_tokens: tokens,
    do_sample: false,
  } as never)) as { tolist(): bigint[][] };
  const ms = performance.now() - start;
  return { ms, ids: out.tolist()[0]!.slice(promptIds.length).map(Number) };
}

/**
 * Our loader for `dtype`. fp32 is `onnx/model.onnx`; other dtypes go through a `dtype` option the
 * loader may not have yet — then the folder's fp32 graph would load, which is detected and reported.
 */
async function loadOurs(folder: string, dtype: RealShapeDtype, threads: number): Promise<{ loaded?: NodeLoadedModel; note?: string }> {
  const options = { device: 'cpu' as const, intraOpNumThreads: threads, onWarning: () => {}, dtype };
  let loaded: NodeLoadedModel;
  try {
    loaded = await loadModel(folder, options);
  } catch (error) {
    return { note: `our loader refused ${DTYPE_FILES[dtype]}: ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}` };
  }
  const wanted = `onnx/${DTYPE_FILES[dtype]}`;
  if (!loaded.model.files.includes(wanted)) {
    const ran = loaded.model.files.join(', ');
    await loaded.dispose();
    return { note: `our loader picked ${ran}, not ${wanted}` };
  }
  return { loaded };
}

/** One model folder at one dtype. */
export async function measureRealShape(folder: string, dtype: RealShapeDtype, options: RealShapesOptions): Promise<RealShapeResult> {
  const { reps, tokens, threads, log } = options;
  const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as Record<string, number>;
  const kvShape = {
    layers: config.num_hidden_layers!,
    kvHeads: config.num_key_value_heads!,
    headDim: config.head_dim ?? config.hidden_size! / config.num_attention_heads!,
    vocab: config.vocab_size!,
  };
  const info = await shapeInfo(folder);
  gc();
  const rssBefore = rssMiB();
  let peak = rssBefore;
  const sample = () => {
    peak = Math.max(peak, rssMiB());
  };
  const tf = await import('@huggingface/transformers');
  useLocalFolder(tf, folder);
  const tokenizer = await tf.AutoTokenizer.from_pretrained(basename(folder));
  const promptIds = Array.from(tokenizer.encode(options.prompt) as number[]);

  const bare = await BareOrtDecoder.load(folder, kvShape, threads, DTYPE_FILES[dtype]);
  const ours = await loadOurs(folder, dtype, threads);
  const rf = ours.loaded
    ? new ReasonFlow({}, ours.loaded.model, ours.loaded.tokenizer, { executionProvider: ours.loaded.executionProvider, owned: ours.loaded })
    : undefined;
  let tfModel: TfModel | undefined = await loadTransformersJs(tf, folder, dtype, threads);
  sample();
  const rssAfterLoad = rssMiB();
  try {
    const greedy = rf?.withConfig({ numOfThinkers: 1, numOfThoughts: 1 });
    const oursGreedy = async () => {
      const start = performance.now();
      const r = await greedy!.generateThoughts(options.prompt, { maxNewTokens: tokens, eosTokenIds: [] });
      return { ms: performance.now() - start, ids: r.tokenIds as readonly number[] };
    };
    // Warm-up (first runs allocate arenas and JIT).
    await bare.greedy(promptIds, tokens);
    await transformersGreedy(tf, tfModel, promptIds, tokens);
    if (greedy) await oursGreedy();

    // 1. Greedy: ours, bare loop, transformers.js (same threads), interleaved.
    log(`${basename(folder)} ${dtype}: greedy × ${reps} (${tokens} tokens, ${threads} thread(s))`);
    const times = { ours: [] as number[], bare: [] as number[], tf: [] as number[] };
    let oursVsBare = true;
    let tfVsBare = true;
    const runBare = async () => {
      const b = await bare.greedy(promptIds, tokens);
      times.bare.push(b.timeMs);
      return b.tokenIds.join();
    };
    const runTf = async () => {
      const t = await transformersGreedy(tf, tfModel!, promptIds, tokens);
      times.tf.push(t.ms);
      return t.ids.join();
    };
    const runOurs = async () => {
      const o = await oursGreedy();
      times.ours.push(o.ms);
      return o.ids.join();
    };
    const runners = greedy ? [runBare, runTf, runOurs] : [runBare, runTf];
    for (let rep = 0; rep < reps; rep++) {
      // The order rotates every repetition, so no decoder always runs first (or right after another's allocations).
      const ids = new Map<() => Promise<string>, string>();
      for (let i = 0; i < runners.length; i++) {
        const run = runners[(rep + i) % runners.length]!;
        ids.set(run, await run());
        sample();
      }
      tfVsBare &&= ids.get(runTf) === ids.get(runBare);
      if (greedy) oursVsBare &&= ids.get(runOurs) === ids.get(runBare);
    }
    await tfModel.dispose();
    tfModel = undefined;
    gc();

    // 2. transformers.js with its own defaults (thread count included), against ours or the bare loop.
    let tfDefaultTimes: number[] | undefined;
    const pairedForDefaults: number[] = [];
    if (options.transformersDefaults) {
      log(`${basename(folder)} ${dtype}: transformers.js defaults × ${reps}`);
      const tfDefault = await loadTransformersJs(tf, folder, dtype, undefined);
      sample();
      await transformersGreedy(tf, tfDefault, promptIds, tokens);
      tfDefaultTimes = [];
      const runDefaults = async () => {
        tfDefaultTimes!.push((await transformersGreedy(tf, tfDefault, promptIds, tokens)).ms);
        sample();
      };
      const runPaired = async () => {
        pairedForDefaults.push(greedy ? (await oursGreedy()).ms : (await bare.greedy(promptIds, tokens)).timeMs);
        sample();
      };
      for (let rep = 0; rep < reps; rep++) {
        // Alternating order, as in the greedy runs above.
        for (const run of rep % 2 === 0 ? [runDefaults, runPaired] : [runPaired, runDefaults]) await run();
      }
      await tfDefault.dispose();
      gc();
    }

    // 3. ReasonFlow configurations against greedy, and the engine's share at N=8, T=4.
    const ratios: RealShapeResult['ratios'] = { bareLoopOverTransformersJs: medianRatio(times.tf, times.bare) };
    let engineOverModel: number | undefined;
    let tensorBackend: string | undefined;
    if (rf && greedy) {
      log(`${basename(folder)} ${dtype}: ReasonFlow N=4 T=4 (± path acceptance), N=8 T=4 × ${reps}`);
      const n4 = rf.withConfig({ numOfThinkers: 4, numOfThoughts: 4 });
      const n4Accept = rf.withConfig({ numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true });
      const n8 = rf.withConfig({ numOfThinkers: 8, numOfThoughts: 4 });
      const run = async (instance: ReasonFlow) => {
        const start = performance.now();
        const r = await instance.generateThoughts(options.prompt, { maxNewTokens: tokens, eosTokenIds: [] });
        sample();
        return { tps: r.tokenIds.length / (performance.now() - start), stats: r.stats };
      };
      await run(n4);
      await run(n8);
      const tps = { greedy: [] as number[], n4: [] as number[], n4Accept: [] as number[] };
      const engineShares: number[] = [];
      for (let rep = 0; rep < reps; rep++) {
        tps.greedy.push((await run(greedy)).tps);
        tps.n4.push((await run(n4)).tps);
        tps.n4Accept.push((await run(n4Accept)).tps);
        const r8 = await run(n8);
        engineShares.push(r8.stats.engineTimeMs / r8.stats.modelTimeMs);
        tensorBackend = r8.stats.backend;
      }
      ratios.n4t4OverGreedy = medianRatio(tps.n4, tps.greedy);
      ratios.n4t4PathAcceptanceOverGreedy = medianRatio(tps.n4Accept, tps.greedy);
      engineOverModel = median(engineShares);
      ratios.oursOverTransformersJs = medianRatio(times.tf, times.ours);
      ratios.oursOverBareLoop = medianRatio(times.bare, times.ours);
    }
    if (tfDefaultTimes) {
      // Paired with ours when ours runs this dtype, otherwise with the bare loop.
      if (greedy) ratios.oursOverTransformersJsDefaults = medianRatio(tfDefaultTimes, pairedForDefaults);
      else ratios.bareLoopOverTransformersJsDefaults = medianRatio(tfDefaultTimes, pairedForDefaults);
    }
    const tps = (ms: number[]) => (ms.length ? (tokens * 1000) / median(ms) : undefined);
    return {
      folder: basename(folder),
      dtype,
      ...(info ? { shape: { name: info.shape, layers: info.layers, fullDepth: info.full_depth, parameters: info.parameters } } : {}),
      tokens,
      threads,
      greedyTokensPerSecond: {
        ...(times.ours.length ? { ours: tps(times.ours)! } : {}),
        transformersJs: tps(times.tf)!,
        ...(tfDefaultTimes ? { transformersJsDefaults: tps(tfDefaultTimes)! } : {}),
        bareLoop: tps(times.bare)!,
      },
      ratios,
      ...(engineOverModel === undefined ? {} : { engineOverModelN8T4: engineOverModel }),
      ...(tensorBackend === undefined ? {} : { tensorBackend }),
      identicalTokens: { ...(greedy ? { oursVsBareLoop: oursVsBare } : {}), transformersJsVsBareLoop: tfVsBare },
      ...(ours.note ? { oursNote: ours.note } : {}),
      memory: { rssBeforeMiB: rssBefore, rssAfterLoadMiB: rssAfterLoad, peakRssMiB: peak },
    };
  } finally {
    await tfModel?.dispose();
    await rf?.dispose();
    await bare.dispose();
  }
}

export async function runRealShapes(options: RealShapesOptions): Promise<RealShapeResult[]> {
  const results: RealShapeResult[] = [];
  for (const folder of options.folders) {
    for (const dtype of options.dtypes) {
      if (!existsSync(join(folder, 'onnx', DTYPE_FILES[dtype]))) {
        options.log(`${basename(folder)}: no onnx/${DTYPE_FILES[dtype]}, ${dtype} skipped`);
        continue;
      }
      results.push(await measureRealShape(folder, dtype, options));
    }
  }
  return results;
}

const fmt = (v: number | undefined, digits = 2) => (v === undefined ? '—' : v.toFixed(digits));

/** A Markdown table of the results (one row per model and dtype). */
export function renderRealShapes(results: readonly RealShapeResult[]): string {
  const lines = [
    '| model | dtype | layers | ours tok/s | ÷ transformers.js | ÷ transformers.js defaults | ÷ bare loop | bare ÷ transformers.js | N=4,T=4 ÷ greedy | + path acceptance | engine ÷ model (N=8,T=4) | peak RSS MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const layers = r.shape ? `${r.shape.layers}${r.shape.layers < r.shape.fullDepth ? ` of ${r.shape.fullDepth}` : ''}` : '?';
    lines.push(
      `| ${r.folder} | ${r.dtype} | ${layers} | ${fmt(r.greedyTokensPerSecond.ours, 1)} | ${fmt(r.ratios.oursOverTransformersJs)} | ${fmt(r.ratios.oursOverTransformersJsDefaults)} | ${fmt(r.ratios.oursOverBareLoop)} | ${fmt(r.ratios.bareLoopOverTransformersJs)} | ${fmt(r.ratios.n4t4OverGreedy)} | ${fmt(r.ratios.n4t4PathAcceptanceOverGreedy)} | ${r.engineOverModelN8T4 === undefined ? '—' : `${(100 * r.engineOverModelN8T4).toFixed(1)}%`} | ${r.memory.peakRssMiB.toFixed(0)} |`,
    );
  }
  const notes = results.filter((r) => r.oursNote).map((r) => `- ${r.folder} ${r.dtype}: ours not measured — ${r.oursNote}.`);
  const backends = [...new Set(results.map((r) => r.tensorBackend).filter((b) => b !== undefined))];
  if (backends.length) notes.push(`- ReasonFlow runs: the engine's default TensorBackend, \`${backends.join('`, `')}\`.`);
  const cut = results.filter((r) => r.shape && r.shape.layers < r.shape.fullDepth).map((r) => r.folder);
  if (cut.length) notes.push(`- ${[...new Set(cut)].join(', ')}: fewer layers than the real model (same width and vocabulary).`);
  return [...lines, ...notes].join('\n');
}
