/**
 * The strategies the demo offers, named and defaulted as the CLI's `--strategy` and its flags, and the
 * library calls they stand for. Pure (no DOM), so the page and the tests build the same calls.
 */
import { extractAnswer, parsePrompt, taskStepChecker } from '@reasonflow/model-tiny';
import { ConfigError, parseStepDelimiter, type ReasonFlowConfigInput, type StrategyInput } from 'reasonflow';

/** The CLI's `--strategy` values, in its order. */
export const STRATEGIES = ['greedy', 'sample', 'best-of-n', 'self-consistency', 'reasonflow', 'guided', 'deepconf'] as const;
export type Strategy = (typeof STRATEGIES)[number];
/** The strategies that run N rows through the facade's `search` (the rest run `generateThoughts`). */
export type SearchStrategy = 'best-of-n' | 'self-consistency' | 'guided' | 'deepconf';
export const isSearchStrategy = (strategy: Strategy): strategy is SearchStrategy =>
  strategy === 'best-of-n' || strategy === 'self-consistency' || strategy === 'guided' || strategy === 'deepconf';

export const STRATEGY_LABELS: Readonly<Record<Strategy, string>> = {
  greedy: 'greedy',
  sample: 'sampling',
  'best-of-n': 'best-of-N',
  'self-consistency': 'self-consistency',
  reasonflow: 'ReasonFlow',
  guided: 'guided search (particle filtering)',
  deepconf: 'DeepConf (confidence-weighted vote)',
};

/** One line per strategy, as the CLI's --help says it. */
export const STRATEGY_HELP: Readonly<Record<Strategy, string>> = {
  greedy: 'one thinker, the most likely token each step',
  sample: 'one thinker, sampled tokens',
  'best-of-n': 'N samples, the most likely wins',
  'self-consistency': 'N samples, the majority answer',
  reasonflow: 'several thinkers look ahead; the best paths are fused',
  guided: 'N particles resampled at each step by a scorer',
  deepconf: 'confidence-weighted vote, low-confidence traces stop',
};

const SEARCH: readonly Strategy[] = ['best-of-n', 'self-consistency', 'guided', 'deepconf'];
const SAMPLED: readonly Strategy[] = ['sample', ...SEARCH];

/** A control of a non-ReasonFlow strategy; `flag` is the CLI flag's name (and the input's id, `opt-<flag>`). */
export interface OptionField {
  readonly flag: string;
  readonly type: 'integer' | 'decimal' | 'text' | 'choice' | 'boolean';
  readonly strategies: readonly Strategy[];
  readonly help: string;
  /** The value the form starts with ('' = the library's default, shown as the placeholder). */
  readonly initial: string | boolean;
  readonly choices?: readonly string[];
  /** What an empty input means, per strategy. */
  readonly placeholder?: (strategy: Strategy) => string;
}

export const OPTION_FIELDS: readonly OptionField[] = [
  { flag: 'samples', type: 'integer', strategies: SEARCH, initial: '8', help: 'N: samples (best-of-n, self-consistency), particles (guided), rows (deepconf)' },
  {
    flag: 'scorer',
    type: 'choice',
    strategies: ['guided'],
    initial: 'confidence',
    choices: ['confidence', 'checker'],
    help: "confidence: verifier-free (a step's mean log-probability); checker: the embedded model's step checker (task prompts only)",
  },
  {
    flag: 'step-delimiter',
    type: 'text',
    strategies: ['guided', 'deepconf'],
    initial: '',
    placeholder: () => 'task / \\n',
    help: 'where a step ends: text (\\n, \\t escapes) or /regex/ (default: the task\'s step on a task prompt, else a newline)',
  },
  { flag: 'answer', type: 'boolean', strategies: ['best-of-n', 'guided'], initial: false, help: "extract final answers with the embedded model's extractAnswer (implied by self-consistency and deepconf)" },
  { flag: 'temperature', type: 'decimal', strategies: SAMPLED, initial: '', placeholder: (s) => (s === 'sample' ? '1' : '0.8'), help: 'sampling temperature' },
  { flag: 'top-k', type: 'integer', strategies: SAMPLED, initial: '', placeholder: () => '0 (off)', help: 'keep the k most likely tokens' },
  { flag: 'top-p', type: 'decimal', strategies: SAMPLED, initial: '', placeholder: () => '1 (off)', help: 'nucleus sampling' },
  { flag: 'min-p', type: 'decimal', strategies: SAMPLED, initial: '', placeholder: () => '0 (off)', help: "drop tokens below min-p × the top token's probability" },
  { flag: 'repetition-penalty', type: 'decimal', strategies: ['sample'], initial: '', placeholder: () => '1 (off)', help: 'penalise tokens already generated' },
  { flag: 'sampling-seed', type: 'integer', strategies: SAMPLED, initial: '', placeholder: () => '3407', help: 'seed of the sampler' },
];

/** The form's raw values by flag: strings from inputs and selects, booleans from checkboxes. */
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

type AnswerExtractor = (text: string) => string | null;

/** What one run calls: `generateThoughts` (greedy, sample, reasonflow) or `search`. */
export type RunPlan =
  | {
      readonly call: 'generateThoughts';
      readonly config: ReasonFlowConfigInput;
      readonly doSample: boolean;
      readonly sampling: { temperature?: number; topK?: number; topP?: number; minP?: number; repetitionPenalty?: number };
      readonly samplingSeed: number | undefined;
    }
  | {
      readonly call: 'search';
      readonly strategy: StrategyInput;
      readonly extractAnswer: AnswerExtractor | undefined;
      readonly seed: number | undefined;
    };

const FIELD_NAMES: Readonly<Record<string, string>> = {
  temperature: 'temperature',
  'top-k': 'topK',
  'top-p': 'topP',
  'min-p': 'minP',
  'repetition-penalty': 'repetitionPenalty',
  'sampling-seed': 'samplingSeed',
};

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A number field's value: '' means the default; anything else goes to the library as a number, so its
 * validation (ranges, whole numbers) speaks.
 * @throws ConfigError when the text is not a number at all
 */
function numberOf(field: string, text: string | boolean | undefined): number | undefined {
  if (text === undefined || text === '' || typeof text === 'boolean') return undefined;
  // Plain decimals as the CLI takes them: Number() alone would also read '0x4', '1e1' and 'Infinity'.
  if (!DECIMAL.test(text)) throw new ConfigError(field, text, 'a plain decimal number');
  return Number(text);
}

/**
 * The library call a strategy and its form values stand for, as the CLI builds it from the same
 * flags. `config` is the ReasonFlow settings form (used by reasonflow; greedy and sample keep only its seed).
 * @throws ConfigError for a value the page itself must interpret (a checker without a task prompt, a bad regex)
 */
export function planRun(strategy: Strategy, values: OptionValues, prompt: string, config: ReasonFlowConfigInput): RunPlan {
  const sampling: Record<string, number> = {};
  for (const flag of ['temperature', 'top-k', 'top-p', 'min-p', 'repetition-penalty'] as const) {
    const value = numberOf(FIELD_NAMES[flag]!, values[flag]);
    if (value !== undefined && OPTION_FIELDS.find((f) => f.flag === flag)!.strategies.includes(strategy)) sampling[FIELD_NAMES[flag]!] = value;
  }
  const seed = numberOf('samplingSeed', values['sampling-seed']);
  switch (strategy) {
    case 'reasonflow':
      return { call: 'generateThoughts', config, doSample: false, sampling: {}, samplingSeed: undefined };
    case 'greedy':
    case 'sample': {
      // One thinker without lookahead acceptance: the CLI's greedy and sample.
      const single: ReasonFlowConfigInput = { ...(config.seed !== undefined ? { seed: config.seed } : {}), numOfThinkers: 1, topkThinkers: 1, pathAcceptance: false };
      return strategy === 'greedy'
        ? { call: 'generateThoughts', config: single, doSample: false, sampling: {}, samplingSeed: undefined }
        : { call: 'generateThoughts', config: single, doSample: true, sampling, samplingSeed: seed };
    }
    default:
      return { call: 'search', ...searchStrategy(strategy, values, prompt, sampling), seed };
  }
}

function searchStrategy(
  strategy: SearchStrategy,
  values: OptionValues,
  prompt: string,
  sampling: Record<string, number>,
): { strategy: StrategyInput; extractAnswer: AnswerExtractor | undefined } {
  // '' or unparsable leaves n undefined: the library then names the missing field.
  const n = numberOf('samples', values.samples) as number;
  const delimiterText = typeof values['step-delimiter'] === 'string' ? values['step-delimiter'] : '';
  const delimiter = delimiterText === '' ? undefined : parseStepDelimiter(delimiterText);
  const taskPrompt = parsePrompt(prompt) !== null;
  const answer = strategy === 'self-consistency' || strategy === 'deepconf' || values.answer === true ? extractAnswer : undefined;
  switch (strategy) {
    case 'best-of-n':
      return { strategy: { kind: 'best-of-n', n, ...sampling }, extractAnswer: answer };
    case 'self-consistency':
      return { strategy: { kind: 'self-consistency', n, ...sampling }, extractAnswer: answer };
    case 'deepconf':
      return { strategy: { kind: 'deepconf', rows: n, ...(delimiter !== undefined ? { stepDelimiter: delimiter } : {}), ...sampling }, extractAnswer: answer };
    case 'guided': {
      if (values.scorer === 'checker') {
        if (!taskPrompt) throw new ConfigError('scorer', 'checker', 'a task prompt of the embedded model for the step checker (e.g. "C:3,5,7>22=" or "12+34=")');
        const checker = taskStepChecker(prompt);
        return { strategy: { kind: 'guided', particles: n, stepDelimiter: delimiter ?? checker.stepDelimiter, scoreStep: checker.scoreStep, ...sampling }, extractAnswer: answer };
      }
      const fallback = taskPrompt ? taskStepChecker(prompt).stepDelimiter : '\n';
      return { strategy: { kind: 'guided', particles: n, stepDelimiter: delimiter ?? fallback, scoreStep: 'verifier-free', ...sampling }, extractAnswer: answer };
    }
  }
}
