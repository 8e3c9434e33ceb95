import type { IterationReport } from 'reasonflow';
import { describe, expect, it } from 'vitest';
import { fitLine, type LiveViewState, type PanelStyle, pathText, renderLiveView, visibleText } from '../src/thinker-panel.js';

const EOS = 0;
const vocabulary: Record<number, string> = { 1: 'a', 2: 'b\n', 3: 'c', 4: 'd', 5: 'e' };
const style: PanelStyle = {
  width: 80,
  maxThinkerRows: 10,
  color: false,
  decode: (ids) => ids.map((id) => vocabulary[id] ?? '</s>').join(''),
  eosTokenIds: new Set([EOS]),
};

const thinker = (row: number, pathTokens: number[], combined: number, quality: number, diversity: number, rawQuality: number) => ({
  row,
  pathTokens,
  pathLogProbs: pathTokens.map(() => -0.1),
  rawQuality,
  quality,
  diversity,
  combined,
  swapped: false,
});

const report: IterationReport = {
  iteration: 5,
  thinkers: [
    thinker(0, [1, 2, 3], 0.5, 0.25, 0.1, -1.5),
    thinker(1, [1, 2, 3], 0.7, 1, 0, -0.00012),
    thinker(2, [4, EOS, 5], 0.6, 0.5, 0.8, -2.25),
    thinker(3, [1, 2, 3], 0, 0, 0, -3),
  ],
  selected: [1, 2],
  fusionWeights: [0.6, 0.4],
  committed: [1],
  temperatures: [0.7, 1.3],
  acceptanceThreshold: 0.5,
  uncertainty: 0.2,
  acceptanceRate: 0.5,
  duplicatePathShare: 0.5,
  cacheLength: 12,
};

const state: LiveViewState = {
  report,
  showThinkers: true,
  committedText: 'x = 1\ny',
  tokens: 10,
  iterations: 6,
  elapsedMs: 2000,
  maxNewTokens: 20,
};

describe('the live view panel', () => {
  it('groups identical paths, marks the selected rows, shows EOS and newlines visibly', () => {
    expect(renderLiveView(state, style)).toEqual([
      'iteration 6 · 4 thinkers, 2 distinct paths · committed "a"',
      '  row  score quality diversity      raw  path',
      '   #0   0.50    0.25      0.10    -1.50  "ab↵c"  ×3 same path',
      '★  #1   0.70    1.00      0.00  -1.2e-4  = #0',
      '+  #2   0.60    0.50      0.80    -2.25  "d" ⏎EOS',
      '   #3   0.00    0.00      0.00    -3.00  = #0',
      'answer  x = 1↵y',
      '[██████████░░░░░░░░░░] 10/20 tokens · 6 iterations · 5.0 tokens/s',
    ]);
  });

  it('dims repeated paths that were not selected when colour is on', () => {
    const lines = renderLiveView(state, { ...style, color: true });
    expect(lines[5]).toBe('\u001b[2m   #3   0.00    0.00      0.00    -3.00  = #0\u001b[22m');
    expect(lines[3]).toBe('★  #1   0.70    1.00      0.00  -1.2e-4  = #0');
  });

  it('shows only the answer and the progress for greedy and sample (no thinker rows)', () => {
    expect(renderLiveView({ ...state, showThinkers: false }, style)).toEqual([
      'answer  x = 1↵y',
      '[██████████░░░░░░░░░░] 10/20 tokens · 6 iterations · 5.0 tokens/s',
    ]);
  });

  it('before the first iteration: an empty answer and an empty bar', () => {
    expect(renderLiveView({ ...state, report: undefined, committedText: '', tokens: 0, iterations: 0, elapsedMs: 0 }, style)).toEqual([
      'answer  ',
      '[░░░░░░░░░░░░░░░░░░░░] 0/20 tokens · 0 iterations · – tokens/s',
    ]);
  });

  it('keeps the tail of a long answer in three lines that fit the width', () => {
    const lines = renderLiveView({ ...state, showThinkers: false, committedText: '0123456789'.repeat(10) }, { ...style, width: 30 });
    // 21 columns of text per line (30 - 1 - "answer  "): 63 in all, the first an ellipsis, then the last 62.
    expect(lines.slice(0, 3)).toEqual(['answer  …89012345678901234567', '        890123456789012345678', '        901234567890123456789']);
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(29);
  });

  it('lists at most maxThinkerRows rows and says how many are left out', () => {
    const lines = renderLiveView(state, { ...style, maxThinkerRows: 2 });
    expect(lines.slice(2, 5)).toEqual([
      '   #0   0.50    0.25      0.10    -1.50  "ab↵c"  ×3 same path',
      '★  #1   0.70    1.00      0.00  -1.2e-4  = #0',
      '  … 2 more thinkers',
    ]);
  });
});

describe('path and text display', () => {
  it('shows a path that starts with EOS as ⏎EOS, not ""', () => {
    expect(pathText([EOS, 1], style)).toBe('⏎EOS');
    expect(pathText([1, 3], style)).toBe('"ac"');
  });
  it('makes newlines and control characters (ESC included) visible and harmless', () => {
    expect(visibleText('a\r\nb\tc\u001b[2Jd')).toBe('a↵b c·[2Jd');
  });
  it('cuts lines to one column less than the width', () => {
    expect(fitLine('abcdefghijkl', 10)).toBe('abcdefgh…');
    expect(fitLine('abcdefghi', 10)).toBe('abcdefghi');
  });
});
