import { DEFAULT_CONFIG, type IterationReport, ReasonFlow, type ReasonFlowConfig, type ReasonFlowConfigInput, type SearchOutput, type ThoughtsResult } from 'reasonflow';
import { clearModelCache, filesByRelativePath, loadModelInWorker } from 'reasonflow/browser';
import type { DemoHandle, DemoResources, DemoState, DeviceChoice, LoadInfo, RunResult, SearchRunInfo } from './demo-handle.js';
import { PathChart } from './path-chart.js';
import { SearchView } from './search-view.js';
import { isSearchStrategy, OPTION_FIELDS, type OptionValues, planRun, STRATEGIES, STRATEGY_HELP, STRATEGY_LABELS, type Strategy } from './strategies.js';
import './style.css';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const EMBEDDED_MODEL_URL = new URL(`${import.meta.env.BASE_URL}model/`, location.href).href;
/** onnxruntime-web's wasm files come from this app (see vite.config.ts), never from a CDN. */
const ORT_WASM_PATHS = new URL(`${import.meta.env.BASE_URL}ort/`, location.href).href;
const MAX_ITERATIONS_SHOWN = 400;

const params = new URLSearchParams(location.search);
const device = (['auto', 'webgpu', 'wasm'].includes(params.get('device') ?? '') ? params.get('device') : 'auto') as DeviceChoice;
$<HTMLSelectElement>('device').value = device;
$<HTMLSelectElement>('device').addEventListener('change', (event) => {
  params.set('device', (event.target as HTMLSelectElement).value);
  location.search = params.toString();
});
$<HTMLInputElement>('model-url').value = params.get('model') ?? EMBEDDED_MODEL_URL;

// ---- settings form: every ReasonFlowConfig field, with the defaults -------------------------------
// Every string-valued config field needs its choices here: the compiler refuses a missing one.
type ChoiceField = { [K in keyof ReasonFlowConfig]: ReasonFlowConfig[K] extends string ? K : never }[keyof ReasonFlowConfig];
const CHOICES: { readonly [K in ChoiceField]: readonly ReasonFlowConfig[K][] } = {
  pathScoring: ['log-likelihood', 'original'],
  kvMerge: ['best-row', 'mean'],
  branching: ['none', 'ranked', 'sampled'],
};
const choicesOf = (key: keyof ReasonFlowConfig): readonly string[] | undefined => (CHOICES as Partial<Record<keyof ReasonFlowConfig, readonly string[]>>)[key];
const settings = $('settings');
// The page starts with a real search (the README's example), not the original's single thinker.
const DEMO_DEFAULTS: Partial<ReasonFlowConfig> = { numOfThinkers: 4, numOfThoughts: 4, topkThinkers: 1, diversityWeight: 0.3 };
const HELP: Partial<Record<keyof ReasonFlowConfig, string>> = {
  numOfThinkers: 'rows searched in parallel',
  numOfThoughts: 'lookahead tokens per thinker and iteration',
  topkThinkers: 'winners fused into the committed token',
  diversityWeight: 'how much a path differing from the others adds to its score',
  pathAcceptance: "commit the winner's whole path when it is confident enough",
  narrowWhenConfident: 'decode with one row while the model is confident; all thinkers return at an unsure token (needs pathAcceptance)',
  branching: 'make thinkers start from distinct tokens (ranked: thinker i takes the i-th best) instead of perturbing one path',
};
for (const [key, fallback] of Object.entries(DEFAULT_CONFIG) as [keyof ReasonFlowConfig, unknown][]) {
  const value = DEMO_DEFAULTS[key] ?? fallback;
  const label = document.createElement('label');
  label.textContent = key;
  if (HELP[key]) label.title = HELP[key]!;
  let input: HTMLInputElement | HTMLSelectElement;
  const choices = choicesOf(key);
  if (choices) {
    input = document.createElement('select');
    for (const choice of choices) input.append(new Option(choice, choice));
    input.value = String(value);
  } else {
    input = document.createElement('input');
    if (typeof value === 'boolean') {
      input.type = 'checkbox';
      input.checked = value;
    } else if (Array.isArray(value)) {
      input.type = 'text';
      input.size = 7;
      input.value = value.join(',');
    } else {
      input.type = 'number';
      input.step = 'any';
      input.value = key === 'pathAcceptanceLogProb' ? (value as number).toFixed(4) : String(value);
    }
  }
  input.id = `cfg-${key}`;
  input.name = key;
  label.append(input);
  settings.append(label);
}

// ---- strategy controls: the CLI's --strategy values and, per strategy, its flags ---------------------
const strategySelect = $<HTMLSelectElement>('strategy');
for (const strategy of STRATEGIES) strategySelect.append(new Option(STRATEGY_LABELS[strategy], strategy));
strategySelect.value = 'reasonflow';
const strategyOptions = $('strategy-options');
for (const field of OPTION_FIELDS) {
  const label = document.createElement('label');
  label.textContent = field.flag;
  label.title = field.help;
  label.dataset.strategies = field.strategies.join(' ');
  let input: HTMLInputElement | HTMLSelectElement;
  if (field.type === 'choice') {
    input = document.createElement('select');
    for (const choice of field.choices ?? []) input.append(new Option(choice, choice));
    input.value = String(field.initial);
  } else {
    input = document.createElement('input');
    if (field.type === 'boolean') {
      input.type = 'checkbox';
      input.checked = field.initial === true;
    } else {
      // Text inputs for the numbers too (a number input reads '' for text it cannot parse): what was
      // typed reaches the library, so its typed error names a bad value instead of a silent default.
      input.type = 'text';
      if (field.type !== 'text') input.inputMode = field.type === 'integer' ? 'numeric' : 'decimal';
      input.value = String(field.initial);
    }
  }
  input.id = `opt-${field.flag}`;
  input.name = field.flag;
  label.append(input);
  strategyOptions.append(label);
}

/** Shows the controls of the chosen strategy only: ReasonFlow's config form, or its CLI flags. */
function showStrategyControls(): void {
  const strategy = strategySelect.value as Strategy;
  $('settings-box').hidden = strategy !== 'reasonflow';
  let shown = 0;
  for (const label of strategyOptions.querySelectorAll<HTMLLabelElement>('label')) {
    const applies = (label.dataset.strategies ?? '').split(' ').includes(strategy);
    label.hidden = !applies;
    if (applies) shown++;
    const field = OPTION_FIELDS.find((f) => f.flag === label.querySelector('input, select')?.id.slice(4));
    const input = label.querySelector('input');
    if (field?.placeholder && input) input.placeholder = field.placeholder(strategy);
  }
  $('options-box').hidden = shown === 0;
  $('strategy-help').textContent = STRATEGY_HELP[strategy];
  const searchView = isSearchStrategy(strategy);
  $('reasonflow-legend').hidden = searchView;
  $('search-legend').hidden = !searchView;
  $('search-title').textContent = searchView
    ? '— per resampling round or wave: each particle or trace, its score, what survived; then the candidates'
    : "— per iteration: each thinker's lookahead path, its score, the winners (★) and what was committed";
}
strategySelect.addEventListener('change', showStrategyControls);
showStrategyControls();

function readOptions(): OptionValues {
  const values: Record<string, string | boolean> = {};
  for (const field of OPTION_FIELDS) {
    const input = $<HTMLInputElement>(`opt-${field.flag}`);
    values[field.flag] = field.type === 'boolean' ? input.checked : input.value.trim();
  }
  return values;
}

function readConfig(): ReasonFlowConfigInput {
  const config: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_CONFIG) as (keyof ReasonFlowConfig)[]) {
    const input = $<HTMLInputElement>(`cfg-${key}`);
    const fallback = DEFAULT_CONFIG[key];
    if (typeof fallback === 'boolean') config[key] = input.checked;
    else if (Array.isArray(fallback)) config[key] = input.value.split(',').map(Number);
    else if (typeof fallback === 'number') config[key] = Number(input.value);
    else config[key] = input.value;
  }
  return config as ReasonFlowConfigInput;
}

// ---- status ---------------------------------------------------------------------------------------
let rf: ReasonFlow | undefined;
let controller: AbortController | undefined;

async function resources(): Promise<DemoResources> {
  if (rf === undefined) throw new Error('no model loaded');
  return (await rf.resources()) as DemoResources;
}

const handle: DemoHandle = {
  state: 'idle',
  loadInfo: undefined,
  loadError: undefined,
  lastResult: undefined,
  lastError: undefined,
  warnings: [],
  iterationsShown: 0,
  resources,
  async dispose() {
    await rf?.dispose();
    return resources();
  },
};
window.reasonflowDemo = handle;

function setState(state: DemoState, text: string): void {
  handle.state = state;
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
  // A failed run (a bad setting) leaves the model loaded: Run stays available.
  $<HTMLButtonElement>('run').disabled = rf === undefined || state === 'loading' || state === 'running' || state === 'idle';
  $<HTMLButtonElement>('stop').disabled = state !== 'running';
  for (const id of ['load-url', 'load-folder', 'clear-cache']) $<HTMLButtonElement>(id).disabled = state === 'loading' || state === 'running';
}

// ---- search view ----------------------------------------------------------------------------------
const search = $('search');
const output = $('output');
const chart = new PathChart($('chart'));
const searchView = new SearchView(search);

function renderIteration(report: IterationReport, pathTexts: readonly (readonly string[])[], committedText: string): void {
  const winner = report.selected[0];
  const node = document.createElement('div');
  node.className = 'iter';
  const head = document.createElement('div');
  head.className = 'iter-head';
  const committedCount = report.committed.length;
  head.innerHTML = `<b>#${report.iteration}</b><span>committed <span class="committed"></span> (${committedCount} token${committedCount === 1 ? '' : 's'})</span><span>T ${report.temperatures.map((t) => t.toFixed(2)).join('–')}</span><span>uncertainty ${report.uncertainty.toFixed(2)}</span><span>cache ${report.cacheLength}</span>`;
  (head.querySelector('.committed') as HTMLElement).textContent = committedText.replace(/ /g, '␣');
  node.append(head);
  const maxCombined = Math.max(...report.thinkers.map((t) => t.combined));
  const minCombined = Math.min(...report.thinkers.map((t) => t.combined));
  report.thinkers.forEach((thinker, i) => {
    const rank = report.selected.indexOf(thinker.row);
    const row = document.createElement('div');
    row.className = `thinker${rank >= 0 ? ' won' : ''}`;
    row.dataset.row = String(thinker.row);
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = `${rank >= 0 ? '★' : ''}t${thinker.row}`;
    const path = document.createElement('span');
    path.className = 'path';
    thinker.pathTokens.forEach((token, step) => {
      const tok = document.createElement('span');
      tok.className = 'tok';
      const p = Math.exp(thinker.pathLogProbs[step] ?? 0);
      tok.style.setProperty('--l', `${Math.round(96 - 30 * p)}%`);
      tok.textContent = (pathTexts[i]?.[step] ?? String(token)).replace(/ /g, '␣') || '∅';
      tok.title = `token ${token}, p = ${p.toFixed(3)}`;
      if (thinker.row === winner && step < report.committed.length && report.committed[step] === token) tok.classList.add('accepted');
      path.append(tok);
    });
    const score = document.createElement('span');
    score.className = 'score';
    const width = maxCombined > minCombined ? 4 + (36 * (thinker.combined - minCombined)) / (maxCombined - minCombined) : 40;
    const weight = rank >= 0 ? ` w${report.fusionWeights[rank]?.toFixed(2)}` : '';
    score.innerHTML = `<span class="bar" style="width:${width.toFixed(0)}px"></span>${thinker.combined.toFixed(2)}${weight}`;
    score.title = `quality ${thinker.quality.toFixed(3)} · diversity ${thinker.diversity.toFixed(3)} · raw ${thinker.rawQuality.toFixed(3)}${thinker.swapped ? ' · swapped' : ''}`;
    row.append(who, path, score);
    node.append(row);
  });
  search.prepend(node);
  chart.add(report, pathTexts.map((p) => p.join('')), committedText);
  handle.iterationsShown++;
  while (search.childElementCount > MAX_ITERATIONS_SHOWN) search.lastElementChild?.remove();
}

// ---- loading --------------------------------------------------------------------------------------
const files = new Map<string, { loaded: number; total: number | undefined }>();
function showProgress(file: string, done: number, total: number | undefined): void {
  files.set(file, { loaded: done, total });
  let sum = 0;
  let sumTotal = 0;
  for (const f of files.values()) {
    sum += f.loaded;
    sumTotal += f.total ?? f.loaded;
  }
  $<HTMLProgressElement>('load-progress').value = sumTotal > 0 ? sum / sumTotal : 0;
  $('load-text').textContent = `Loading ${file} — ${(sum / 1e6).toFixed(1)} / ${(sumTotal / 1e6).toFixed(1)} MB`;
}

/** Loads a folder URL or picked files in the library's model worker; the engine runs on this page. */
async function load(folder: string | Readonly<Record<string, Blob>>): Promise<void> {
  const source = typeof folder === 'string' ? folder : 'local folder';
  setState('loading', `loading ${source} on ${device}…`);
  $('load-error').textContent = '';
  handle.loadError = undefined;
  files.clear();
  await rf?.dispose();
  rf = undefined;
  const start = performance.now();
  try {
    const worker = new Worker(new URL('./model-worker.ts', import.meta.url), { type: 'module', name: 'reasonflow-model' });
    const model = await loadModelInWorker(folder, {
      worker,
      device,
      ort: { wasmPaths: ORT_WASM_PATHS, numThreads: 1 },
      onProgress: (p) => showProgress(p.file, p.loaded, p.total),
      onWarning: (message) => {
        handle.warnings.push(message);
        console.warn(message);
      },
    });
    rf = await ReasonFlow.fromPretrained(source, {
      loader: async () => ({ model: model.model, tokenizer: model.tokenizer, executionProvider: model.executionProvider, dispose: () => model.dispose() }),
    });
    const info: LoadInfo = { executionProvider: model.executionProvider, adapter: model.adapter, loadMs: performance.now() - start, ortVersion: model.ortVersion, source };
    handle.loadInfo = info;
    const badge = $('backend');
    badge.dataset.provider = info.executionProvider;
    badge.textContent = info.executionProvider === 'webgpu' ? 'WebGPU' : 'wasm (CPU)';
    badge.title = `onnxruntime-web ${info.ortVersion}${info.adapter ? ` · adapter: ${info.adapter}` : ''}`;
    $<HTMLProgressElement>('load-progress').value = 1;
    $('load-text').textContent = `${source} loaded in ${(info.loadMs / 1000).toFixed(2)} s on ${badge.textContent}${info.adapter ? ` (${info.adapter})` : ''}${handle.warnings.length ? ` — ${handle.warnings.join(' ')}` : ''}`;
    setState('ready', 'ready');
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    handle.loadError = message;
    $('backend').dataset.provider = 'error';
    $('backend').textContent = 'error';
    $('load-text').textContent = `Could not load ${source}.`;
    $('load-error').textContent = message;
    setState('error', 'no model loaded');
  }
}

$('load-url').addEventListener('click', () => void load($<HTMLInputElement>('model-url').value.trim()));
$('load-folder').addEventListener('click', () => $<HTMLInputElement>('folder-input').click());
$<HTMLInputElement>('folder-input').addEventListener('change', (event) => {
  const picked = (event.target as HTMLInputElement).files;
  if (picked && picked.length > 0) void load(filesByRelativePath(picked));
});
$('clear-cache').addEventListener('click', async () => {
  const cleared = await clearModelCache();
  $('load-text').textContent = cleared ? 'Cleared the cached model files: the next load downloads them again.' : 'Nothing was cached.';
});

// ---- generation (on this thread; only forward passes and KV operations go to the worker) -----------
/** The status line of a finished run. */
function summary(r: RunResult): string {
  const head = `${r.tokens} tokens in ${(r.elapsedMs / 1000).toFixed(2)} s · ${r.tokensPerSecond.toFixed(1)} tokens/s`;
  const s = r.search;
  const work = s
    ? `${r.forwardSteps} forward steps, ${s.scorerCalls} scorer calls · ${s.candidates} candidates${s.roundsShown ? ` · ${s.roundsShown} resampling rounds (${s.replacedShown} rows refilled)` : ''}${s.wavesShown ? ` · ${s.wavesShown} waves (${s.stoppedShown} stopped early)` : ''}${s.answer === null ? '' : ` · answer ${s.answer}`}`
    : `${r.iterations} iterations, ${r.forwardSteps} forward steps (model ${(r.modelTimeMs / 1000).toFixed(2)} s)`;
  return `${head} · ${work} · ${STRATEGY_LABELS[r.strategy]} on ${r.executionProvider} · stop: ${r.stopReason}`;
}

$<HTMLFormElement>('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (rf === undefined || handle.state === 'running' || handle.state === 'loading') return;
  const prompt = $<HTMLTextAreaElement>('prompt').value;
  const strategy = strategySelect.value as Strategy;
  output.textContent = '';
  const promptSpan = document.createElement('span');
  promptSpan.className = 'prompt-text';
  promptSpan.textContent = prompt;
  output.append(promptSpan);
  search.textContent = '';
  chart.clear();
  searchView.clear();
  handle.iterationsShown = 0;
  handle.lastResult = undefined;
  handle.lastError = undefined;
  setState('running', 'generating…');
  const decode = (ids: readonly number[]) => rf!.tokenizer.decode(ids, { skipSpecialTokens: false });
  controller = new AbortController();
  const start = performance.now();
  const maxNewTokens = Number($<HTMLInputElement>('maxNewTokens').value);
  try {
    // Inside the try: a bad setting (the library's ConfigError) ends the run with its message, not a stuck page.
    const plan = planRun(strategy, readOptions(), prompt, strategy === 'reasonflow' ? readConfig() : {});
    let result: ThoughtsResult | SearchOutput;
    let searchInfo: SearchRunInfo | undefined;
    if (plan.call === 'search') {
      const found = await rf.search(prompt, plan.strategy, {
        maxNewTokens,
        signal: controller.signal,
        ...(plan.seed !== undefined ? { seed: plan.seed } : {}),
        ...(plan.extractAnswer ? { extractAnswer: plan.extractAnswer } : {}),
        // The chosen trace is known only at the end: its text arrives at once.
        stream: (chunk) => output.append(chunk.text),
        onIteration: (e) => searchView.event(e),
      });
      const chosen = searchView.finish(found);
      searchInfo = {
        ...searchView.shown,
        answer: found.answer,
        candidates: found.candidates.length,
        chosen,
        candidateAnswers: found.candidates.map((c) => c.answer),
        rounds: found.stats.rounds,
        scorerCalls: found.stats.scorerCalls,
      };
      result = found;
    } else {
      result = await rf.withConfig(plan.config).generateThoughts(prompt, {
        maxNewTokens,
        doSample: plan.doSample,
        ...plan.sampling,
        ...(plan.samplingSeed !== undefined ? { samplingSeed: plan.samplingSeed } : {}),
        signal: controller.signal,
        stream: (chunk) => output.append(chunk.text),
        onIteration: (report) =>
          renderIteration(
            report,
            report.thinkers.map((t) => t.pathTokens.map((id) => decode([id]))),
            decode(report.committed),
          ),
      });
    }
    const elapsedMs = performance.now() - start;
    handle.lastResult = {
      strategy,
      output: result.output,
      tokenIds: result.tokenIds,
      bestThinkersSummary: 'bestThinkersSummary' in result ? result.bestThinkersSummary : [],
      stopReason: result.stopReason,
      iterations: result.stats.iterations,
      tokens: result.tokenIds.length,
      elapsedMs,
      tokensPerSecond: result.tokenIds.length / (elapsedMs / 1000),
      modelTimeMs: result.stats.modelTimeMs,
      engineTimeMs: result.stats.engineTimeMs,
      forwardSteps: result.stats.forwardSteps,
      executionProvider: result.stats.executionProvider,
      tensorBackend: 'backend' in result.stats ? result.stats.backend : undefined,
      search: searchInfo,
    };
    setState('done', summary(handle.lastResult));
  } catch (error) {
    // The typed error's name (ConfigError, ContextLengthError, …) says what kind of mistake it is.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    handle.lastError = message;
    setState('error', `generation failed: ${message}`);
  }
});
$('stop').addEventListener('click', () => controller?.abort());

setState('idle', 'idle');
void load($<HTMLInputElement>('model-url').value);
