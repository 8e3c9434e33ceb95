import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_CONFIG, parseStepDelimiter, type ReasonFlowConfig, type ReasonFlowConfigInput } from 'reasonflow';
import { LIVE_VIEW_LEGEND } from './thinker-panel.js';

/** A command-line mistake: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const STRATEGIES = ['greedy', 'sample', 'best-of-n', 'self-consistency', 'reasonflow', 'guided', 'deepconf'] as const;
export type Strategy = (typeof STRATEGIES)[number];
/** Strategies that run N rows through the library's `search` (the rest run `generateThoughts`). */
export type SearchStrategy = 'best-of-n' | 'self-consistency' | 'guided' | 'deepconf';
const SEARCH_STRATEGIES: readonly Strategy[] = ['best-of-n', 'self-consistency', 'guided', 'deepconf'];
export const isSearchStrategy = (strategy: Strategy): strategy is SearchStrategy => SEARCH_STRATEGIES.includes(strategy);
export type Scorer = 'checker' | 'confidence';

/** Settings of the multi-path strategies (`--strategy best-of-n|self-consistency|guided|deepconf`). */
export interface SearchCliOptions {
  /** Samples, particles or DeepConf rows (`--samples` / `-n`; default 8). */
  samples: number;
  /** `--step-delimiter`: a string, or `/regex/` (default: the embedded task's, else a newline). */
  stepDelimiter: string | RegExp | undefined;
  /** Guided search's step scorer (default confidence: verifier-free). */
  scorer: Scorer;
  /** Extract and vote on final answers with the embedded model's `extractAnswer`. */
  answer: boolean;
}
export type Device = 'auto' | 'cuda' | 'cpu';

export interface CliOptions {
  prompt: string | undefined;
  model: string | undefined;
  device: Device;
  strategy: Strategy;
  config: ReasonFlowConfigInput;
  maxNewTokens: number;
  json: boolean;
  chat: boolean;
  showThinkers: boolean | undefined;
  threads: number | undefined;
  sampling: { temperature?: number; topK?: number; topP?: number; minP?: number; repetitionPenalty?: number };
  samplingSeed: number | undefined;
  search: SearchCliOptions;
  help: boolean;
  version: boolean;
}

const kebab = (field: string) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

type ConfigField = keyof ReasonFlowConfig;
const CONFIG_FIELDS = Object.keys(DEFAULT_CONFIG) as ConfigField[];
const SHORT: Partial<Record<ConfigField, string>> = { numOfThinkers: 'n', numOfThoughts: 't', topkThinkers: 'k' };
/** Config fields that only take whole numbers (the rest of the numeric fields take decimals). */
const INTEGER_FIELDS: ReadonlySet<ConfigField> = new Set(['numOfThinkers', 'numOfThoughts', 'topkThinkers', 'seed', 'softThoughtTopK']);

/** Every value of a string-valued config field; the `Exclude` checks fail to compile when core adds one. */
const PATH_SCORING_CHOICES = ['log-likelihood', 'original'] as const;
const KV_MERGE_CHOICES = ['best-row', 'mean'] as const;
const exhaustive: [
  Exclude<ReasonFlowConfig['pathScoring'], (typeof PATH_SCORING_CHOICES)[number]>,
  Exclude<ReasonFlowConfig['kvMerge'], (typeof KV_MERGE_CHOICES)[number]>,
] extends [never, never]
  ? true
  : false = true;
void exhaustive;
const CHOICES: Partial<Record<ConfigField, readonly string[]>> = {
  pathScoring: PATH_SCORING_CHOICES,
  kvMerge: KV_MERGE_CHOICES,
  branching: ['none', 'ranked', 'sampled'],
};

/** One line of --help per config field; a Record so a new field without help fails to compile. */
const CONFIG_HELP: Record<ConfigField, string> = {
  numOfThinkers: 'N thinkers (rows searched in one batch)',
  numOfThoughts: 'T lookahead steps per iteration',
  topkThinkers: 'K best thinkers, their distributions fused',
  acceptanceThreshold: 'top-token swap threshold of perturbed thinkers',
  temperatures: 'tLow,tHigh scaling of the perturbed thinkers',
  diversityWeight: 'w in score = (1-w)*quality + w*diversity',
  minTemperature: 'lower bound of the temperature schedule',
  maxTemperature: 'upper bound of the temperature schedule',
  dynamicTemperature: 'adapt the temperatures to the uncertainty',
  uncertaintyThreshold: 'above it the acceptance threshold is relaxed',
  minAcceptanceThreshold: 'lower bound of the acceptance threshold',
  maxAcceptanceThreshold: 'upper bound of the acceptance threshold',
  useTokens: 'lookahead feeds tokens (no: soft thoughts)',
  noiseScale: 'input-embedding noise of thinkers 1..N-1',
  seed: 'base seed of the noise and the sampler',
  pathScoring: 'how a path is scored for quality',
  kvMerge: 'kept KV cache when K > 1',
  pathAcceptance: "commit the winner's confident lookahead at once",
  pathAcceptanceLogProb: 'least log-probability of an accepted token',
  narrowWhenConfident: 'one row while tokens are confident',
  softThoughtTopK: 'tokens mixed into a soft thought',
  branching: 'thinkers start from distinct tokens',
};

/** Config fields that still matter with one thinker (greedy, sample): the rest are ReasonFlow-only. */
const SINGLE_THINKER_FIELDS: ReadonlySet<ConfigField> = new Set(['seed']);

type ParseOption = { type: 'string' | 'boolean'; short?: string };

function optionTable(): Record<string, ParseOption> {
  const table: Record<string, ParseOption> = {
    model: { type: 'string', short: 'm' },
    device: { type: 'string', short: 'd' },
    strategy: { type: 'string', short: 's' },
    'max-new-tokens': { type: 'string', short: 'x' },
    json: { type: 'boolean' },
    chat: { type: 'boolean' },
    'show-thinkers': { type: 'boolean' },
    'no-show-thinkers': { type: 'boolean' },
    threads: { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    'min-p': { type: 'string' },
    'repetition-penalty': { type: 'string' },
    'sampling-seed': { type: 'string' },
    samples: { type: 'string' },
    'step-delimiter': { type: 'string' },
    scorer: { type: 'string' },
    answer: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  };
  for (const field of CONFIG_FIELDS) {
    const name = kebab(field);
    const short = SHORT[field];
    if (typeof DEFAULT_CONFIG[field] === 'boolean') {
      table[name] = { type: 'boolean' };
      table[`no-${name}`] = { type: 'boolean' };
    } else {
      table[name] = short ? { type: 'string', short } : { type: 'string' };
    }
  }
  return table;
}

// Plain decimal notation only: Number() would also take '0x4', '1e1', ' ' and 'Infinity'.
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const INTEGER = /^[+-]?\d+$/;

/** Parses a decimal number such as `0.7`, `-1` or `.5`. @throws UsageError */
export function parseDecimal(flag: string, text: string): number {
  if (!DECIMAL.test(text)) throw new UsageError(`--${flag} expects a decimal number, got "${text}".`);
  return Number(text);
}

/** Parses a whole number within [min, ∞) and the safe-integer range. @throws UsageError */
export function parseInteger(flag: string, text: string, min = Number.MIN_SAFE_INTEGER): number {
  const value = Number(text);
  if (!INTEGER.test(text) || !Number.isSafeInteger(value)) {
    throw new UsageError(`--${flag} expects a whole number, got "${text}".`);
  }
  if (value < min) throw new UsageError(`--${flag} expects a whole number ≥ ${min}, got "${text}".`);
  return value;
}

function choice<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}; got "${text}".`);
  }
  return text as T;
}

/** Parses argv (without node and the script) into typed options. @throws UsageError */
export function parseCliOptions(argv: readonly string[]): CliOptions {
  let parsed: ReturnType<typeof parseArgs<{ options: Record<string, ParseOption>; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: optionTable(), allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const str = (name: string) => v[name] as string | undefined;

  const config: Record<string, unknown> = {};
  const given: { field: ConfigField; flag: string }[] = [];
  for (const field of CONFIG_FIELDS) {
    const name = kebab(field);
    const fallback = DEFAULT_CONFIG[field];
    const text = str(name);
    if (typeof fallback === 'boolean') {
      if (v[name] && v[`no-${name}`]) throw new UsageError(`--${name} and --no-${name} contradict each other.`);
      if (v[name]) config[field] = true;
      if (v[`no-${name}`]) config[field] = false;
      if (v[name] || v[`no-${name}`]) given.push({ field, flag: v[name] ? `--${name}` : `--no-${name}` });
      continue;
    }
    if (text === undefined) continue;
    given.push({ field, flag: SHORT[field] ? `-${SHORT[field]}/--${name}` : `--${name}` });
    const parse = INTEGER_FIELDS.has(field) ? parseInteger : parseDecimal;
    if (Array.isArray(fallback)) config[field] = text.split(',').map((part) => parse(name, part));
    else if (typeof fallback === 'number') config[field] = parse(name, text);
    else config[field] = CHOICES[field] ? choice(name, text, CHOICES[field]) : text;
  }

  const strategy = choice('strategy', str('strategy') ?? 'reasonflow', STRATEGIES);
  const search = searchOptions(strategy, v, given, str('model') !== undefined);
  if (strategy !== 'reasonflow') {
    // -n is the strategy's N for the multi-path strategies; every other ReasonFlow flag is refused.
    const conflicting = given
      .filter(({ field }) => !SINGLE_THINKER_FIELDS.has(field) && !(isSearchStrategy(strategy) && field === 'numOfThinkers'))
      .map(({ flag }) => flag);
    if (conflicting.length > 0) {
      const what = isSearchStrategy(strategy) ? `--strategy ${strategy} is not ReasonFlow` : `--strategy ${strategy} runs one thinker without lookahead`;
      throw new UsageError(`${what}; ${conflicting.join(', ')} only apply to --strategy reasonflow.`);
    }
    delete config.numOfThinkers;
  }
  const device = choice('device', str('device') ?? 'auto', ['auto', 'cuda', 'cpu'] as const);
  const maxNewTokens = str('max-new-tokens') === undefined ? 128 : parseInteger('max-new-tokens', str('max-new-tokens')!, 1);
  const threads = str('threads') === undefined ? undefined : parseInteger('threads', str('threads')!, 1);
  const sampling: CliOptions['sampling'] = {};
  for (const [flag, key] of [
    ['temperature', 'temperature'],
    ['top-k', 'topK'],
    ['top-p', 'topP'],
    ['min-p', 'minP'],
    ['repetition-penalty', 'repetitionPenalty'],
  ] as const) {
    const text = str(flag);
    if (text !== undefined) sampling[key] = key === 'topK' ? parseInteger(flag, text, 0) : parseDecimal(flag, text);
  }
  if (isSearchStrategy(strategy) && sampling.repetitionPenalty !== undefined) {
    throw new UsageError(`--repetition-penalty does not apply to --strategy ${strategy} (temperature, top-k, top-p and min-p do).`);
  }
  return {
    prompt: parsed.positionals.length > 0 ? parsed.positionals.join(' ') : undefined,
    model: str('model'),
    device,
    strategy,
    config: config as ReasonFlowConfigInput,
    maxNewTokens,
    json: Boolean(v.json),
    chat: Boolean(v.chat),
    showThinkers: v['show-thinkers'] ? true : v['no-show-thinkers'] ? false : undefined,
    threads,
    sampling,
    samplingSeed: str('sampling-seed') === undefined ? undefined : parseInteger('sampling-seed', str('sampling-seed')!),
    search,
    help: Boolean(v.help),
    version: Boolean(v.version),
  };
}

/** `--step-delimiter` through core's parser, its ConfigError as a usage error naming the flag. */
function stepDelimiterFlag(text: string): string | RegExp {
  try {
    return parseStepDelimiter(text);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--step-delimiter ${JSON.stringify(text)}: expected ${error.allowed}.`);
    throw error;
  }
}

/** The multi-path strategies' flags, refused where they do not apply. */
function searchOptions(
  strategy: Strategy,
  v: Record<string, string | boolean | undefined>,
  given: readonly { field: ConfigField; flag: string }[],
  customModel: boolean,
): SearchCliOptions {
  const samplesText = v.samples as string | undefined;
  const thinkers = given.some(({ field }) => field === 'numOfThinkers') ? (v['num-of-thinkers'] as string | undefined) ?? (v.n as string | undefined) : undefined;
  const scorerText = v.scorer as string | undefined;
  const delimiterText = v['step-delimiter'] as string | undefined;
  const search = isSearchStrategy(strategy);
  const refuse = (flag: string, applies: string) => {
    throw new UsageError(`${flag} only applies to --strategy ${applies}; got --strategy ${strategy}.`);
  };
  if (!search && samplesText !== undefined) refuse('--samples', 'best-of-n, self-consistency, guided or deepconf');
  if (strategy !== 'guided' && scorerText !== undefined) refuse('--scorer', 'guided');
  if (strategy !== 'guided' && strategy !== 'deepconf' && delimiterText !== undefined) refuse('--step-delimiter', 'guided or deepconf');
  if (!search && v.answer) refuse('--answer', 'best-of-n, self-consistency, guided or deepconf');
  if (samplesText !== undefined && thinkers !== undefined) throw new UsageError('--samples and -n both set N; give one.');
  const samples = parseInteger(samplesText !== undefined ? 'samples' : 'num-of-thinkers', samplesText ?? thinkers ?? '8', 1);
  if (strategy === 'deepconf' && samples < 2) throw new UsageError('--strategy deepconf needs --samples ≥ 2 (rows of traces).');
  const scorer = scorerText === undefined ? 'confidence' : choice('scorer', scorerText, ['checker', 'confidence'] as const);
  // The answer extractor and the step checker know the embedded model's task format only.
  const needsAnswer = strategy === 'self-consistency' || strategy === 'deepconf';
  if (customModel && (v.answer || needsAnswer)) {
    throw new UsageError(
      `${v.answer ? '--answer' : `--strategy ${strategy} (a vote over final answers)`} needs the embedded model's answer format; it is not available with --model.`,
    );
  }
  if (customModel && scorer === 'checker') throw new UsageError("--scorer checker checks the embedded model's task steps; it is not available with --model.");
  return {
    samples,
    stepDelimiter: delimiterText === undefined ? undefined : stepDelimiterFlag(delimiterText),
    scorer,
    answer: Boolean(v.answer) || needsAnswer,
  };
}

/** The engine settings a strategy stands for. */
export function strategyConfig(options: CliOptions): { config: ReasonFlowConfigInput; doSample: boolean } {
  switch (options.strategy) {
    case 'greedy':
      return { config: { ...options.config, numOfThinkers: 1, topkThinkers: 1, pathAcceptance: false }, doSample: false };
    case 'sample':
      return { config: { ...options.config, numOfThinkers: 1, topkThinkers: 1, pathAcceptance: false }, doSample: true };
    default:
      return { config: options.config, doSample: false };
  }
}

/** A default as people read it: 4 significant digits, so ln 0.9 shows as -0.1054, not -0.10536051565782628. */
export function formatDefault(value: unknown): string {
  if (typeof value === 'number') return String(Number(value.toPrecision(4)));
  if (Array.isArray(value)) return value.map(formatDefault).join(',');
  return String(value);
}

export function usage(): string {
  const configFlags = CONFIG_FIELDS.map((field) => {
    const fallback = DEFAULT_CONFIG[field];
    const short = SHORT[field] ? `-${SHORT[field]}, ` : '    ';
    const value = CHOICES[field]?.join('|') ?? (Array.isArray(fallback) ? 'a,b' : INTEGER_FIELDS.has(field) ? 'int' : typeof fallback);
    const shown = typeof fallback === 'boolean' ? `    --[no-]${kebab(field)}` : `${short}--${kebab(field)} <${value}>`;
    return `  ${shown.padEnd(44)} ${CONFIG_HELP[field]} (default ${formatDefault(fallback)})`;
  }).join('\n');
  return `Usage: reasonflow [options] "prompt"      (prompt from stdin when omitted)
       reasonflow serve [options]              (an OpenAI-compatible HTTP server: reasonflow serve --help)

Generates with ReasonFlow (several thinkers look ahead; the best paths are fused) on the embedded
model, or on any Hugging Face-layout ONNX decoder folder with --model. stdout carries only the
generated text (reasonflow "12+34=" > answer.txt); everything else goes to stderr.

Options:
  -m, --model <dir>                            model folder (default: the embedded tiny model)
  -d, --device <auto|cuda|cpu>                 default auto: CUDA when it loads, CPU otherwise
  -s, --strategy <name>                        default reasonflow; one of
                                               greedy, sample: one thinker
                                               best-of-n: N samples, the most likely wins
                                               self-consistency: N samples, the majority answer
                                               guided: N particles resampled at each step by a scorer
                                               deepconf: confidence-weighted vote, low-confidence traces stop
                                               all but reasonflow refuse the ReasonFlow-only flags
                                               below (except --seed, and -n as N)
      --samples <int>                          N of best-of-n, self-consistency, guided (particles),
                                               deepconf (rows); -n works too (default 8)
      --scorer <checker|confidence>            guided: checker = the embedded model's step checker
                                               (task prompts only); confidence = verifier-free (default)
      --step-delimiter <text|/regex/>          guided, deepconf: where a step ends (default: the task's
                                               step on the embedded model, else a newline)
      --answer                                 vote on final answers (embedded model's extractAnswer);
                                               implied by self-consistency and deepconf
  -x, --max-new-tokens <int>                   default 128
      --chat                                   wrap the prompt as a user message (chat template)
      --json                                   print one JSON object instead of the text
      --[no-]show-thinkers                     live view on stderr (default: when stderr is a terminal)
      --threads <int>                          onnxruntime intra-op threads, ≥ 1 (default 1)
      --temperature, --top-p, --min-p, --repetition-penalty <decimal>, --top-k <int>
                                               processors of the fused distribution
      --sampling-seed <int>                    seed of the sampler (default: --seed)
  -h, --help, -v, --version

ReasonFlow settings (the original's defaults):
${configFlags}

${LIVE_VIEW_LEGEND}
Numbers are plain decimals (no hex, no exponent); a negative one takes '=': --seed=-1.
Ctrl-C stops between forward steps and prints what was committed.
Exit codes: 0 done, 1 model or runtime error, 2 bad usage or invalid settings, 130 interrupted.
`;
}
