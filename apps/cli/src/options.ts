import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, type ReasonFlowConfig, type ReasonFlowConfigInput } from 'reasonflow';

/** A command-line mistake: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type Strategy = 'greedy' | 'sample' | 'reasonflow';
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
  help: boolean;
  version: boolean;
}

const kebab = (field: string) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

type ConfigField = keyof ReasonFlowConfig;
const CONFIG_FIELDS = Object.keys(DEFAULT_CONFIG) as ConfigField[];
const SHORT: Partial<Record<ConfigField, string>> = { numOfThinkers: 'n', numOfThoughts: 't', topkThinkers: 'k' };

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

function number(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${flag} expects a number, got "${text}".`);
  return value;
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
  for (const field of CONFIG_FIELDS) {
    const name = kebab(field);
    const fallback = DEFAULT_CONFIG[field];
    if (typeof fallback === 'boolean') {
      if (v[name] && v[`no-${name}`]) throw new UsageError(`--${name} and --no-${name} contradict each other.`);
      if (v[name]) config[field] = true;
      if (v[`no-${name}`]) config[field] = false;
    } else if (str(name) !== undefined) {
      const text = str(name)!;
      if (Array.isArray(fallback)) config[field] = text.split(',').map((part) => number(name, part));
      else if (typeof fallback === 'number') config[field] = number(name, text);
      else config[field] = text;
    }
  }

  const strategy = (str('strategy') ?? 'reasonflow') as Strategy;
  if (!['greedy', 'sample', 'reasonflow'].includes(strategy)) {
    throw new UsageError(`--strategy must be greedy, sample or reasonflow, got "${strategy}".`);
  }
  const device = (str('device') ?? 'auto') as Device;
  if (!['auto', 'cuda', 'cpu'].includes(device)) throw new UsageError(`--device must be auto, cuda or cpu, got "${device}".`);
  const maxNewTokens = str('max-new-tokens') === undefined ? 128 : number('max-new-tokens', str('max-new-tokens')!);
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new UsageError('--max-new-tokens must be an integer ≥ 1.');
  const threads = str('threads') === undefined ? undefined : number('threads', str('threads')!);
  const sampling: CliOptions['sampling'] = {};
  for (const [flag, key] of [
    ['temperature', 'temperature'],
    ['top-k', 'topK'],
    ['top-p', 'topP'],
    ['min-p', 'minP'],
    ['repetition-penalty', 'repetitionPenalty'],
  ] as const) {
    if (str(flag) !== undefined) sampling[key] = number(flag, str(flag)!);
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
    samplingSeed: str('sampling-seed') === undefined ? undefined : number('sampling-seed', str('sampling-seed')!),
    help: Boolean(v.help),
    version: Boolean(v.version),
  };
}

/** The engine settings a strategy stands for. */
export function strategyConfig(options: CliOptions): { config: ReasonFlowConfigInput; doSample: boolean } {
  switch (options.strategy) {
    case 'greedy':
      return { config: { ...options.config, numOfThinkers: 1, topkThinkers: 1, pathAcceptance: false }, doSample: false };
    case 'sample':
      return { config: { ...options.config, numOfThinkers: 1, topkThinkers: 1, pathAcceptance: false }, doSample: true };
    case 'reasonflow':
      return { config: options.config, doSample: false };
  }
}

export function usage(): string {
  const configFlags = CONFIG_FIELDS.map((field) => {
    const fallback = DEFAULT_CONFIG[field];
    const short = SHORT[field] ? `-${SHORT[field]}, ` : '';
    const shown = typeof fallback === 'boolean' ? `--[no-]${kebab(field)}` : `${short}--${kebab(field)} <${Array.isArray(fallback) ? 'a,b' : typeof fallback}>`;
    return `  ${shown.padEnd(42)} default ${Array.isArray(fallback) ? fallback.join(',') : String(fallback)}`;
  }).join('\n');
  return `Usage: reasonflow [options] "prompt"      (prompt from stdin when omitted)

Generates with ReasonFlow (several thinkers look ahead; the best paths are fused) on the embedded
model, or on any Hugging Face-layout ONNX decoder folder with --model.

Options:
  -m, --model <dir>                          model folder (default: the embedded tiny model)
  -d, --device <auto|cuda|cpu>               default auto: CUDA when it loads, CPU otherwise
  -s, --strategy <greedy|sample|reasonflow>  default reasonflow
  -x, --max-new-tokens <n>                   default 128
      --chat                                 wrap the prompt as a user message (chat template)
      --json                                 print one JSON object instead of streaming text
      --[no-]show-thinkers                   live per-iteration thinker view on stderr (default: when a TTY)
      --threads <n>                          onnxruntime intra-op threads (default 1)
      --temperature, --top-k, --top-p, --min-p, --repetition-penalty <x>   fused-distribution processors
      --sampling-seed <n>                    seed of the sampler (default: --seed)
  -h, --help, -v, --version

ReasonFlow settings (the original's defaults):
${configFlags}

Exit codes: 0 done, 1 model or runtime error, 2 bad usage or invalid settings, 130 interrupted.
`;
}
