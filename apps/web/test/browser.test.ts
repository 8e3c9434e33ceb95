/**
 * The web demo in a real browser: Debian's Chromium (headless, WebGPU on its software adapter)
 * drives the built app served by Vite's preview server on 127.0.0.1, runs greedy and ReasonFlow on
 * the embedded model on WebGPU and on wasm, and checks the tokens against the Node backend's.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelPath } from '@reasonflow/model-tiny';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ReasonFlow, type ReasonFlowConfigInput } from 'reasonflow';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunResult, WorkerResources } from '../src/protocol.js';

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
const GREEDY: ReasonFlowConfigInput = { ...SETTINGS, numOfThinkers: 1, topkThinkers: 1, pathAcceptance: false };

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

async function runInPage(page: Page, strategy: 'greedy' | 'reasonflow'): Promise<RunResult> {
  await page.selectOption('#strategy', strategy);
  await page.fill('#prompt', PROMPT);
  await page.fill('#maxNewTokens', String(MAX_NEW_TOKENS));
  for (const [key, value] of Object.entries(SETTINGS)) await page.fill(`#cfg-${key}`, String(value));
  await page.click('#run');
  await page.waitForFunction(() => window.reasonflowDemo.state !== 'running', null, { timeout: 240_000 });
  const state = await page.evaluate(() => window.reasonflowDemo.state);
  if (state !== 'done') throw new Error(`the page says: ${await page.textContent('#status')}`);
  return (await page.evaluate(() => window.reasonflowDemo.lastResult))!;
}

describe('the web demo in Chromium', () => {
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  let url = '';
  const reference: { load: number; greedy?: NodeRun; reasonflow?: NodeRun } = { load: 0 };
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
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    try {
      await page.goto(`${url}?device=${device}`);
      await page.waitForFunction(() => window.reasonflowDemo?.state !== 'loading', null, { timeout: 120_000 });
      const loadInfo = await page.evaluate(() => window.reasonflowDemo.loadInfo);
      if (loadInfo === undefined) throw new Error(`loading failed: ${await page.textContent('#status')}`);
      expect(loadInfo.executionProvider).toBe(device);
      expect(await page.textContent('#backend')).toBe(device === 'webgpu' ? 'WebGPU' : 'wasm (CPU)');

      const greedy = await runInPage(page, 'greedy');
      expect(greedy.tokenIds).toEqual(reference.greedy!.tokenIds);
      const reasonflow = await runInPage(page, 'reasonflow');
      expect(reasonflow.tokenIds).toEqual(reference.reasonflow!.tokenIds);
      expect(reasonflow.output).toBe(reference.reasonflow!.output);
      expect(reasonflow.executionProvider).toBe(device);

      // The page shows the streamed text and one entry per iteration with the winners marked.
      expect(await page.textContent('#output')).toBe(PROMPT + reasonflow.output);
      expect(await page.locator('#search .iter').count()).toBe(reasonflow.iterations);
      expect(await page.locator('#search .iter').first().locator('.thinker').count()).toBe(SETTINGS.numOfThinkers);
      expect(await page.locator('#search .thinker.won').count()).toBeGreaterThanOrEqual(reasonflow.iterations);
      await page.screenshot({ path: join(resultsDir, `screenshot-${device}.png`), fullPage: true });
      if (device === 'webgpu') await page.screenshot({ path: join(resultsDir, 'screenshot.png'), fullPage: true });

      // After a run: no sequence, KV cache or logits tensor is alive; after dispose, no session either.
      const afterRun = await page.evaluate(() => window.reasonflowDemo.resources());
      expect(afterRun).toMatchObject({ sequences: 0, adapterTensors: 0, deviceTensors: 0, engineTensors: 0 });
      expect(afterRun.sessions).toBeGreaterThan(0);
      if (device === 'webgpu') expect(afterRun.deviceTensorsCreated).toBeGreaterThan(0);
      else expect(afterRun.deviceTensorsCreated).toBe(0);
      const afterDispose: WorkerResources = await page.evaluate(() => window.reasonflowDemo.dispose());
      expect(afterDispose).toMatchObject({ sessions: 0, sequences: 0, adapterTensors: 0, deviceTensors: 0, engineTensors: 0 });
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
      await page.close();
    }
  });
});
