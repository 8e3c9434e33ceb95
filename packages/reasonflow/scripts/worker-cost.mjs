// What running the model in a worker thread costs in tokens/s on the embedded model: main thread and
// worker loaded side by side, runs interleaved (alternating which goes first), medians compared.
// Usage (after `pnpm --filter reasonflow... build`): node scripts/worker-cost.mjs [reps=10]
import { modelPath } from '@reasonflow/model-tiny';
import { ReasonFlow } from 'reasonflow';

const reps = Number(process.argv[2] ?? 10);
const prompts = ['4071+985=', 'C:14,12,5>108='];
const settings = {
  greedy: { numOfThinkers: 1, numOfThoughts: 1 },
  'reasonflow N=4 T=4 path acceptance': { numOfThinkers: 4, numOfThoughts: 4, pathAcceptance: true },
};
const models = {
  main: await ReasonFlow.fromPretrained(modelPath, { device: 'cpu' }),
  worker: await ReasonFlow.fromPretrained(modelPath, { device: 'cpu', worker: true }),
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const [name, config] of Object.entries(settings)) {
  const rates = { main: [], worker: [] };
  for (let rep = 0; rep < reps + 1; rep++) {
    const order = rep % 2 === 0 ? ['main', 'worker'] : ['worker', 'main'];
    for (const where of order) {
      let tokens = 0;
      const start = performance.now();
      for (const prompt of prompts) {
        const result = await models[where].withConfig(config).generateThoughts(prompt, { maxNewTokens: 120 });
        tokens += result.tokenIds.length;
      }
      // The first round warms both up and is not counted.
      if (rep > 0) rates[where].push(tokens / ((performance.now() - start) / 1000));
    }
  }
  const [m, w] = [median(rates.main), median(rates.worker)];
  // Pairs run back to back share the machine's load: their ratio is steadier than either rate.
  const paired = median(rates.worker.map((rate, i) => rate / rates.main[i]));
  console.log(
    `${name}: main ${m.toFixed(1)} tokens/s, worker ${w.toFixed(1)} tokens/s, worker/main ${(w / m).toFixed(3)}, median paired ratio ${paired.toFixed(3)} (${reps} reps)`,
  );
}
await models.main.dispose();
await models.worker.dispose();
