/**
 * The web demo in a real browser: Debian's Chromium (headless, WebGPU on its software adapter)
 * drives the built app served by Vite's preview server on 127.0.0.1, runs greedy and ReasonFlow on
 * the embedded model on WebGPU and on wasm, and guided search (particle filtering with the
 * Countdown step checker) on wasm, and checks the tokens and the drawn resampling rounds against
 * the Node backend's.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COUNTDOWN_STEP_DELIMITER, countdownStepScorer, extractAnswer, modelPath } from '@reasonflow/model-tiny';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DEFAULT_CONFIG, ReasonFlow, type ReasonFlowConfigInput, type SearchIteration } from 'reasonflow';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DemoResources, RunResult } from '../src/demo-handle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const configFile = join(root, 'vite.config.ts');
const outDir = join(root, 'dist');
const resultsDir = join(root, 'test-results');
const CHROMIUM = process.env.REASONFLOW_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const PROMPT = '4071+985=';
/** Short: WebGPU on Chromium's software adapter (SwiftShader) runs about one token per second. */
const MAX_NEW_TOKENS = 16;
/** The README's example settings; everything else is the original's defaults. */
const SETTINGS: ReasonFlowConfigInput = { numOfThinkers: 4, numOfThoughts: 4, topkThinkers: 1, diversityWeight: 0.3 };
/** The CLI's greedy: one thinker over the original's defaults (the page hides ReasonFlow's form for it). */
const GREEDY: ReasonFlowConfigInput = { ...DEFAULT_CONFIG, numOfThinkers: 1, topkThinkers: 1, pathAcceptance: false };

/**
 * Guided search on a Countdown prompt with the embedded model's step checker: 4 particles at
 * temperature 1.6, hot enough that some steps are rejected and their rows refilled from others.
 */
const GUIDED_PROMPT = 'C:3,5,7>22=';
const GUIDED_TOKENS = 64;
const GUIDED_PARTICLES = 4;
const GUIDED_TEMPERATURE = 1.6;

interface GuidedRun {
  readonly tokenIds: readonly number[];
  readonly output: string;
  readonly answer: string | null;
  readonly candidates: number;
  /** Per resampling round, its arrows as the page writes them (`p3 ← p1`). */
  readonly arrows: readonly (readonly string[])[];
  readonly replaced: number;
}

/** DeepConf on the same prompt: 4 rows, answers voted with model-tiny's extractAnswer. */
const DEEPCONF_TOKENS = 60;
const DEEPCONF_ROWS = 4;

interface DeepConfRun {
  readonly tokenIds: readonly number[];
  readonly answer: string | null;
  readonly candidates: number;
  /** Per wave: its threshold (undefined in warm-up) and its traces' rows. */
  readonly waves: readonly { readonly threshold: number | undefined; readonly rows: readonly number[]; readonly stopped: number }[];
}

async function nodeDeepConf(rf: ReasonFlow): Promise<DeepConfRun> {
  const waves: DeepConfRun['waves'][number][] = [];
  const result = await rf.search(
    GUIDED_PROMPT,
    { kind: 'deepconf', rows: DEEPCONF_ROWS, temperature: GUIDED_TEMPERATURE },
    {
      maxNewTokens: DEEPCONF_TOKENS,
      extractAnswer,
      onIteration: (e) => {
        if (e.kind === 'wave') waves.push({ threshold: e.threshold, rows: e.traces.map((t) => t.row), stopped: e.traces.filter((t) => t.finish === 'low-confidence').length });
      },
    },
  );
  return { tokenIds: result.tokenIds, answer: result.answer, candidates: result.candidates.length, waves };
}

/** The same strategy through the facade in Node, spelled out as the CLI's `--strategy guided --scorer checker` builds it. */
async function nodeGuided(rf: ReasonFlow): Promise<GuidedRun> {
  const rounds: Extract<SearchIteration, { kind: 'resample' }>[] = [];
  const result = await rf.search(
    GUIDED_PROMPT,
    { kind: 'guided', particles: GUIDED_PARTICLES, temperature: GUIDED_TEMPERATURE, stepDelimiter: COUNTDOWN_STEP_DELIMITER, scoreStep: countdownStepScorer(GUIDED_PROMPT) },
    { maxNewTokens: GUIDED_TOKENS, extractAnswer, onIteration: (e) => e.kind === 'resample' && rounds.push(e) },
  );
  return {
    tokenIds: result.tokenIds,
    output: result.output,
    answer: result.answer,
    candidates: result.candidates.length,
    arrows: rounds.map((r) => r.ancestors.map((a, row) => `p${row} ← p${a}`)),
    replaced: rounds.reduce((sum, r) => sum + r.ancestors.filter((a, row) => a !== row).length, 0),
  };
}

interface NodeRun {
  readonly tokenIds: readonly number[];
  readonly output: string;
  readonly tokensPerSecond: number;
}

/** Rebuilds dist/ when it is missing or older than a source file. */
async function ensureBuilt(): Promise<void> {
  const built = join(outDir, 'index.html');
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  const sourceTime = Math.max(newest(join(root, 'src')), statSync(join(root, 'index.html')).mtimeMs, statSync(configFile).mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs >= sourceTime) return;
  await build({ root, configFile, logLevel: 'warn' });
}

async function nodeRun(rf: ReasonFlow, config: ReasonFlowConfigInput): Promise<NodeRun> {
  const start = performance.now();
  const result = await rf.withConfig(config).generateThoughts(PROMPT, { maxNewTokens: MAX_NEW_TOKENS });
  const seconds = (performance.now() - start) / 1000;
  return { tokenIds: result.tokenIds, output: result.output, tokensPerSecond: result.tokenIds.length / seconds };
}

async function startInPage(page: Page, strategy: 'greedy' | 'reasonflow', maxNewTokens = MAX_NEW_TOKENS): Promise<void> {
  await page.selectOption('#strategy', strategy);
  await page.fill('#prompt', PROMPT);
  await page.fill('#maxNewTokens', String(maxNewTokens));
  // ReasonFlow's form is shown for ReasonFlow only; greedy runs the CLI's one thinker over the defaults.
  if (strategy === 'reasonflow') for (const [key, value] of Object.entries(SETTINGS)) await page.fill(`#cfg-${key}`, String(value));
  else expect(await page.isHidden('#settings-box')).toBe(true);
  await page.click('#run');
}

/** Model files the page (or its worker) asked the network for. */
function modelRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/model/')) seen.push(`${request.method()} ${request.url()}`);
  });
  return seen;
}

async function waitLoaded(page: Page): Promise<void> {
  await page.waitForFunction(() => window.reasonflowDemo !== undefined && !['idle', 'loading'].includes(window.reasonflowDemo.state), null, { timeout: 120_000 });
  const loadInfo = await page.evaluate(() => window.reasonflowDemo.loadInfo);
  if (loadInfo === undefined) throw new Error(`loading failed: ${await page.textContent('#load-error')}`);
}

async function runInPage(page: Page, strategy: 'greedy' | 'reasonflow'): Promise<RunResult> {
  await startInPage(page, strategy);
  return finished(page);
}

async function finished(page: Page): Promise<RunResult> {
  await page.waitForFunction(() => window.reasonflowDemo.state !== 'running', null, { timeout: 240_000 });
  const state = await page.evaluate(() => window.reasonflowDemo.state);
  if (state !== 'done') throw new Error(`the page says: ${await page.textContent('#status')}`);
  return (await page.evaluate(() => window.reasonflowDemo.lastResult))!;
}

describe('the web demo in Chromium', () => {
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  let url = '';
  const reference: { load: number; greedy?: NodeRun; reasonflow?: NodeRun; guided?: GuidedRun; deepconf?: DeepConfRun } = { load: 0 };
  const timings: Record<string, unknown> = {};

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: the browser test needs Debian's chromium ` +
          '(`apt-get install -y chromium`; .ci/run installs it) or REASONFLOW_CHROMIUM pointing at a Chromium binary.',
      );
    }
    mkdirSync(resultsDir, { recursive: true });
    const start = performance.now();
    const rf = await ReasonFlow.fromPretrained(modelPath, { device: 'cpu', config: SETTINGS });
    reference.load = performance.now() - start;
    try {
      reference.greedy = await nodeRun(rf, GREEDY);
      reference.reasonflow = await nodeRun(rf, SETTINGS);
    } finally {
      await rf.dispose();
    }
    timings.node = { loadMs: reference.load, greedyTokensPerSecond: reference.greedy.tokensPerSecond, reasonflowTokensPerSecond: reference.reasonflow.tokensPerSecond };
    await ensureBuilt();
    server = await preview({ root, configFile, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } });
    url = server.resolvedUrls?.local[0] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (Object.keys(timings).length > 0) writeFileSync(join(resultsDir, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  });

  test.each((process.env.REASONFLOW_WEB_DEVICES ?? 'webgpu,wasm').split(',') as ('webgpu' | 'wasm')[])('greedy and ReasonFlow on %s match the Node backend, and nothing leaks', async (device) => {
    // One context per device: its Cache API storage starts empty and survives a reload.
    const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const requested = modelRequests(page);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    try {
      await page.goto(`${url}?device=${device}`);
      await waitLoaded(page);
      const loadInfo = (await page.evaluate(() => window.reasonflowDemo.loadInfo))!;
      expect(requested.some((r) => r.includes('/model/onnx/'))).toBe(true);
      expect(loadInfo.executionProvider).toBe(device);
      expect(await page.textContent('#backend')).toBe(device === 'webgpu' ? 'WebGPU' : 'wasm (CPU)');

      const greedy = await runInPage(page, 'greedy');
      expect(greedy.tokenIds).toEqual(reference.greedy!.tokenIds);
      const reasonflow = await runInPage(page, 'reasonflow');
      expect(reasonflow.tokenIds).toEqual(reference.reasonflow!.tokenIds);
      expect(reasonflow.output).toBe(reference.reasonflow!.output);
      expect(reasonflow.executionProvider).toBe(device);
      // The SIMD kernels compile synchronously on the page's main thread: the engine runs them, not the fallback.
      expect(reasonflow.tensorBackend).toBe('wasm-simd');

      // The page shows the streamed text and one entry per iteration with the winners marked.
      expect(await page.textContent('#output')).toBe(PROMPT + reasonflow.output);
      expect(await page.locator('#search .iter').count()).toBe(reasonflow.iterations);
      expect(await page.locator('#search .iter').first().locator('.thinker').count()).toBe(SETTINGS.numOfThinkers);
      expect(await page.locator('#search .thinker.won').count()).toBeGreaterThanOrEqual(reasonflow.iterations);
      // The search is drawn as a chart too: one dot per thinker and iteration, the winners ringed.
      expect(await page.locator('#chart circle').count()).toBe(reasonflow.iterations * SETTINGS.numOfThinkers!);
      expect(await page.locator('#chart circle.winner').count()).toBeGreaterThanOrEqual(reasonflow.iterations);
      // The output wraps inside its card.
      expect(await page.$eval('#output', (el) => el.scrollWidth <= el.clientWidth)).toBe(true);
      await page.screenshot({ path: join(resultsDir, `screenshot-${device}.png`), fullPage: true });
      if (device === 'webgpu') await page.screenshot({ path: join(resultsDir, 'screenshot.png'), fullPage: true });

      if (device === 'wasm') {
        // Stop: the engine runs in the page, so an abort lands between two forward passes.
        await startInPage(page, 'reasonflow', 250);
        await page.waitForFunction(() => window.reasonflowDemo.iterationsShown >= 2, null, { timeout: 60_000 });
        const clicked = performance.now();
        await page.click('#stop');
        await page.waitForFunction(() => window.reasonflowDemo.state !== 'running', null, { timeout: 10_000 });
        const stopMs = performance.now() - clicked;
        const stopped = (await page.evaluate(() => window.reasonflowDemo.lastResult))!;
        expect(stopped.stopReason).toBe('aborted');
        expect(stopped.tokens).toBeGreaterThan(0);
        expect(stopped.tokens).toBeLessThan(250);
        expect(await page.textContent('#output')).toBe(PROMPT + stopped.output);
        expect(stopMs).toBeLessThan(2_000);
        timings.stopMs = stopMs;
      }

      // After a run: no sequence, KV cache or logits tensor is alive; after dispose, no session either.
      const afterRun = await page.evaluate(() => window.reasonflowDemo.resources());
      expect(afterRun).toMatchObject({ sequences: 0, adapterTensors: 0, deviceTensors: 0, engineTensors: 0 });
      expect(afterRun.sessions).toBeGreaterThan(0);
      if (device === 'webgpu') expect(afterRun.deviceTensorsCreated).toBeGreaterThan(0);
      else expect(afterRun.deviceTensorsCreated).toBe(0);
      const afterDispose: DemoResources = await page.evaluate(() => window.reasonflowDemo.dispose());
      expect(afterDispose).toMatchObject({ sessions: 0, sequences: 0, adapterTensors: 0, deviceTensors: 0, engineTensors: 0 });

      // A reload loads the model from the browser's cache: no model file goes over the network.
      requested.length = 0;
      await page.reload();
      await waitLoaded(page);
      expect(await page.evaluate(() => window.reasonflowDemo.loadInfo?.executionProvider)).toBe(device);
      expect(requested).toEqual([]);
      expect(errors).toEqual([]);

      timings[device] = {
        adapter: loadInfo.adapter,
        loadMs: loadInfo.loadMs,
        greedyTokensPerSecond: greedy.tokensPerSecond,
        reasonflowTokensPerSecond: reasonflow.tokensPerSecond,
        greedyModelShare: greedy.modelTimeMs / greedy.elapsedMs,
        greedyMsPerForward: greedy.modelTimeMs / greedy.forwardSteps,
        gpuBuffersCreated: afterRun.deviceTensorsCreated,
      };
      console.log(`[web] ${device}: ${JSON.stringify(timings[device])}; node: ${JSON.stringify(timings.node)}`);
    } finally {
      await context.close();
    }
  });

  test('guided search and DeepConf on wasm: a bad setting shows the typed error, then the rounds and waves match the Node backend', async () => {
    // The Node references, here rather than in beforeAll: only this test needs them.
    const rf = await ReasonFlow.fromPretrained(modelPath, { device: 'cpu' });
    try {
      reference.guided = await nodeGuided(rf);
      reference.deepconf = await nodeDeepConf(rf);
    } finally {
      await rf.dispose();
    }
    const guided = reference.guided;
    // The run must resample and refill rows, or the view it checks would show nothing but "kept".
    expect(guided.arrows.length).toBeGreaterThan(0);
    expect(guided.replaced).toBeGreaterThan(0);
    const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    try {
      await page.goto(`${url}?device=wasm`);
      await waitLoaded(page);
      // Every CLI strategy is offered; guided shows its own settings, not ReasonFlow's form.
      expect(await page.$$eval('#strategy option', (options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual([
        'greedy',
        'sample',
        'best-of-n',
        'self-consistency',
        'reasonflow',
        'guided',
        'deepconf',
      ]);
      await page.selectOption('#strategy', 'guided');
      expect(await page.isHidden('#settings-box')).toBe(true);
      for (const id of ['#opt-samples', '#opt-scorer', '#opt-step-delimiter', '#opt-temperature', '#opt-answer']) expect(await page.isVisible(id)).toBe(true);
      expect(await page.isHidden('#opt-repetition-penalty')).toBe(true);
      expect(await page.inputValue('#opt-samples')).toBe('8'); // the CLI's default N
      await page.fill('#prompt', GUIDED_PROMPT);
      await page.fill('#maxNewTokens', String(GUIDED_TOKENS));

      // N = 0: the library's ConfigError names the field, and the page stays usable.
      await page.fill('#opt-samples', '0');
      await page.click('#run');
      await page.waitForFunction(() => window.reasonflowDemo.state !== 'running', null, { timeout: 30_000 });
      expect(await page.evaluate(() => window.reasonflowDemo.state)).toBe('error');
      const status = (await page.textContent('#status')) ?? '';
      expect(status).toContain('ConfigError: Invalid config field "particles": got 0, expected an integer in [1, ');
      expect(await page.evaluate(() => window.reasonflowDemo.lastError)).toBe(status.replace('generation failed: ', ''));
      expect(await page.isEnabled('#run')).toBe(true);

      await page.fill('#opt-samples', String(GUIDED_PARTICLES));
      await page.fill('#opt-temperature', String(GUIDED_TEMPERATURE));
      await page.selectOption('#opt-scorer', 'checker');
      await page.check('#opt-answer');
      await page.click('#run');
      const result = await finished(page);
      expect(result.strategy).toBe('guided');
      expect(result.executionProvider).toBe('wasm');
      expect(result.tokenIds).toEqual(guided.tokenIds);
      expect(result.output).toBe(guided.output);
      expect(await page.textContent('#output')).toBe(GUIDED_PROMPT + guided.output);
      const info = result.search!;
      expect(info.answer).toBe(guided.answer);
      expect(info.candidates).toBe(guided.candidates);
      expect(info.roundsShown).toBe(guided.arrows.length);
      expect(info.rounds).toBe(guided.arrows.length);
      expect(info.replacedShown).toBe(guided.replaced);

      // One block per resampling round, newest on top, each with the ancestors the library chose.
      const drawn = await page.$$eval('#search .round', (rounds) =>
        rounds.map((r) => ({ round: Number((r as HTMLElement).dataset.round), arrows: [...r.querySelectorAll('.ancestor')].map((a) => a.textContent ?? '') })),
      );
      expect(drawn.map((d) => d.round)).toEqual(guided.arrows.map((_, i) => i).reverse());
      expect(drawn.map((d) => d.arrows).reverse()).toEqual(guided.arrows);
      expect(await page.locator('#search .ancestor.replaced').count()).toBe(guided.replaced);
      expect(await page.locator('#search .round').first().locator('.particle').count()).toBe(GUIDED_PARTICLES);
      expect(await page.locator('#search svg.lineage').count()).toBe(guided.arrows.length);
      // Some step was rejected by the checker (-∞) somewhere, or no row would have been refilled.
      expect(await page.locator('#search .particle.rejected').count()).toBeGreaterThan(0);
      // The candidates, the returned one marked.
      expect(await page.locator('#search .candidate').count()).toBe(guided.candidates);
      expect(await page.locator('#search .candidate.chosen').count()).toBe(1);
      expect(info.chosen).toBeGreaterThanOrEqual(0);
      expect(await page.textContent('#status')).toContain(`${guided.arrows.length} resampling rounds`);
      await page.screenshot({ path: join(resultsDir, 'screenshot-guided.png'), fullPage: true });

      // DeepConf on the same prompt: one block per wave with its traces, the threshold once set.
      const deepconf = reference.deepconf!;
      await page.selectOption('#strategy', 'deepconf');
      expect(await page.isHidden('#opt-scorer')).toBe(true);
      await page.fill('#opt-samples', String(DEEPCONF_ROWS));
      await page.fill('#maxNewTokens', String(DEEPCONF_TOKENS));
      await page.click('#run');
      const voted = await finished(page);
      expect(voted.strategy).toBe('deepconf');
      expect(voted.tokenIds).toEqual(deepconf.tokenIds);
      expect(voted.search!.answer).toBe(deepconf.answer);
      expect(voted.search!.candidates).toBe(deepconf.candidates);
      expect(voted.search!.wavesShown).toBe(deepconf.waves.length);
      expect(voted.search!.stoppedShown).toBe(deepconf.waves.reduce((sum, w) => sum + w.stopped, 0));
      expect(voted.search!.roundsShown).toBe(0);
      const waves = await page.$$eval('#search .wave', (blocks) =>
        blocks.map((b) => ({
          threshold: b.querySelector('.threshold')?.textContent ?? '',
          rows: [...b.querySelectorAll('.trace')].map((t) => Number((t as HTMLElement).dataset.row)),
        })),
      );
      expect(waves.reverse()).toEqual(
        deepconf.waves.map((w) => ({ threshold: w.threshold === undefined ? 'warm-up: sets the threshold' : `threshold ${w.threshold.toFixed(2)}`, rows: w.rows })),
      );
      expect(await page.locator('#search .candidate').count()).toBe(deepconf.candidates);
      expect(await page.locator('#search .candidate.chosen').count()).toBe(1);
      await page.screenshot({ path: join(resultsDir, 'screenshot-deepconf.png'), fullPage: true });

      const afterRun = await page.evaluate(() => window.reasonflowDemo.resources());
      expect(afterRun).toMatchObject({ sequences: 0, adapterTensors: 0, deviceTensors: 0, engineTensors: 0 });
      const afterDispose: DemoResources = await page.evaluate(() => window.reasonflowDemo.dispose());
      expect(afterDispose).toMatchObject({ sessions: 0, sequences: 0, adapterTensors: 0, deviceTensors: 0, engineTensors: 0 });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
