import { describe, expect, it } from 'vitest';
import { renderAccuracyChart } from '../src/chart.js';
import { aggregate, type GridEntry, type ProblemRecord, strategyOutcomes } from '../src/quality.js';

const grid: GridEntry[] = [{ id: 'rf', label: 'ReasonFlow N=2 T=2', config: { numOfThinkers: 2, numOfThoughts: 2 } }];

function sample(answer: string | null, correct: boolean, logProb: number, rows = 10) {
  return { answer, correct, logProb, rows };
}

// 1+2= → 3. Samples: wrong '4' (most likely), right '3' twice; greedy wrong.
const records: ProblemRecord[] = [
  {
    family: 'addition',
    split: 'easy',
    prompt: '1+2=',
    greedy: { correct: false, rows: 12, answer: '4' },
    samples: [sample('4', false, -1), sample('3', true, -5), sample('3', true, -4), sample(null, false, -9)],
    grid: [{ correct: true, rows: 40 }],
  },
  {
    family: 'addition',
    split: 'hard',
    prompt: '10+20=',
    greedy: { correct: true, rows: 20, answer: '30' },
    samples: [sample('30', true, -2), sample('31', false, -3), sample('31', false, -1), sample('31', false, -6)],
  },
];

describe('strategies over problem records', () => {
  const results = aggregate(records, strategyOutcomes(grid, [2, 4], 4));
  const byId = new Map(results.map((r) => [r.id, r]));
  const cell = (id: string, key: string) => byId.get(id)!.cells[key]!;

  it('greedy', () => {
    expect(cell('greedy', 'addition/easy')).toEqual({ accuracy: 0, rowsPerProblem: 12, problems: 1 });
    expect(cell('greedy', 'all')).toEqual({ accuracy: 0.5, rowsPerProblem: 16, problems: 2 });
  });
  it('sampling is the expected accuracy of one sample', () => {
    expect(cell('sampling', 'addition/easy').accuracy).toBe(0.5);
    expect(cell('sampling', 'addition/hard').accuracy).toBe(0.25);
    expect(cell('sampling', 'all').accuracy).toBe(0.375);
    expect(cell('sampling', 'all').rowsPerProblem).toBe(10);
  });
  it('best-of-n takes the highest log-probability among the first n', () => {
    expect(cell('best-of-2', 'addition/easy').accuracy).toBe(0); // '4' at -1 beats '3' at -5
    expect(cell('best-of-4', 'addition/hard').accuracy).toBe(0); // '31' at -1
    expect(cell('best-of-2', 'addition/hard').accuracy).toBe(1); // '30' at -2 beats '31' at -3
    expect(cell('best-of-4', 'all').rowsPerProblem).toBe(40);
  });
  it('pairs every strategy with greedy on the same problems', () => {
    // Easy: greedy wrong, best-of-4 wrong; hard: greedy right, best-of-4 wrong → one lost.
    expect(cell('best-of-4', 'all').vsGreedy).toEqual({ gained: 0, lost: 1 });
    // Easy: self-consistency@4 right where greedy was wrong; hard: greedy right, the vote ('31') wrong.
    expect(cell('self-consistency-4', 'all').vsGreedy).toEqual({ gained: 1, lost: 1 });
    expect(cell('greedy', 'all').vsGreedy).toBeUndefined();
    expect(cell('sampling', 'all').vsGreedy).toBeUndefined();
  });
  it('self-consistency votes on the extracted answers and checks the winner', () => {
    expect(cell('self-consistency-4', 'addition/easy').accuracy).toBe(1); // 3 ×2
    expect(cell('self-consistency-2', 'addition/easy').accuracy).toBe(0); // tie → first ('4')
    expect(cell('self-consistency-4', 'addition/hard').accuracy).toBe(0); // 31 ×3
  });
  it('pass@n is the oracle ceiling', () => {
    expect(cell('pass-at-2', 'all').accuracy).toBe(1);
    expect(cell('pass-at-4', 'all')).toEqual({ accuracy: 1, rowsPerProblem: 40, problems: 2, vsGreedy: { gained: 1, lost: 0 } });
  });
  it('ReasonFlow counts only problems that ran the grid', () => {
    expect(cell('rf', 'all')).toEqual({ accuracy: 1, rowsPerProblem: 40, problems: 1, vsGreedy: { gained: 1, lost: 0 } });
    expect(byId.get('rf')!.cells['addition/hard']).toBeUndefined();
  });

  it('the chart has one mark per strategy, inside the plot', () => {
    const svg = renderAccuracyChart(results, { title: 'test <chart>' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('test &lt;chart&gt;');
    expect((svg.match(/<g><title>/g) ?? []).length).toBe(results.length);
    for (const m of svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)) {
      expect(Number(m[1])).toBeGreaterThan(0);
      expect(Number(m[2])).toBeGreaterThan(0);
    }
    expect(svg).not.toContain('NaN');
  });
  it('the chart renders with no strategies', () => {
    expect(renderAccuracyChart([], { title: '' })).toContain('</svg>');
  });
});
