import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureRealShape, renderRealShapes, runRealShapes } from '../src/real-shapes.js';
import { REAL_SHAPES_PROMPT } from '../src/real-shapes-cli.js';

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
    expect(fp32!.memory.peakRssMiB).toBeGreaterThanOrEqual(fp32!.memory.rssAfterLoadMiB);
    // fp16: the bare loop reads float16 logits; transformers.js must pick the same tokens.
    expect(fp16!.identicalTokens.transformersJsVsBareLoop).toBe(true);
    expect(fp16!.greedyTokensPerSecond.bareLoop).toBeGreaterThan(0);
    // Ours either runs model_fp16.onnx (and agrees) or says why it did not.
    if (fp16!.oursNote === undefined) expect(fp16!.identicalTokens.oursVsBareLoop).toBe(true);
    else expect(fp16!.oursNote).toMatch(/model_fp16\.onnx/);

    const table = renderRealShapes(results);
    expect(table.split('\n').filter((l) => l.startsWith('| llama |'))).toHaveLength(2);
    expect(lines.some((l) => l.includes('greedy'))).toBe(true);
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
