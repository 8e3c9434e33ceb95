import { DEFAULT_CONFIG, type ReasonFlowConfig, type ReasonFlowConfigInput } from '@reasonflow/core';
import { type LoadInfo, ModelClient } from './client.js';
import type { DeviceChoice, IterationView, RunResult, Strategy, WorkerResources } from './protocol.js';
import './style.css';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const MODEL_URL = `${import.meta.env.BASE_URL}model/`;
const MAX_ITERATIONS_SHOWN = 400;

type State = 'loading' | 'ready' | 'running' | 'done' | 'error';

/** What the page exposes for scripts and the browser test (`window.reasonflowDemo`). */
export interface DemoHandle {
  state: State;
  loadInfo: LoadInfo | undefined;
  lastResult: RunResult | undefined;
  warnings: string[];
  iterationsShown: number;
  resources(): Promise<WorkerResources>;
  dispose(): Promise<WorkerResources>;
}

declare global {
  interface Window {
    reasonflowDemo: DemoHandle;
  }
}

const params = new URLSearchParams(location.search);
const device = (['auto', 'webgpu', 'wasm'].includes(params.get('device') ?? '') ? params.get('device') : 'auto') as DeviceChoice;
$<HTMLSelectElement>('device').value = device;
$<HTMLSelectElement>('device').addEventListener('change', (event) => {
  params.set('device', (event.target as HTMLSelectElement).value);
  location.search = params.toString();
});

// ---- settings form: every ReasonFlowConfig field, with the defaults -------------------------------
const CHOICES: Partial<Record<keyof ReasonFlowConfig, readonly string[]>> = {
  pathScoring: ['log-likelihood', 'original'],
  kvMerge: ['best-row', 'mean'],
};
const settings = $('settings');
for (const [key, value] of Object.entries(DEFAULT_CONFIG) as [keyof ReasonFlowConfig, unknown][]) {
  const label = document.createElement('label');
  label.textContent = key;
  let input: HTMLInputElement | HTMLSelectElement;
  if (CHOICES[key]) {
    input = document.createElement('select');
    for (const choice of CHOICES[key]!) input.append(new Option(choice, choice));
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
const handle: DemoHandle = {
  state: 'loading',
  loadInfo: undefined,
  lastResult: undefined,
  warnings: [],
  iterationsShown: 0,
  resources: () => client.resources(),
  dispose: () => client.dispose(),
};
window.reasonflowDemo = handle;

function setState(state: State, text: string): void {
  handle.state = state;
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
  $<HTMLButtonElement>('run').disabled = state === 'loading' || state === 'running' || state === 'error';
  $<HTMLButtonElement>('stop').disabled = state !== 'running';
}

// ---- search view ----------------------------------------------------------------------------------
const search = $('search');
const output = $('output');

function renderIteration(view: IterationView): void {
  const { report } = view;
  const winner = report.selected[0];
  const node = document.createElement('div');
  node.className = 'iter';
  const head = document.createElement('div');
  head.className = 'iter-head';
  const committedText = report.committed.length;
  head.innerHTML = `<b>#${report.iteration}</b><span>committed <span class="committed"></span> (${committedText} token${committedText === 1 ? '' : 's'})</span><span>T ${report.temperatures.map((t) => t.toFixed(2)).join('–')}</span><span>uncertainty ${report.uncertainty.toFixed(2)}</span><span>cache ${report.cacheLength}</span>`;
  (head.querySelector('.committed') as HTMLElement).textContent = view.committedText.replace(/ /g, '␣');
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
      tok.textContent = (view.pathTexts[i]?.[step] ?? String(token)).replace(/ /g, '␣') || '∅';
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
  handle.iterationsShown++;
  while (search.childElementCount > MAX_ITERATIONS_SHOWN) search.lastElementChild?.remove();
}

// ---- worker ---------------------------------------------------------------------------------------
const files = new Map<string, { loaded: number; total: number | undefined }>();
const client = new ModelClient({
  progress(file, loaded, total) {
    files.set(file, { loaded, total });
    let sum = 0;
    let sumTotal = 0;
    for (const f of files.values()) {
      sum += f.loaded;
      sumTotal += f.total ?? f.loaded;
    }
    $<HTMLProgressElement>('load-progress').value = sumTotal > 0 ? sum / sumTotal : 0;
    $('load-text').textContent = `Downloading ${file} — ${(sum / 1e6).toFixed(1)} / ${(sumTotal / 1e6).toFixed(1)} MB`;
  },
  warning(message) {
    handle.warnings.push(message);
    console.warn(message);
  },
  token(text) {
    output.append(text);
  },
  iteration: renderIteration,
});

async function start(): Promise<void> {
  setState('loading', `loading the model on ${device}…`);
  try {
    const info = await client.load(device, MODEL_URL);
    handle.loadInfo = info;
    const badge = $('backend');
    badge.dataset.provider = info.executionProvider;
    badge.textContent = info.executionProvider === 'webgpu' ? 'WebGPU' : 'wasm (CPU)';
    badge.title = `onnxruntime-web ${info.ortVersion}${info.adapter ? ` · adapter: ${info.adapter}` : ''}`;
    $<HTMLProgressElement>('load-progress').value = 1;
    $('load-text').textContent = `Model loaded in ${(info.loadMs / 1000).toFixed(2)} s on ${badge.textContent}${info.adapter ? ` (${info.adapter})` : ''}${handle.warnings.length ? ` — ${handle.warnings.join(' ')}` : ''}`;
    setState('ready', 'ready');
  } catch (error) {
    $('backend').dataset.provider = 'error';
    $('backend').textContent = 'error';
    setState('error', `could not load the model: ${(error as Error).message}`);
  }
}

$<HTMLFormElement>('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (handle.state === 'running' || handle.state === 'loading') return;
  const prompt = $<HTMLTextAreaElement>('prompt').value;
  const strategy = $<HTMLSelectElement>('strategy').value as Strategy;
  output.textContent = '';
  const promptSpan = document.createElement('span');
  promptSpan.className = 'prompt-text';
  promptSpan.textContent = prompt;
  output.append(promptSpan);
  search.textContent = '';
  handle.iterationsShown = 0;
  setState('running', 'generating…');
  try {
    const result = await client.generate({
      prompt,
      strategy,
      config: readConfig(),
      maxNewTokens: Number($<HTMLInputElement>('maxNewTokens').value),
    });
    handle.lastResult = result;
    setState(
      'done',
      `${result.tokens} tokens in ${(result.elapsedMs / 1000).toFixed(2)} s · ${result.tokensPerSecond.toFixed(1)} tokens/s · ${result.iterations} iterations, ${result.forwardSteps} forward steps (model ${(result.modelTimeMs / 1000).toFixed(2)} s) · ${strategy} on ${result.executionProvider} · stop: ${result.stopReason}`,
    );
  } catch (error) {
    setState('error', `generation failed: ${(error as Error).message}`);
  }
});
$('stop').addEventListener('click', () => client.abort());

void start();
