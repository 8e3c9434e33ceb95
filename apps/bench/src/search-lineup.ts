/**
 * The strategies of the search benchmark (issue 15), each a library strategy (`generateWith`) built
 * per problem: the task's step checker and final-answer checker are what a user of the embedded tasks
 * brings. Settings are the library's defaults or the issue's; none was tuned on evaluation problems.
 */
import type { StrategyInput } from '@reasonflow/core';
import { checkAnswer, taskStepChecker } from '@reasonflow/model-tiny';

/** Which table a strategy belongs to: does it read anything but the model (a checker)? */
export type SearchFamily = 'baseline' | 'verifier-free' | 'verifier-guided';

export type SearchKind =
  | 'greedy'
  | 'self-consistency'
  | 'best-of-n'
  | 'best-of-n-checker'
  | 'reasonflow'
  | 'reasonflow-ranked'
  | 'guided-checker'
  | 'guided-verifier-free'
  | 'deepconf';

export const SEARCH_KINDS: readonly SearchKind[] = [
  'greedy',
  'self-consistency',
  'best-of-n',
  'best-of-n-checker',
  'reasonflow',
  'reasonflow-ranked',
  'guided-checker',
  'guided-verifier-free',
  'deepconf',
];

/** The strategies run on saturated splits (once): the baselines and the new strategies, not the ReasonFlow variants. */
export const MAIN_KINDS: readonly SearchKind[] = ['greedy', 'self-consistency', 'best-of-n', 'best-of-n-checker', 'guided-checker', 'guided-verifier-free', 'deepconf'];

export const FAMILY_OF: Readonly<Record<SearchKind, SearchFamily>> = {
  greedy: 'baseline',
  'self-consistency': 'verifier-free',
  'best-of-n': 'verifier-free',
  'best-of-n-checker': 'verifier-guided',
  reasonflow: 'verifier-free',
  'reasonflow-ranked': 'verifier-free',
  'guided-checker': 'verifier-guided',
  'guided-verifier-free': 'verifier-free',
  deepconf: 'verifier-free',
};

/** ReasonFlow's lookahead per iteration in the benchmark (the 4×4 setting at N=4). */
export const REASONFLOW_THOUGHTS = 4;

/** One strategy at one N. */
export interface LineupEntry {
  id: string;
  label: string;
  kind: SearchKind;
  /** Rows (samples, thinkers, particles); 1 for greedy. */
  n: number;
}

export function lineupEntry(kind: SearchKind, n: number): LineupEntry {
  if (kind === 'greedy') return { id: 'greedy', label: 'greedy', kind, n: 1 };
  const label: Record<Exclude<SearchKind, 'greedy'>, string> = {
    'self-consistency': `SC@${n}`,
    'best-of-n': `best-of-${n} (log-prob)`,
    'best-of-n-checker': `best-of-${n} + final checker (= pass@${n})`,
    reasonflow: `ReasonFlow ${n}×${REASONFLOW_THOUGHTS}`,
    'reasonflow-ranked': `ReasonFlow ${n}×${REASONFLOW_THOUGHTS} ranked`,
    'guided-checker': `guided N=${n} + step checker`,
    'guided-verifier-free': `guided N=${n} verifier-free`,
    deepconf: `DeepConf ${n / 2} rows, SC@${n} budget`,
  };
  return { id: `${kind}-${n}`, label: label[kind], kind, n };
}

/** The library strategy of an entry on a prompt. `scBudget`: SC@n's row-positions on this problem and seed. */
export function strategyFor(entry: LineupEntry, prompt: string, seed: number, scBudget: number | undefined): StrategyInput {
  const { n } = entry;
  switch (entry.kind) {
    case 'greedy':
      return { kind: 'greedy' };
    case 'self-consistency':
      return { kind: 'self-consistency', n };
    case 'best-of-n':
      return { kind: 'best-of-n', n };
    case 'best-of-n-checker':
      // The final-answer checker as the scorer: best-of-N is right exactly when any sample is (pass@N).
      return { kind: 'best-of-n', n, scorer: ({ text }) => (checkAnswer(prompt, text) ? 1 : 0) };
    case 'reasonflow':
      return { kind: 'reasonflow', config: { numOfThinkers: n, numOfThoughts: REASONFLOW_THOUGHTS, seed } };
    case 'reasonflow-ranked':
      return { kind: 'reasonflow', config: { numOfThinkers: n, numOfThoughts: REASONFLOW_THOUGHTS, seed, branching: 'ranked' } };
    case 'guided-checker': {
      const { scoreStep, stepDelimiter } = taskStepChecker(prompt);
      return { kind: 'guided', particles: n, stepDelimiter, scoreStep };
    }
    case 'guided-verifier-free':
      // The task's step delimiter (the trace format), not its checker.
      return { kind: 'guided', particles: n, stepDelimiter: taskStepChecker(prompt).stepDelimiter, scoreStep: 'verifier-free' };
    case 'deepconf':
      if (scBudget === undefined) throw new Error('deepconf needs SC@n compute as its budget');
      // Half the rows: the warm-up wave spends about half of SC@n's compute, early termination the rest.
      return { kind: 'deepconf', rows: Math.max(1, n / 2), budget: scBudget };
  }
}
