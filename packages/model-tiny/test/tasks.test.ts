import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  additionExample,
  checkAnswer,
  checkCountdownAnswer,
  countdownExample,
  EVAL_SEEDS,
  evalSet,
  extractAnswer,
  formatPrompt,
  generateExamples,
  Mulberry32,
  parsePrompt,
  TASK_FAMILIES,
  TASK_SPLITS,
  type TaskExample,
  type TaskFamily,
  type TaskSplit,
} from '../src/index.js';

interface PySample extends TaskExample {
  seed: number;
}

const pySamples: PySample[] = readFileSync(new URL('./fixtures/python-samples.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim().length > 0)
  .map((l) => JSON.parse(l) as PySample);

const ADDITION_TRACE = /^(\d\+\d\+[01]=\d\d>\d+:\d*\+\d*\|)+#\d+$/;
const COUNTDOWN_LINE = String.raw`\d+[-+*/]\d+=\d+,\d+[-+*/]\d+=\d+`;
const COUNTDOWN_TRACE = new RegExp(`^(${COUNTDOWN_LINE};)*(${COUNTDOWN_LINE})#\\2$`);

function shapeOf(ex: TaskExample): RegExp {
  return ex.family === 'addition' ? ADDITION_TRACE : COUNTDOWN_TRACE;
}

describe('Mulberry32', () => {
  it('is deterministic and uniform-ish', () => {
    const a = new Mulberry32(7);
    const b = new Mulberry32(7);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('Python fixture (tools/train-tiny-model/tasks.py)', () => {
  it('covers every family and split', () => {
    for (const f of TASK_FAMILIES) for (const s of TASK_SPLITS) {
      expect(pySamples.some((e) => e.family === f && e.split === s)).toBe(true);
    }
  });

  it('TS generators reproduce the Python examples exactly (same seed, same draws)', () => {
    const groups = new Map<string, PySample[]>();
    for (const e of pySamples) {
      const k = `${e.family}/${e.split}/${e.seed}`;
      groups.set(k, [...(groups.get(k) ?? []), e]);
    }
    for (const [k, exs] of groups) {
      const [family, split, seed] = k.split('/') as [TaskFamily, TaskSplit, string];
      const ts = generateExamples(family, split, Number(seed), exs.length);
      expect(ts.map(({ family: f, split: s, prompt, completion, answer }) => ({ f, s, prompt, completion, answer }))).toEqual(
        exs.map(({ family: f, split: s, prompt, completion, answer }) => ({ f, s, prompt, completion, answer })),
      );
    }
  });

  it('Python completions parse, match the trace format and pass the checker', () => {
    for (const e of pySamples) {
      const p = parsePrompt(e.prompt);
      expect(p?.family).toBe(e.family);
      expect(formatPrompt(p!)).toBe(e.prompt);
      expect(e.completion).toMatch(shapeOf(e));
      expect(extractAnswer(e.completion)).toBe(e.answer);
      expect(checkAnswer(e.prompt, e.completion)).toBe(true);
      expect(checkAnswer(e.prompt, `${e.completion}</s>`)).toBe(true);
    }
  });

  it('the eval seeds are the ones Python holds out', () => {
    for (const f of TASK_FAMILIES) for (const s of TASK_SPLITS) {
      const py = pySamples.filter((e) => e.family === f && e.split === s && e.seed === EVAL_SEEDS[f][s]);
      expect(py.length).toBeGreaterThan(0);
      expect(evalSet(f, s, py.length).map((e) => e.prompt)).toEqual(py.map((e) => e.prompt));
    }
  });
});

describe('generators', () => {
  it('every generated example has the family format and a correct reference', () => {
    for (const f of TASK_FAMILIES) for (const s of TASK_SPLITS) {
      for (const e of generateExamples(f, s, 99, 300)) {
        expect(e.completion).toMatch(shapeOf(e));
        expect(checkAnswer(e.prompt, e.completion)).toBe(true);
        // <s> + prompt + completion + </s> fits the context
        expect(e.prompt.length + e.completion.length + 2).toBeLessThanOrEqual(256);
      }
    }
  });

  it('splits differ as documented', () => {
    const digits = (e: TaskExample) => {
      const p = parsePrompt(e.prompt);
      return p?.family === 'addition' ? [String(p.a).length, String(p.b).length] : [];
    };
    for (const e of generateExamples('addition', 'easy', 1, 200)) for (const d of digits(e)) expect(d).toBeLessThanOrEqual(4);
    for (const e of generateExamples('addition', 'hard', 1, 200)) for (const d of digits(e)) expect(d).toBeGreaterThanOrEqual(6);
    for (const e of generateExamples('countdown', 'hard', 1, 200)) {
      const p = parsePrompt(e.prompt);
      expect(p?.family === 'countdown' && p.numbers.filter((n) => n >= 10).length >= 2).toBe(true);
    }
  });

  it('addition trace example', () => {
    expect(additionExample(4071, 985).completion).toBe(
      '1+5+0=06>6:407+98|7+8+0=15>56:40+9|0+9+1=10>056:4+|4+0+1=05>5056:+|#5056',
    );
    expect(additionExample(5, 5).completion).toBe('5+5+0=10>0:+|0+0+1=01>10:+|#10');
  });

  it('countdown trace example', () => {
    expect(countdownExample([3, 5, 7], 22)?.completion).toBe(
      '3+5=8,8+7=15;5-3=2,2*7=14;3*5=15,15+7=22#3*5=15,15+7=22',
    );
    expect(countdownExample([1, 1, 1], 50)).toBeNull();
  });
});

describe('checkers', () => {
  it('reject wrong answers', () => {
    expect(checkAnswer('4071+985=', '...#5056')).toBe(true);
    expect(checkAnswer('4071+985=', '...#5057')).toBe(false);
    expect(checkAnswer('4071+985=', 'no answer')).toBe(false);
    expect(checkAnswer('nonsense', '#1')).toBe(false);
    expect(checkAnswer('C:3,5,7>22=', 'x#5*3=15,7+15=22')).toBe(true);
    expect(checkCountdownAnswer([3, 5, 7], 22, '3*5=15,15+7=22')).toBe(true);
    expect(checkCountdownAnswer([3, 5, 7], 22, '3*5=15,15+7=23')).toBe(false); // arithmetic
    expect(checkCountdownAnswer([3, 5, 7], 22, '3*5=15,15+7=22,1+1=2')).toBe(false); // step count
    expect(checkCountdownAnswer([3, 5, 7], 22, '3*5=15,15+5=20')).toBe(false); // reuse
    expect(checkCountdownAnswer([3, 5, 7], 8, '3+5=8,8-7=1')).toBe(false); // target
    expect(checkCountdownAnswer([3, 3, 9], 1, '3-3=0,9*0=0')).toBe(false); // zero
    expect(checkCountdownAnswer([3, 2, 9], 2, '9/2=4,4-2=2')).toBe(false); // inexact division
  });

  it('extractAnswer takes the text after the last #', () => {
    expect(extractAnswer('a#b#12</s>junk')).toBe('12');
    expect(extractAnswer('a#12\nmore')).toBe('12');
    expect(extractAnswer('abc')).toBeNull();
  });
});
