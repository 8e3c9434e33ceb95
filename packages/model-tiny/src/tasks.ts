/**
 * Synthetic reasoning tasks of the tiny model: generators, prompt formatting, answer
 * extraction and checkers. Mirrors tools/train-tiny-model/tasks.py exactly (same PRNG,
 * same draws, same trace format), so a (family, split, seed) gives the same examples in
 * both languages.
 *
 * addition:  `4071+985=` → `1+5+0=06>6:407+98|7+8+0=15>56:40+9|0+9+1=10>056:4+|4+0+1=05>5056:+|#5056`
 * countdown: `C:3,5,7>22=` → `3+5=8,8+7=15;5-3=2,2*7=14;3*5=15,15+7=22#3*5=15,15+7=22`
 */
import { Mulberry32 } from './rng.js';

export type TaskFamily = 'addition' | 'countdown';
export type TaskSplit = 'easy' | 'hard';

export const TASK_FAMILIES: readonly TaskFamily[] = ['addition', 'countdown'];
export const TASK_SPLITS: readonly TaskSplit[] = ['easy', 'hard'];

/** One problem with its reference completion (trace, `#`, final answer). */
export interface TaskExample {
  family: TaskFamily;
  split: TaskSplit;
  /** What the model is given (after `<s>`), e.g. `4071+985=` or `C:3,5,7>22=`. */
  prompt: string;
  /** The reference continuation: step-by-step trace, then `#` and the answer (no `</s>`). */
  completion: string;
  /** The reference final answer (the text after `#`). */
  answer: string;
}

export type TaskProblem =
  | { family: 'addition'; a: number; b: number }
  | { family: 'countdown'; numbers: number[]; target: number };

/**
 * Operand digit counts per split (inclusive). Training saw operands of up to 7 digits only,
 * so the hard split's 8-digit operands test length generalization.
 */
export const ADDITION_DIGITS: Readonly<Record<TaskSplit, readonly [number, number]>> = {
  easy: [1, 4],
  hard: [6, 8],
};

export interface CountdownSplitConfig {
  /** Numbers are drawn uniformly from [lo, hi]. */
  lo: number;
  hi: number;
  /** At least this many numbers are >= 10. */
  minBig: number;
  /** Target range (inclusive). */
  tmin: number;
  tmax: number;
}

export const COUNTDOWN_SPLITS: Readonly<Record<TaskSplit, CountdownSplitConfig>> = {
  easy: { lo: 1, hi: 9, minBig: 0, tmin: 10, tmax: 100 },
  hard: { lo: 2, hi: 19, minBig: 2, tmin: 10, tmax: 200 },
};

export const COUNTDOWN_PREFIX = 'C:';
const OPS = ['+', '-', '*', '/'] as const;
type Op = (typeof OPS)[number];

/** Seeds of the held-out evaluation sets; the first 1000 problems of each are never trained on. */
export const EVAL_SEEDS: Readonly<Record<TaskFamily, Readonly<Record<TaskSplit, number>>>> = {
  addition: { easy: 1001, hard: 1002 },
  countdown: { easy: 2001, hard: 2002 },
};

// ------------------------------------------------------------------ addition

function additionOperand(rng: Mulberry32, digits: number): number {
  if (digits === 1) return rng.randint(0, 9);
  return rng.randint(10 ** (digits - 1), 10 ** digits - 1);
}

/** The column-by-column carry trace for a + b (without `#` and the answer). */
export function additionTrace(a: number, b: number): string {
  let A = String(a);
  let B = String(b);
  let R = '';
  let carry = 0;
  let out = '';
  while (A.length > 0 || B.length > 0 || carry > 0) {
    const da = A.length > 0 ? Number(A[A.length - 1]) : 0;
    const db = B.length > 0 ? Number(B[B.length - 1]) : 0;
    const s = da + db + carry;
    A = A.slice(0, -1);
    B = B.slice(0, -1);
    R = String(s % 10) + R;
    out += `${da}+${db}+${carry}=${String(s).padStart(2, '0')}>${R}:${A}+${B}|`;
    carry = Math.floor(s / 10);
  }
  return out;
}

export function additionExample(a: number, b: number, split: TaskSplit = 'easy'): TaskExample {
  const answer = String(a + b);
  return {
    family: 'addition',
    split,
    prompt: formatPrompt({ family: 'addition', a, b }),
    completion: `${additionTrace(a, b)}#${answer}`,
    answer,
  };
}

function generateAddition(rng: Mulberry32, split: TaskSplit): TaskExample {
  const [lo, hi] = ADDITION_DIGITS[split];
  const a = additionOperand(rng, rng.randint(lo, hi));
  const b = additionOperand(rng, rng.randint(lo, hi));
  return additionExample(a, b, split);
}

// ------------------------------------------------------------------ countdown

/** A canonical step on x, y (a-b and a/b larger first): [left, right, result], or null if invalid. */
function applyOp(x: number, y: number, op: Op): [number, number, number] | null {
  if (op === '+') return [x, y, x + y];
  if (op === '*') return [x, y, x * y];
  const [big, small] = x >= y ? [x, y] : [y, x];
  if (op === '-') return big === small ? null : [big, small, big - small];
  return small > 0 && big % small === 0 ? [big, small, big / small] : null;
}

function countdownLine(
  nums: readonly number[],
  i: number,
  j: number,
  op: Op,
  target: number,
): { text: string; value: number } | null {
  const first = applyOp(nums[i]!, nums[j]!, op);
  if (first === null) return null;
  const [l1, r1, v1] = first;
  const n = nums.filter((_, k) => k !== i && k !== j)[0]!;
  let best: { op: Op; step: [number, number, number] } | null = null;
  for (const op2 of OPS) {
    const st = applyOp(v1, n, op2);
    if (st === null) continue;
    if (best === null || Math.abs(st[2] - target) < Math.abs(best.step[2] - target)) best = { op: op2, step: st };
  }
  const [l2, r2, v2] = best!.step;
  return { text: `${l1}${op}${r1}=${v1},${l2}${best!.op}${r2}=${v2}`, value: v2 };
}

/**
 * The search trace for a 3-number Countdown problem: depth-first over the first step
 * (pairs in index order, ops + - * /), each first step completed by the op closest to
 * the target; missed lines end with `;`. Returns null when no line reaches the target.
 */
export function countdownTrace(numbers: readonly number[], target: number): { trace: string; answer: string } | null {
  let lines = '';
  for (let i = 0; i < numbers.length; i++) {
    for (let j = i + 1; j < numbers.length; j++) {
      for (const op of OPS) {
        const res = countdownLine(numbers, i, j, op, target);
        if (res === null) continue;
        if (res.value === target) return { trace: lines + res.text, answer: res.text };
        lines += `${res.text};`;
      }
    }
  }
  return null;
}

export function countdownExample(
  numbers: readonly number[],
  target: number,
  split: TaskSplit = 'easy',
): TaskExample | null {
  const res = countdownTrace(numbers, target);
  if (res === null) return null;
  return {
    family: 'countdown',
    split,
    prompt: formatPrompt({ family: 'countdown', numbers: [...numbers], target }),
    completion: `${res.trace}#${res.answer}`,
    answer: res.answer,
  };
}

function generateCountdown(rng: Mulberry32, split: TaskSplit): TaskExample {
  const cfg = COUNTDOWN_SPLITS[split];
  for (;;) {
    const nums = [rng.randint(cfg.lo, cfg.hi), rng.randint(cfg.lo, cfg.hi), rng.randint(cfg.lo, cfg.hi)];
    const i = rng.randint(0, 2);
    let j = rng.randint(0, 1);
    if (j >= i) j += 1;
    const op1 = OPS[rng.randint(0, 3)]!;
    const op2 = OPS[rng.randint(0, 3)]!;
    if (nums.filter((n) => n >= 10).length < cfg.minBig) continue;
    const first = applyOp(nums[i]!, nums[j]!, op1);
    if (first === null) continue;
    const n = nums[3 - i - j]!;
    const second = applyOp(first[2], n, op2);
    if (second === null) continue;
    const target = second[2];
    if (target < cfg.tmin || target > cfg.tmax) continue;
    const ex = countdownExample(nums, target, split);
    if (ex !== null) return ex;
  }
}

// ------------------------------------------------------------------ datasets

/** Draws one example of a family/split from `rng` (same draws as the Python generator). */
export function generateExample(family: TaskFamily, split: TaskSplit, rng: Mulberry32): TaskExample {
  if (family === 'addition') return generateAddition(rng, split);
  if (family === 'countdown') return generateCountdown(rng, split);
  throw new Error(`unknown task family: ${String(family)}`);
}

/** `count` examples drawn with a fresh `Mulberry32(seed)`. */
export function generateExamples(family: TaskFamily, split: TaskSplit, seed: number, count: number): TaskExample[] {
  const rng = new Mulberry32(seed);
  const out: TaskExample[] = [];
  for (let k = 0; k < count; k++) out.push(generateExample(family, split, rng));
  return out;
}

/** The first `count` (<= 1000 are guaranteed unseen in training) held-out evaluation problems. */
export function evalSet(family: TaskFamily, split: TaskSplit, count: number): TaskExample[] {
  return generateExamples(family, split, EVAL_SEEDS[family][split], count);
}

// ------------------------------------------------------------------ prompts and checking

export function formatPrompt(problem: TaskProblem): string {
  if (problem.family === 'addition') return `${problem.a}+${problem.b}=`;
  return `${COUNTDOWN_PREFIX}${problem.numbers.join(',')}>${problem.target}=`;
}

export function parsePrompt(prompt: string): TaskProblem | null {
  let m = /^(\d+)\+(\d+)=$/.exec(prompt);
  if (m) return { family: 'addition', a: Number(m[1]), b: Number(m[2]) };
  m = /^C:(\d+(?:,\d+)*)>(\d+)=$/.exec(prompt);
  if (m) return { family: 'countdown', numbers: m[1]!.split(',').map(Number), target: Number(m[2]) };
  return null;
}

/** The final answer of a generated text: what follows the last `#`, up to a newline or `</s>`. */
export function extractAnswer(text: string): string | null {
  const k = text.lastIndexOf('#');
  if (k < 0) return null;
  let ans = text.slice(k + 1);
  for (const stop of ['</s>', '\n']) {
    const p = ans.indexOf(stop);
    if (p >= 0) ans = ans.slice(0, p);
  }
  return ans.trim();
}

/**
 * Checks a Countdown answer `x op y=r,...`: every step exact arithmetic on available
 * numbers (subtraction positive, division exact), every given number used exactly once,
 * last result equal to the target.
 */
export function checkCountdownAnswer(numbers: readonly number[], target: number, answer: string): boolean {
  const pool = [...numbers];
  const steps = answer.split(',');
  if (steps.length !== numbers.length - 1) return false;
  let value: number | null = null;
  for (const st of steps) {
    const m = /^(\d+)([-+*/])(\d+)=(\d+)$/.exec(st);
    if (!m) return false;
    const x = Number(m[1]);
    const op = m[2];
    const y = Number(m[3]);
    const r = Number(m[4]);
    for (const v of [x, y]) {
      const idx = pool.indexOf(v);
      if (idx < 0) return false;
      pool.splice(idx, 1);
    }
    let ok: boolean;
    if (op === '+') ok = x + y === r;
    else if (op === '-') ok = x - y === r && r > 0;
    else if (op === '*') ok = x * y === r;
    else ok = y !== 0 && x % y === 0 && x / y === r;
    if (!ok) return false;
    pool.push(r);
    value = r;
  }
  return pool.length === 1 && value === target;
}

/** Is the final answer in the generated `text` (trace + `#answer`) correct for `prompt`? */
export function checkAnswer(prompt: string, text: string): boolean {
  const p = parsePrompt(prompt);
  const ans = extractAnswer(text);
  if (p === null || ans === null) return false;
  if (p.family === 'addition') return ans === String(p.a + p.b);
  return checkCountdownAnswer(p.numbers, p.target, ans);
}

/** The family a prompt belongs to, or null if it is no task prompt. */
export function taskFamilyOf(prompt: string): TaskFamily | null {
  return parsePrompt(prompt)?.family ?? null;
}
