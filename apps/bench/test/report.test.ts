import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../src/report.js';
import type { BenchResults } from '../src/run.js';

const saved = JSON.parse(await readFile(new URL('../results/full.json', import.meta.url), 'utf8')) as BenchResults;

describe('docs/benchmarks.md rendering', () => {
  it('says which parts an earlier run measured', () => {
    const page = renderReport({ ...saved, carriedOver: { quality: '2026-11-23T21:11:53.585Z' } }, 'chart.svg');
    expect(page).toContain('This run measured only part of the page; it keeps the quality part from the run of 2026-11-23T21:11:53.585Z.');
    // The saved run may itself carry a part over; a run that measured everything says nothing.
    const { carriedOver: _carried, ...measuredWhole } = saved;
    expect(renderReport(measuredWhole, 'chart.svg')).not.toContain('measured only part of the page');
  });
});
