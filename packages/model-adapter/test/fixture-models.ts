/**
 * The conformance fixtures (tools/make-conformance-models): tiny random-weight exports of real
 * architectures in the layouts users download, each with torch's reference outputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelDtype } from '../src/index.js';

export const FIXTURE_MODELS = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'models');

/** A folder on disk as a file source (model-adapter does not depend on backend-cuda's nodeFileSource). */

export interface ReferenceVariant {
  readonly file: string;
  readonly io_dtype: 'float32' | 'float16';
  readonly last_logits: number[];
  readonly last_logits_first16: number[];
  readonly argmax_per_position: number[];
  readonly greedy_tokens: number[];
}

export interface Reference {
  readonly prompt: string;
  readonly input_ids: number[];
  readonly has_position_ids: boolean;
  readonly use_cache_branch: boolean;
  readonly variants: Readonly<Partial<Record<ModelDtype, ReferenceVariant>>>;
}

export const FIXTURE_FOLDERS = ['llama', 'qwen2-external-data', 'gpt2-merged', 'phi3-genai', 'gemma'] as const;
export type FixtureFolder = (typeof FIXTURE_FOLDERS)[number];

export function fixturePath(folder: FixtureFolder): string {
  return join(FIXTURE_MODELS, folder);
}

export function reference(folder: FixtureFolder): Reference {
  return JSON.parse(readFileSync(join(fixturePath(folder), 'reference.json'), 'utf8')) as Reference;
}

/** onnxruntime-genai folders hold one model and take no dtype. */
export function isGenai(folder: FixtureFolder): boolean {
  return existsSync(join(fixturePath(folder), 'genai_config.json'));
}

/** Every (folder, dtype) the fixtures hold. */
export function fixtureVariants(): { folder: FixtureFolder; dtype: ModelDtype; variant: ReferenceVariant; reference: Reference }[] {
  return FIXTURE_FOLDERS.flatMap((folder) => {
    const ref = reference(folder);
    return Object.entries(ref.variants).map(([dtype, variant]) => ({ folder, dtype: dtype as ModelDtype, variant: variant!, reference: ref }));
  });
}

/**
 * Largest difference allowed between two runs' logits: 1e-4 for float32 arithmetic (fp32, and q4,
 * whose MatMulNBits dequantises to float32), and for float16 arithmetic 2.5e-3 of the reference
 * logits' range (≈ 0.05 for these models' ~20-unit spread; measured worst 1.1e-2).
 */
export function tolerance(variant: ReferenceVariant): number {
  if (variant.io_dtype === 'float32') return 1e-4;
  return 2.5e-3 * (Math.max(...variant.last_logits) - Math.min(...variant.last_logits));
}
