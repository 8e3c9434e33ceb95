/**
 * Step checkers for the embedded tasks: examples of the step scorers users bring to guided search
 * (a calculator, unit tests, a schema validator). Each checks one completed step of a generated trace
 * against the prompt and the trace before it — the arithmetic is right and uses what is available —
 * and never sees a reference answer: it returns 0 for a sound step and −∞ for a wrong one.
 *
 * They fit `@reasonflow/core`'s `StepScorer` (structurally; this package does not depend on core):
 * ```ts
 * generateWith(model, ids, { kind: 'guided', particles: 8, stepDelimiter: COUNTDOWN_STEP_DELIMITER,
 *   scoreStep: countdownStepScorer(prompt) }, { decode, extractAnswer });
 * ```
 */
import { parsePrompt } from './tasks.js';

/** What a step checker reads of a step (core's `StepToScore` has these fields). */
export interface StepText {
  /** Generated text before the step. */
  readonly prefixText: string;
  /** The step, its delimiter included (a final step may end with `</s>` or nothing). */
  readonly stepText: string;
}

export type StepChecker = (step: StepText) => number;

/** A Countdown step ends after `,` (first operation of a line), `;` (a missed line) or `#` (a line that reaches the target). */
export const COUNTDOWN_STEP_DELIMITER = /[,;#]$/;
/** An addition step is one column line, ending with `|`. */
export const ADDITION_STEP_DELIMITER = '|';

const REJECT = Number.NEGATIVE_INFINITY;
const OK = 0;

/** The step's text without the end-of-sequence marker. */
function clean(text: string): string {
  return text.replace(/<\/s>$/, '').replace(/\n$/, '');
}

/** Checks `x op y=r`: exact arithmetic, positive subtraction, exact division. */
function operation(text: string): { x: number; y: number; result: number } | undefined {
  const m = /^(\d+)([-+*/])(\d+)=(\d+)$/.exec(text);
  if (!m) return undefined;
  const x = Number(m[1]);
  const y = Number(m[3]);
  const r = Number(m[4]);
  const ok =
    m[2] === '+' ? x + y === r : m[2] === '-' ? x - y === r && r > 0 : m[2] === '*' ? x * y === r : y !== 0 && x % y === 0 && x / y === r;
  return ok ? { x, y, result: r } : undefined;
}

/** Removes `values` from `pool` (a multiset); false when one is not available. */
function take(pool: number[], ...values: number[]): boolean {
  for (const v of values) {
    const i = pool.indexOf(v);
    if (i < 0) return false;
    pool.splice(i, 1);
  }
  return true;
}

/**
 * A step checker for a Countdown prompt (`C:3,5,7>22=`). Each line of the trace and the answer after
 * `#` is two operations: the first on two of the given numbers, the second on its result and the
 * number left. A step is sound when its arithmetic is exact and its operands are available; a line
 * that ends with `#` must reach the prompt's target, and so must the answer's last operation.
 */
export function countdownStepScorer(prompt: string): StepChecker {
  const problem = parsePrompt(prompt);
  if (problem?.family !== 'countdown') throw new Error(`not a Countdown prompt: ${JSON.stringify(prompt)}`);
  const { numbers, target } = problem;
  return ({ prefixText, stepText }) => {
    const step = clean(stepText);
    const delimiter = /[,;#]$/.test(step) ? step[step.length - 1]! : '';
    const op = operation(delimiter ? step.slice(0, -1) : step);
    if (!op) return REJECT;
    const inAnswer = prefixText.includes('#');
    // The line so far: the text after the last line break (`;`, or `#` for the answer).
    const lineStart = Math.max(prefixText.lastIndexOf(';'), prefixText.lastIndexOf('#')) + 1;
    const line = prefixText.slice(lineStart);
    const pool = [...numbers];
    if (line === '') {
      // First operation of a line: two given numbers; a line cannot end here.
      if (!take(pool, op.x, op.y)) return REJECT;
      if (delimiter !== ',') return REJECT;
      return OK;
    }
    const first = operation(line.replace(/,$/, ''));
    if (!first || !line.endsWith(',') || !take(pool, first.x, first.y)) return REJECT;
    pool.push(first.result);
    if (!take(pool, op.x, op.y) || pool.length !== 0) return REJECT;
    const reaches = op.result === target;
    if (inAnswer) return reaches && (delimiter === '' || delimiter === ',') ? OK : REJECT;
    if (delimiter === '#' && !reaches) return REJECT; // claims success falsely
    if (delimiter === ',' || delimiter === '') return REJECT; // a line has two operations
    return OK;
  };
}

/**
 * A step checker for an addition prompt (`4071+985=`): each column line `da+db+c=SS>R:A+B|` takes the
 * last digits of the operands left, the carry of the previous line, their two-digit sum, the result
 * so far with the new digit in front, and the operands without their last digit. The final step
 * `#R` must repeat the result the lines built (consistency, not a reference answer).
 */
export function additionStepScorer(prompt: string): StepChecker {
  const problem = parsePrompt(prompt);
  if (problem?.family !== 'addition') throw new Error(`not an addition prompt: ${JSON.stringify(prompt)}`);
  return ({ prefixText, stepText }) => {
    const state = additionState(String(problem.a), String(problem.b), prefixText);
    if (!state) return REJECT;
    const step = clean(stepText);
    const done = state.a === '' && state.b === '' && state.carry === 0;
    if (step.startsWith('#')) return done && step === `#${state.result}` ? OK : REJECT;
    if (done) return REJECT;
    const m = /^(\d)\+(\d)\+(\d)=(\d\d)>(\d+):(\d*)\+(\d*)\|$/.exec(step);
    if (!m) return REJECT;
    const da = state.a === '' ? 0 : Number(state.a[state.a.length - 1]);
    const db = state.b === '' ? 0 : Number(state.b[state.b.length - 1]);
    const sum = da + db + state.carry;
    const sound =
      Number(m[1]) === da &&
      Number(m[2]) === db &&
      Number(m[3]) === state.carry &&
      m[4] === String(sum).padStart(2, '0') &&
      m[5] === `${sum % 10}${state.result}` &&
      m[6] === state.a.slice(0, -1) &&
      m[7] === state.b.slice(0, -1);
    return sound ? OK : REJECT;
  };
}

/** Operands left, carry and result after the complete lines of `prefix` (each was checked when it was scored). */
function additionState(a: string, b: string, prefix: string): { a: string; b: string; carry: number; result: string } | undefined {
  const lines = prefix.split('|').slice(0, -1);
  if (lines.length === 0) return { a, b, carry: 0, result: '' };
  const m = /(\d)\+(\d)\+(\d)=(\d\d)>(\d+):(\d*)\+(\d*)$/.exec(lines[lines.length - 1]!);
  if (!m) return undefined;
  return { a: m[6]!, b: m[7]!, carry: Math.floor(Number(m[4]) / 10), result: m[5]! };
}

/** The step checker and delimiter for a task prompt (addition or Countdown). */
export function taskStepChecker(prompt: string): { scoreStep: StepChecker; stepDelimiter: string | RegExp } {
  const family = parsePrompt(prompt)?.family;
  if (family === 'addition') return { scoreStep: additionStepScorer(prompt), stepDelimiter: ADDITION_STEP_DELIMITER };
  if (family === 'countdown') return { scoreStep: countdownStepScorer(prompt), stepDelimiter: COUNTDOWN_STEP_DELIMITER };
  throw new Error(`not a task prompt: ${JSON.stringify(prompt)}`);
}
