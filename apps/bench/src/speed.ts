/**
 * Speed benchmarks on the embedded model, CPU provider, one intra-op thread everywhere. Every figure
 * is a ratio to a baseline measured in the same repetition (interleaved), reported as the median.
 */
import { basename, dirname } from 'node:path';
import { loadModel } from '@reasonflow/backend-cuda';
import type { ReasonFlowConfigInput } from '@reasonflow/core';
import { MODEL_SPEC, Mulberry32 } from '@reasonflow/model-tiny';
import { ReasonFlow } from 'reasonflow';
import { BareOrtDecoder } from './bare-loop.js';
import { median, medianOverhead, medianRatio } from './stats.js';
import { KvTimer } from './timing.js';

export interface SpeedOptions {
  modelPath: string;
  /** Repetitions of every measurement (medians over them). */
  reps: number;
  /** Tokens per fixed-length generation (items 1 and 2; EOS disabled). */
  fixedTokens: number;
  /** Task prompts for items 3-5 (EOS allowed). */
  prompts: readonly string[];
  /** Cap on new tokens per task prompt (items 3-5). */
  maxNewTokens: number;
  /** Sequential short generations of the leak check (RSS after 10 vs after this many). */
  leakRuns: number;
  /** Include the transformers.js comparison (item 2). */
  transformers: boolean;
  log: (line: string) => void;
}

export interface ConfigSpeed {
  label: string;
  config: ReasonFlowConfigInput;
  /** Committed tokens/s ÷ our greedy tokens/s (same prompts, same repetition). */
  tokensPerSecondRatio: number;
  forwardStepsPerToken: number;
  rowsPerToken: number;
  tokensPerIteration: number;
  /** Time per iteration ÷ that of N = 1 (thinker scaling). */
  iterationTimeRatio?: number;
  /** Peak RSS sampled during this configuration's runs, MiB. */
  peakRssMiB: number;
}

export interface SpeedResults {
  engineOverhead: {
    /** ReasonFlow N=1, T=1 wall time ÷ bare onnxruntime loop wall time − 1 (median of paired reps). */
    overVsBareLoop: number;
    /** The engine's own accounting: engineTimeMs ÷ modelTimeMs (median). */
    engineOverModelTime: number;
    tokens: number;
    identicalTokens: boolean;
  };
  /**
   * What a batch of BATCH_ROWS rows costs per step in the bare loop, ÷ a batch-1 step (median of paired
   * reps). Path acceptance at N = BATCH_ROWS runs one such step per committed token, so its tokens/s ÷
   * greedy cannot exceed 1 ÷ this on this machine, whatever the engine does.
   */
  batchStep?: { rows: number; stepTimeRatio: number; pathAcceptanceCeiling: number };
  transformersJs?: {
    /** Our greedy tokens/s ÷ transformers.js greedy generate tokens/s (median of paired reps). */
    tokensPerSecondRatio: number;
    /** Bare loop tokens/s ÷ transformers.js tokens/s (for reference). */
    bareLoopRatio: number;
    identicalTokens: boolean;
    tokens: number;
  };
  configs: ConfigSpeed[];
  kv: {
    label: string;
    /** (selectRows + truncate + deferred KV gathers) per iteration ÷ forward time per iteration. */
    kvOverForward: number;
    kvMsPerIteration: number;
    forwardMsPerIteration: number;
  }[];
  memory: {
    leakRuns: number;
    rssAfter10MiB: number;
    rssAfterAllMiB: number;
    /** rssAfterAll ÷ rssAfter10. */
    growthRatio: number;
    liveTensorsAfter: number;
    liveSequencesAfter: number;
    maxRssMiB: number;
  };
}

const MiB = 2 ** 20;
/** Thinkers of the path-acceptance configuration whose ceiling section 1 measures. */
const BATCH_ROWS = 4;

/** 0..n−1 in a seeded random order (Fisher–Yates over Mulberry32), the same for the same `seed`. */
export function shuffledOrder(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const random = new Mulberry32(0x5eed + seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Runs a set of prompts with one ReasonFlow instance; totals over the prompts. */
/** Iterations between two peak-RSS samples while a configuration runs. */
const RSS_SAMPLE_ITERATIONS = 16;

async function runPrompts(
  rf: ReasonFlow,
  prompts: readonly string[],
  maxNewTokens: number,
  peak: { rss: number },
): Promise<{ wallMs: number; tokens: number; iterations: number; forwardSteps: number; rows: number }> {
  let tokens = 0;
  let iterations = 0;
  let forwardSteps = 0;
  let rows = 0;
  const samplePeak = (): void => {
    const rss = process.memoryUsage.rss();
    if (rss > peak.rss) peak.rss = rss;
  };
  let sinceSample = 0;
  const start = performance.now();
  for (const prompt of prompts) {
    const limit = Math.max(1, Math.min(maxNewTokens, MODEL_SPEC.maxPositionEmbeddings - rf.encode(prompt).length - 1));
    const result = await rf.generateThoughts(prompt, {
      maxNewTokens: limit,
      // Reading RSS costs tens of µs (a /proc read): every iteration would tax greedy (one token per
      // iteration) more than configurations that commit several tokens per iteration.
      onIteration: () => {
        if (++sinceSample % RSS_SAMPLE_ITERATIONS === 0) samplePeak();
      },
    });
    samplePeak();
    tokens += result.tokenIds.length;
    iterations += result.stats.iterations;
    forwardSteps += result.stats.forwardSteps;
    rows += result.stats.rowsComputed;
  }
  return { wallMs: performance.now() - start, tokens, iterations, forwardSteps, rows };
}

export async function runSpeed(options: SpeedOptions): Promise<SpeedResults> {
  const { modelPath, reps, log } = options;
  const shape = {
    layers: MODEL_SPEC.numLayers,
    kvHeads: MODEL_SPEC.numKeyValueHeads,
    headDim: MODEL_SPEC.headDim,
    vocab: MODEL_SPEC.vocabSize,
  };
  const bare = await BareOrtDecoder.load(modelPath, shape, 1);
  // Loaded here (not through fromPretrained) so that the model's own events are typed and observable.
  const loaded = await loadModel(modelPath, { device: 'cpu', intraOpNumThreads: 1, onWarning: () => {} });
  const rf = new ReasonFlow({}, loaded.model, loaded.tokenizer, { executionProvider: loaded.executionProvider, owned: loaded });
  try {
    const greedy = rf.withConfig({ numOfThinkers: 1, numOfThoughts: 1 });
    const probe = options.prompts[0] ?? '1234567+7654321=';
    const promptIds = rf.encode(probe);
    const fixed = Math.max(1, Math.min(options.fixedTokens, MODEL_SPEC.maxPositionEmbeddings - promptIds.length - 1));

    // 1. Engine overhead against the bare loop (same KV feeding, EOS disabled, fixed length).
    log(`speed 1/6: engine overhead vs bare onnxruntime loop (${fixed} tokens × ${reps} reps)`);
    await bare.greedy(promptIds, fixed);
    await greedy.generateThoughts(probe, { maxNewTokens: fixed, eosTokenIds: [] });
    await bare.greedy(promptIds, fixed, [], BATCH_ROWS);
    const bareTimes: number[] = [];
    const batchTimes: number[] = [];
    const oursTimes: number[] = [];
    const engineOverModel: number[] = [];
    let identical = true;
    for (let rep = 0; rep < reps; rep++) {
      const b = await bare.greedy(promptIds, fixed);
      const start = performance.now();
      const ours = await greedy.generateThoughts(probe, { maxNewTokens: fixed, eosTokenIds: [] });
      oursTimes.push(performance.now() - start);
      bareTimes.push(b.timeMs);
      batchTimes.push((await bare.greedy(promptIds, fixed, [], BATCH_ROWS)).timeMs);
      engineOverModel.push(ours.stats.engineTimeMs / ours.stats.modelTimeMs);
      identical &&= b.tokenIds.join() === ours.tokenIds.join();
    }
    const engineOverhead = {
      overVsBareLoop: medianOverhead(oursTimes, bareTimes),
      engineOverModelTime: median(engineOverModel),
      tokens: fixed,
      identicalTokens: identical,
    };
    const stepTimeRatio = medianRatio(batchTimes, bareTimes);
    const batchStep = { rows: BATCH_ROWS, stepTimeRatio, pathAcceptanceCeiling: 1 / stepTimeRatio };

    // 2. transformers.js greedy generate on the same folder.
    let transformersJs: SpeedResults['transformersJs'];
    if (options.transformers) {
      log(`speed 2/6: greedy vs @huggingface/transformers generate (${fixed} tokens × ${reps} reps)`);
      const tf = await import('@huggingface/transformers');
      tf.env.allowRemoteModels = false;
      tf.env.allowLocalModels = true;
      tf.env.localModelPath = `${dirname(modelPath)}/`;
      const model = await tf.AutoModelForCausalLM.from_pretrained(basename(modelPath), {
        device: 'cpu',
        dtype: 'fp32',
        session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 },
      });
      const inputIds = new tf.Tensor('int64', BigInt64Array.from(promptIds, (v) => BigInt(v)), [1, promptIds.length]);
      const mask = new tf.Tensor('int64', new BigInt64Array(promptIds.length).fill(1n), [1, promptIds.length]);
      const theirs = async () => {
        const start = performance.now();
        const out = (await model.generate({
          input_ids: inputIds,
          attention_mask: mask,
          max_new_tokens: fixed,
          min_new_tokens: fixed,
          do_sample: false,
        } as never)) as { tolist(): bigint[][] };
        const ms = performance.now() - start;
        return { ms, ids: out.tolist()[0]!.slice(promptIds.length).map(Number) };
      };
      await theirs();
      const eosIds = rf.model.info.eosTokenIds;
      const theirTimes: number[] = [];
      const ourTimes: number[] = [];
      const bareTimes2: number[] = [];
      let same = true;
      for (let rep = 0; rep < reps; rep++) {
        const t = await theirs();
        const start = performance.now();
        const ours = await greedy.generateThoughts(probe, { maxNewTokens: fixed, eosTokenIds: [] });
        ourTimes.push(performance.now() - start);
        bareTimes2.push((await bare.greedy(promptIds, fixed)).timeMs);
        theirTimes.push(t.ms);
        // transformers.js runs with min_new_tokens (EOS suppressed), ours with EOS disabled: the two
        // agree up to the first EOS our greedy emits; compare that prefix.
        const eosAt = ours.tokenIds.findIndex((id) => eosIds.includes(id));
        const upTo = eosAt < 0 ? fixed : eosAt;
        same &&= t.ids.slice(0, upTo).join() === ours.tokenIds.slice(0, upTo).join();
      }
      await (model as unknown as { dispose(): Promise<unknown> }).dispose();
      // tokens/s ratio = their time ÷ our time (same token count).
      transformersJs = {
        tokensPerSecondRatio: medianRatio(theirTimes, ourTimes),
        bareLoopRatio: medianRatio(theirTimes, bareTimes2),
        identicalTokens: same,
        tokens: fixed,
      };
    }

    // 3 + 4. Configurations on task prompts: tokens/s vs greedy, forward steps per token, scaling.
    const configs: { label: string; config: ReasonFlowConfigInput; scaling?: boolean }[] = [
      { label: 'greedy (N=1)', config: { numOfThinkers: 1, numOfThoughts: 1 } },
      { label: 'N=4, T=4', config: { numOfThinkers: 4, numOfThoughts: 4 } },
      { label: 'N=4, T=4, path acceptance', config: { numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true } },
      {
        label: 'N=4, T=4, path acceptance, narrowing',
        config: { numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true, narrowWhenConfident: true },
      },
      { label: 'N=1, T=4', config: { numOfThinkers: 1, numOfThoughts: 4 }, scaling: true },
      { label: 'N=2, T=4', config: { numOfThinkers: 2, numOfThoughts: 4 }, scaling: true },
      { label: 'N=8, T=4', config: { numOfThinkers: 8, numOfThoughts: 4 }, scaling: true },
    ];
    log(`speed 3-4/6: ${configs.length} configurations × ${options.prompts.length} prompts × ${reps} reps`);
    const perConfig = configs.map(() => ({
      tps: [] as number[],
      iterMs: [] as number[],
      fw: 0,
      rows: 0,
      tokens: 0,
      iterations: 0,
      peak: { rss: 0 },
    }));
    const instances = configs.map((c) => rf.withConfig(c.config));
    for (let rep = 0; rep < reps; rep++) {
      // A fresh seeded order per repetition: no configuration always runs first, nor always right after
      // the heaviest one. (Rotating the order kept the cycle: greedy always followed N=8, T=4 and came
      // out 15–24% slower than the identical N=1, T=4.) The garbage of one configuration is collected
      // before the next starts, so that none pays for another's.
      for (const i of shuffledOrder(configs.length, rep)) {
        gc();
        const r = await runPrompts(instances[i]!, options.prompts, options.maxNewTokens, perConfig[i]!.peak);
        const acc = perConfig[i]!;
        acc.tps.push(r.tokens / r.wallMs);
        acc.iterMs.push(r.wallMs / r.iterations);
        acc.fw += r.forwardSteps;
        acc.rows += r.rows;
        acc.tokens += r.tokens;
        acc.iterations += r.iterations;
      }
    }
    const greedyTps = perConfig[0]!.tps;
    const n1Iter = perConfig[configs.findIndex((c) => c.label === 'N=1, T=4')]!.iterMs;
    const configResults: ConfigSpeed[] = configs.map((c, i) => {
      const acc = perConfig[i]!;
      const n = (c.config.numOfThinkers ?? 1) as number;
      const scaling = c.scaling || (n === 4 && !c.config.pathAcceptance);
      return {
        label: c.label,
        config: c.config,
        tokensPerSecondRatio: medianRatio(acc.tps, greedyTps),
        forwardStepsPerToken: acc.fw / acc.tokens,
        rowsPerToken: acc.rows / acc.tokens,
        tokensPerIteration: acc.tokens / acc.iterations,
        ...(scaling ? { iterationTimeRatio: medianRatio(acc.iterMs, n1Iter) } : {}),
        peakRssMiB: acc.peak.rss / MiB,
      };
    });

    // 5. KV select + rollback vs forward, from the engine's observer and the model's events.
    const timer = new KvTimer();
    const stopObserving = loaded.model.observe(timer.onModelEvent);
    const kvConfigs: { label: string; config: ReasonFlowConfigInput }[] = [
      { label: 'N=4, T=4', config: { numOfThinkers: 4, numOfThoughts: 4 } },
      { label: 'N=8, T=4', config: { numOfThinkers: 8, numOfThoughts: 4 } },
      { label: 'N=4, T=4, path acceptance', config: { numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true } },
    ];
    log(`speed 5/6: KV select + rollback vs forward (${kvConfigs.length} configurations)`);
    const kv: SpeedResults['kv'] = [];
    for (const c of kvConfigs) {
      const instance = new ReasonFlow({ ...rf.config, ...c.config }, loaded.model, rf.tokenizer, { observer: timer.observer });
      const ratios: number[] = [];
      const kvMs: number[] = [];
      const fwMs: number[] = [];
      for (let rep = 0; rep < reps; rep++) {
        timer.reset();
        const r = await runPrompts(instance, options.prompts, options.maxNewTokens, { rss: 0 });
        const t = timer.timings;
        ratios.push(t.kvMs / t.forwardMs);
        kvMs.push(t.kvMs / r.iterations);
        fwMs.push(t.forwardMs / r.iterations);
      }
      kv.push({ label: c.label, kvOverForward: median(ratios), kvMsPerIteration: median(kvMs), forwardMsPerIteration: median(fwMs) });
    }
    stopObserving();

    // 6. Memory: RSS after 10 vs after `leakRuns` short generations (N=4, T=4: selects and rollbacks).
    log(`speed 6/6: memory, ${options.leakRuns} sequential short generations`);
    const leaky = rf.withConfig({ numOfThinkers: 4, numOfThoughts: 4 });
    let rssAfter10 = 0;
    for (let i = 0; i < options.leakRuns; i++) {
      await leaky.generateThoughts(options.prompts[i % options.prompts.length] ?? probe, { maxNewTokens: 8 });
      if (i === Math.min(9, options.leakRuns - 1)) {
        gc();
        rssAfter10 = process.memoryUsage.rss();
      }
    }
    gc();
    const rssAfterAll = process.memoryUsage.rss();
    const memory = {
      leakRuns: options.leakRuns,
      rssAfter10MiB: rssAfter10 / MiB,
      rssAfterAllMiB: rssAfterAll / MiB,
      growthRatio: rssAfterAll / rssAfter10,
      liveTensorsAfter: loaded.model.liveTensors,
      liveSequencesAfter: loaded.model.liveSequences,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
    return { engineOverhead, batchStep, ...(transformersJs ? { transformersJs } : {}), configs: configResults, kv, memory };
  } finally {
    await rf.dispose();
    await bare.dispose();
  }
}
