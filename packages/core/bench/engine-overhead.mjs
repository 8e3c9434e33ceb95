// The engine's own work per iteration (everything but the model call) on the reference backend and
// on SimdBackend (the default where WebAssembly SIMD exists), for N = 8 thinkers, T = 4, vocabulary 32,000. The synthetic model hands out precomputed logits,
// so nearly all of "model time" is the copy it makes; the engine time is what we measure.
// Run: pnpm --filter @reasonflow/core build && node packages/core/bench/engine-overhead.mjs
import { hashUniform } from '../dist/algorithms.js';
import { ReasonFlowEngine, ReferenceBackend, SimdBackend } from '../dist/index.js';

const VOCAB = 32_000;
const ROWS = 8;
const THOUGHTS = 4;
const TOKENS = Number(process.env.TOKENS ?? 200);

const pool = Array.from({ length: 16 }, (_, p) => {
  const a = new Float32Array(ROWS * VOCAB);
  for (let i = 0; i < a.length; i++) a[i] = (hashUniform(p, i) - 0.5) * 20;
  return a;
});

const EMBEDDING = 576;

class SyntheticModel {
  constructor(withEmbeddings) {
    this.info = { vocabSize: VOCAB, maxSequenceLength: 100_000, eosTokenIds: [], embeddingSize: withEmbeddings ? EMBEDDING : undefined };
    if (withEmbeddings) this.embedTokens = async (tokens) => new Float32Array(tokens.length * EMBEDDING).fill(0.5);
  }
  async startSequence({ rows }) {
    let length = 0;
    let call = 0;
    return {
      rows,
      get length() {
        return length;
      },
      async forward(input) {
        length += input.tokensPerRow;
        return { location: 'cpu', dims: [rows, VOCAB], data: pool[call++ % pool.length].slice(0, rows * VOCAB) };
      },
      async selectRows() {},
      async truncate(n) {
        length = n;
      },
      async dispose() {},
    };
  }
}

const cases = [['log-likelihood', true], ['log-likelihood', false], ['original', true]];
for (const [Backend, [pathScoring, withEmbeddings]] of [ReferenceBackend, SimdBackend].flatMap((b) => cases.map((c) => [b, c]))) {
  const backend = new Backend();
  const engine = new ReasonFlowEngine(new SyntheticModel(withEmbeddings), {
    config: { numOfThinkers: ROWS, numOfThoughts: THOUGHTS, topkThinkers: 2, pathScoring },
    backend,
  });
  await engine.generate([1, 2, 3], { maxNewTokens: 20 }); // warm-up (JIT)
  const r = await engine.generate([1, 2, 3], { maxNewTokens: TOKENS });
  const perIteration = (r.stats.engineTimeMs * 1000) / r.stats.iterations;
  const modelPerIteration = (r.stats.modelTimeMs * 1000) / r.stats.iterations;
  console.log(
    `${backend.name}, pathScoring=${pathScoring}, noise=${withEmbeddings ? 'embeddings' : 'gumbel'}: N=${ROWS} T=${THOUGHTS} V=${VOCAB}: engine ${perIteration.toFixed(0)} µs/iteration ` +
      `(synthetic model: ${modelPerIteration.toFixed(0)} µs/iteration of logits copies), ${r.stats.iterations} iterations`,
  );
}
