import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QUICK_GRID, renderSaved, runBenchmark } from '../src/run.js';

const dir = await mkdtemp(join(tmpdir(), 'rf-bench-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('quick mode, end to end', () => {
  it('writes JSON, SVG and Markdown with the expected structure and sane values', async () => {
    const lines: string[] = [];
    const results = await runBenchmark({
      mode: 'quick',
      outDir: dir,
      markdownPath: join(dir, 'benchmarks.md'),
      log: (l) => lines.push(l),
      settings: {
        reps: 1,
        fixedTokens: 6,
        speedMaxNewTokens: 4,
        leakRuns: 10,
        problems: 2,
        gridProblems: 1,
        samples: 2,
        sampleCounts: [2],
        maxNewTokens: 12,
      },
    });
    const json = JSON.parse(await readFile(join(dir, 'quick.json'), 'utf8'));
    expect(json).toEqual(JSON.parse(JSON.stringify(results)));
    expect(json.machine.cores).toBeGreaterThan(0);
    expect(json.machine.node).toBe(process.version);
    expect(json.machine.onnxruntimeNode).toMatch(/^\d+\.\d+/);

    const speed = json.speed;
    expect(speed.engineOverhead.identicalTokens).toBe(true);
    expect(Number.isFinite(speed.engineOverhead.overVsBareLoop)).toBe(true);
    expect(speed.batchStep.rows).toBe(4);
    expect(speed.batchStep.stepTimeRatio).toBeGreaterThan(0);
    expect(speed.batchStep.pathAcceptanceCeiling).toBeCloseTo(1 / speed.batchStep.stepTimeRatio, 12);
    expect(speed.transformersJs.identicalTokens).toBe(true);
    expect(speed.transformersJs.tokensPerSecondRatio).toBeGreaterThan(0);
    const labels = speed.configs.map((c: { label: string }) => c.label);
    expect(labels).toContain('greedy (N=1)');
    expect(labels).toContain('N=4, T=4, path acceptance');
    expect(labels).toContain('N=4, T=4, path acceptance, narrowing');
    for (const c of speed.configs) {
      expect(c.tokensPerSecondRatio).toBeGreaterThan(0);
      expect(c.forwardStepsPerToken).toBeGreaterThan(0);
      expect(c.peakRssMiB).toBeGreaterThan(0);
    }
    const n4 = speed.configs.find((c: { label: string }) => c.label === 'N=4, T=4');
    expect(n4.forwardStepsPerToken).toBeGreaterThanOrEqual(1);
    expect(n4.rowsPerToken).toBeGreaterThan(speed.configs[0].rowsPerToken);
    for (const k of speed.kv) {
      expect(k.kvOverForward).toBeGreaterThanOrEqual(0);
      expect(k.forwardMsPerIteration).toBeGreaterThan(0);
    }
    expect(speed.memory.liveTensorsAfter).toBe(0);
    expect(speed.memory.liveSequencesAfter).toBe(0);
    expect(speed.memory.rssAfterAllMiB).toBeGreaterThan(0);

    const q = json.quality;
    expect(q.splits).toEqual(['addition/easy', 'addition/hard', 'countdown/easy', 'countdown/hard']);
    const ids = q.onGridSubset.map((s: { id: string }) => s.id);
    expect(ids).toEqual(['greedy', 'sampling', 'best-of-2', 'self-consistency-2', 'pass-at-2', ...QUICK_GRID.map((g) => g.id)]);
    for (const s of q.onGridSubset) {
      expect(s.cells.all.problems).toBe(4);
      expect(s.cells.all.accuracy).toBeGreaterThanOrEqual(0);
      expect(s.cells.all.accuracy).toBeLessThanOrEqual(1);
      expect(s.cells.all.rowsPerProblem).toBeGreaterThan(0);
    }
    for (const s of q.onAllProblems) expect(s.cells.all.problems).toBe(8);
    // pass@n is a ceiling for best-of-n and self-consistency on the same samples.
    const acc = (id: string) => q.onAllProblems.find((s: { id: string }) => s.id === id).cells.all.accuracy;
    expect(acc('pass-at-2')).toBeGreaterThanOrEqual(acc('best-of-2'));
    expect(acc('pass-at-2')).toBeGreaterThanOrEqual(acc('self-consistency-2'));

    const svg = await readFile(join(dir, 'quick-accuracy-vs-compute.svg'), 'utf8');
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).not.toContain('NaN');
    const md = await readFile(join(dir, 'benchmarks.md'), 'utf8');
    expect(md).toContain('# Benchmarks');
    expect(md).toContain(json.machine.cpu);
    expect(md).toContain('quick-accuracy-vs-compute.svg');
    expect(md).toContain(`hence the ceiling of path acceptance at N=4 (one batch-4 step per committed token) ÷ greedy | ${speed.batchStep.pathAcceptanceCeiling.toFixed(2)} |`);
    expect(lines.some((l) => l.startsWith('wrote'))).toBe(true);

    // --render: the same page and chart again from the saved JSON alone.
    await rm(join(dir, 'quick-accuracy-vs-compute.svg'));
    await renderSaved(join(dir, 'quick.json'), join(dir, 'again.md'));
    expect(await readFile(join(dir, 'again.md'), 'utf8')).toBe(md);
    expect(await readFile(join(dir, 'quick-accuracy-vs-compute.svg'), 'utf8')).toBe(svg);
  });
});
