import { describe, expect, it } from 'vitest';
import {
  ADDITION_STEP_DELIMITER,
  additionStepScorer,
  COUNTDOWN_STEP_DELIMITER,
  countdownStepScorer,
  generateExamples,
  type StepChecker,
  type TaskExample,
  taskStepChecker,
} from '../src/index.js';

/** Splits a completion into steps the way guided search does (a step ends where the delimiter matches). */
function steps(completion: string, delimiter: string | RegExp): string[] {
  const out: string[] = [];
  let step = '';
  for (const ch of completion) {
    step += ch;
    if (typeof delimiter === 'string' ? step.endsWith(delimiter) : delimiter.test(step)) {
      out.push(step);
      step = '';
    }
  }
  if (step) out.push(step);
  return out;
}

/** Each step's score, given the text before it. */
function scores(checker: StepChecker, stepTexts: readonly string[]): number[] {
  let prefixText = '';
  return stepTexts.map((stepText) => {
    const s = checker({ prefixText, stepText });
    prefixText += stepText;
    return s;
  });
}

// Seeds apart from the evaluation sets (EVAL_SEEDS 1001/1002/2001/2002).
const countdown = [...generateExamples('countdown', 'easy', 71, 40), ...generateExamples('countdown', 'hard', 72, 40)];
const addition = [...generateExamples('addition', 'easy', 73, 40), ...generateExamples('addition', 'hard', 74, 40)];

/** Changes the digit at `index` of the text (to the next digit). */
function bumpDigit(text: string, index: number): string {
  return text.slice(0, index) + String((Number(text[index]) + 1) % 10) + text.slice(index + 1);
}

function corruptions(example: TaskExample, delimiter: string | RegExp, checker: StepChecker) {
  const parts = steps(example.completion, delimiter);
  let rejected = 0;
  let tried = 0;
  parts.forEach((part, i) => {
    const digits = [...part].flatMap((ch, j) => (/\d/.test(ch) ? [j] : []));
    for (const j of digits) {
      const corrupted = [...parts];
      corrupted[i] = bumpDigit(part, j);
      tried++;
      if (scores(checker, corrupted)[i] === Number.NEGATIVE_INFINITY) rejected++;
    }
  });
  return { rejected, tried };
}

describe('Countdown step checker', () => {
  it('accepts every step of correct traces and their answers (with or without </s>)', () => {
    for (const example of countdown) {
      const checker = countdownStepScorer(example.prompt);
      expect(scores(checker, steps(example.completion, COUNTDOWN_STEP_DELIMITER)).every((s) => s === 0)).toBe(true);
      expect(scores(checker, steps(`${example.completion}</s>`, COUNTDOWN_STEP_DELIMITER)).every((s) => s === 0)).toBe(true);
    }
  });

  it('rejects a step whose digit was changed, in nearly every place', () => {
    let rejected = 0;
    let tried = 0;
    for (const example of countdown) {
      const r = corruptions(example, COUNTDOWN_STEP_DELIMITER, countdownStepScorer(example.prompt));
      rejected += r.rejected;
      tried += r.tried;
    }
    // A changed digit can still be sound arithmetic on available numbers (e.g. 3+5=8 → 4+5=9 with a 4 given).
    expect(rejected / tried).toBeGreaterThan(0.9);
  });

  it('rejects numbers that are not available, reuse, a false success and a wrong answer', () => {
    const check = countdownStepScorer('C:3,5,7>22=');
    expect(check({ prefixText: '', stepText: '3+5=8,' })).toBe(0);
    expect(check({ prefixText: '', stepText: '3+4=7,' })).toBe(Number.NEGATIVE_INFINITY); // 4 is not given
    expect(check({ prefixText: '', stepText: '3+3=6,' })).toBe(Number.NEGATIVE_INFINITY); // 3 given once
    expect(check({ prefixText: '3+5=8,', stepText: '8+7=15;' })).toBe(0);
    expect(check({ prefixText: '3+5=8,', stepText: '8+5=13;' })).toBe(Number.NEGATIVE_INFINITY); // 5 already used
    expect(check({ prefixText: '3+5=8,', stepText: '8+7=15#' })).toBe(Number.NEGATIVE_INFINITY); // 15 is not 22
    expect(check({ prefixText: '3*5=15,', stepText: '15+7=22#' })).toBe(0);
    expect(check({ prefixText: '3*5=15,15+7=22#3+5=8,', stepText: '8+7=15' })).toBe(Number.NEGATIVE_INFINITY);
    expect(check({ prefixText: '', stepText: '5-7=2,' })).toBe(Number.NEGATIVE_INFINITY); // negative
    expect(check({ prefixText: '', stepText: '7/3=2,' })).toBe(Number.NEGATIVE_INFINITY); // inexact
    expect(check({ prefixText: '', stepText: '3+5=8;' })).toBe(Number.NEGATIVE_INFINITY); // a line has two operations
    expect(check({ prefixText: '', stepText: 'x' })).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('addition step checker', () => {
  it('accepts every column line of correct traces and the final answer', () => {
    for (const example of addition) {
      const checker = additionStepScorer(example.prompt);
      expect(scores(checker, steps(example.completion, ADDITION_STEP_DELIMITER)).every((s) => s === 0)).toBe(true);
    }
  });

  it('rejects every changed digit', () => {
    for (const example of addition) {
      const r = corruptions(example, ADDITION_STEP_DELIMITER, additionStepScorer(example.prompt));
      expect(r.rejected).toBe(r.tried);
    }
  });

  it('rejects a skipped column, an extra line and an early answer', () => {
    const example = addition[5]!;
    const parts = steps(example.completion, ADDITION_STEP_DELIMITER);
    const checker = additionStepScorer(example.prompt);
    expect(scores(checker, [parts[1]!])[0]).toBe(Number.NEGATIVE_INFINITY);
    expect(scores(checker, [...parts.slice(0, -1), parts[parts.length - 2]!])[parts.length - 1]).toBe(Number.NEGATIVE_INFINITY);
    expect(scores(checker, [parts[0]!, parts[parts.length - 1]!])[1]).toBe(Number.NEGATIVE_INFINITY);
  });

  it('taskStepChecker picks the checker and delimiter by prompt', () => {
    expect(taskStepChecker('12+3=').stepDelimiter).toBe('|');
    expect(taskStepChecker('C:3,5,7>22=').stepDelimiter).toBe(COUNTDOWN_STEP_DELIMITER);
    expect(() => taskStepChecker('hello')).toThrow(/not a task prompt/);
  });
});
