import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureRealShape, renderRealShapes, runRealShapes } from '../src/real-shapes.js';
import { REAL_SHAPES_PROMPT } from '../src/real-shapes-cli.js';
import { recordRealShapes } from '../src/run.js';

// The harness on the tiny Llama conformance fixture (fp32 + fp16); the real shapes are generated on demand only.
const llama = fileURLToPath(new URL('../../../packages/model-adapter/test/fixtures/models/llama', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'rf-real-shapes-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('real-shapes speed harness (smoke test on a tiny fixture)', () => {
  it('measures ours, the bare loop and transformers.js per dtype, with agreeing tokens', async () => {
    const lines: string[] = [];
    const results = await runRealShapes({
      folders: [llama],
      dtypes: ['fp32', 'fp16'],
      reps: 1,
      tokens: 4,
      threads: 1,
      prompt: REAL_SHAPES_PROMPT,
      transformersDefaults: true,
      log: (l) => lines.push(l),
    });
    expect(results.map((r) => r.dtype)).toEqual(['fp32', 'fp16']);
    const [fp32, fp16] = results;
    expect(fp32!.identicalTokens).toEqual({ oursVsBareLoop: true, transformersJsVsBareLoop: true });
    expect(fp32!.greedyTokensPerSecond.ours).toBeGreaterThan(0);
    expect(fp32!.greedyTokensPerSecond.transformersJsDefaults).toBeGreaterThan(0);
    for (const key of ['oursOverTransformersJs', 'oursOverTransformersJsDefaults', 'oursOverBareLoop', 'n4t4OverGreedy', 'n4t4PathAcceptanceOverGreedy'] as const) {
      expect(fp32!.ratios[key]).toBeGreaterThan(0);
    }
    expect(fp32!.engineOverModelN8T4).toBeGreaterThan(0);
    expect(fp32!.tensorBackend).toBe('wasm-simd');
    expect(fp32!.memory.peakRssMiB).toBeGreaterThanOrEqual(fp32!.memory.rssAfterLoadMiB);
    // fp16: the bare loop reads float16 logits; transformers.js must pick the same tokens.
    expect(fp16!.identicalTokens.transformersJsVsBareLoop).toBe(true);
    expect(fp16!.greedyTokensPerSecond.bareLoop).toBeGreaterThan(0);
    // Ours runs model_fp16.onnx (the dtype option) and agrees.
    expect(fp16!.oursNote).toBeUndefined();
    expect(fp16!.identicalTokens.oursVsBareLoop).toBe(true);

    const table = renderRealShapes(results);
    expect(table.split('\n').filter((l) => l.startsWith('| llama |'))).toHaveLength(2);
    expect(table).toContain("the engine's default TensorBackend, `wasm-simd`");
    expect(lines.some((l) => l.includes('greedy'))).toBe(true);

    // Recorded in a copy of the saved full results: the page gains the section and the targets read off the rows.
    const json = join(dir, 'full.json');
    const markdown = join(dir, 'benchmarks.md');
    await copyFile(fileURLToPath(new URL('../results/full.json', import.meta.url)), json);
    const machine = { cpu: 'x', cores: 2, memoryGiB: 1, platform: 'p', node: 'v', onnxruntimeNode: 'o', transformersJs: 't', loadAverage: [0.5, 0.4, 0.3] };
    const settings = { reps: 1, tokens: 4, threads: 1, prompt: REAL_SHAPES_PROMPT, transformersDefaults: true };
    expect(await recordRealShapes(json, markdown, { startedAt: '2026-12-02T00:00:00.000Z', durationSeconds: 60, machine, settings, results })).toBe(true);
    const page = await readFile(markdown, 'utf8');
    expect(page).toContain('## Speed at real model shapes');
    expect(page).toContain('## Reasoning quality against compute');
    expect(page.split('\n').filter((l) => l.startsWith('| llama |'))).toHaveLength(2);
    const vsTransformers = fp32!.ratios.oursOverTransformersJs! >= 1 && fp16!.ratios.oursOverTransformersJs! >= 1;
    expect(page).toMatch(new RegExp(`greedy ≥ 1\\.0× transformers\\.js at equal settings: ${vsTransformers ? 'met' : 'missed on'}`));
    expect(page).toContain(`llama fp32 ${fp32!.ratios.oursOverTransformersJs!.toFixed(2)}×`);
    expect(page).toContain("engine's own time ≤ 3% of model time at N=8, T=4 (135M shape): not measured.");
    expect(JSON.parse(await readFile(json, 'utf8')).realShapes.results).toHaveLength(2);
    expect(await recordRealShapes(join(dir, 'absent.json'), markdown, { startedAt: '', durationSeconds: 0, machine, settings, results })).toBe(false);
  }, 120_000);

  it('uses a generated folder as is, without regenerating it', async () => {
    const folder = join(dir, 'smollm-135m-L2');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'real-shape.json'), '{}');
    const logged: string[] = [];
    expect(await ensureRealShape(dir, 'smollm-135m', 2, (l) => logged.push(l))).toBe(folder);
    expect(logged).toEqual([]);
  });
});
