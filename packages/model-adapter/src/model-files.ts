import { ConfigError } from '@reasonflow/core';
import type { ModelFileSource } from './file-source.js';

/**
 * Weight variants of one model, named as transformers.js names them (its `dtype` option). In this
 * order the loader picks a default when none is asked for: full precision first.
 */
export const MODEL_DTYPES = Object.freeze(['fp32', 'fp16', 'q8', 'q4', 'q4f16'] as const);
export type ModelDtype = (typeof MODEL_DTYPES)[number];

/** transformers.js' file-name suffix of each dtype (`onnx/model_fp16.onnx`). */
const DTYPE_SUFFIX: Readonly<Record<ModelDtype, string>> = Object.freeze({
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
});

/** The graphs of one dtype in a transformers.js / Optimum folder. */
export interface DtypeFiles {
  readonly dtype: ModelDtype;
  /** The decoder taking `input_ids`: `onnx/model{suffix}.onnx`, or Optimum's `onnx/decoder_model_merged{suffix}.onnx`. */
  readonly decoder?: string;
  /** The inputs_embeds pair: `onnx/embed_tokens{suffix}.onnx` + `onnx/decoder_model_merged{suffix}.onnx`. */
  readonly embedTokens?: string;
  readonly embedsDecoder?: string;
}

/** The dtype a folder was asked for is not there. */
export class DtypeUnavailableError extends ConfigError {
  constructor(
    requested: string,
    /** The dtypes the folder has, in `MODEL_DTYPES` order. */
    readonly available: readonly ModelDtype[],
    where: string,
  ) {
    super(
      'dtype',
      requested,
      `one that ${where} has: ${available.join(', ') || 'none'}`,
    );
  }
}

function filesOf(dtype: ModelDtype, present: ReadonlySet<string>): DtypeFiles | undefined {
  const suffix = DTYPE_SUFFIX[dtype];
  const model = `onnx/model${suffix}.onnx`;
  const merged = `onnx/decoder_model_merged${suffix}.onnx`;
  const embed = `onnx/embed_tokens${suffix}.onnx`;
  const hasPair = present.has(embed) && present.has(merged);
  const decoder = present.has(model) ? model : present.has(merged) && !present.has(embed) ? merged : undefined;
  if (decoder === undefined && !hasPair) return undefined;
  return { dtype, ...(decoder !== undefined ? { decoder } : {}), ...(hasPair ? { embedTokens: embed, embedsDecoder: merged } : {}) };
}

/**
 * The graphs of the requested dtype (default: the first of `MODEL_DTYPES` the folder has). A folder
 * with no decoder graph at all, and no dtype asked for, gives `undefined` (the loader reports it with
 * the folder's other problems).
 * @throws ConfigError for a name that is no dtype; DtypeUnavailableError (a ConfigError) listing the
 *   dtypes the folder has when the requested one is missing.
 */
export async function resolveDtypeFiles(source: ModelFileSource, requested: string | undefined, problems: string[]): Promise<DtypeFiles | undefined> {
  if (requested !== undefined && !(MODEL_DTYPES as readonly string[]).includes(requested)) {
    throw new ConfigError('dtype', requested, MODEL_DTYPES.map((d) => `'${d}'`).join(', '));
  }
  // Probed one dtype at a time (3 names each), so a URL folder costs a few HEAD requests, not 15.
  const present = new Set<string>();
  const probe = async (dtype: ModelDtype): Promise<DtypeFiles | undefined> => {
    const names = ['model', 'decoder_model_merged', 'embed_tokens'].map((stem) => `onnx/${stem}${DTYPE_SUFFIX[dtype]}.onnx`);
    const exists = await Promise.all(names.map((n) => source.exists(n)));
    for (const [i, n] of names.entries()) if (exists[i]) present.add(n);
    return filesOf(dtype, present);
  };
  let files: DtypeFiles | undefined;
  for (const dtype of requested !== undefined ? [requested as ModelDtype] : MODEL_DTYPES) {
    files = await probe(dtype);
    if (files !== undefined) break;
  }
  if (files === undefined && requested !== undefined) {
    const available: ModelDtype[] = [];
    for (const dtype of MODEL_DTYPES) if (dtype !== requested && (await probe(dtype)) !== undefined) available.push(dtype);
    throw new DtypeUnavailableError(requested, available, source.description);
  }
  if (files === undefined) {
    problems.push('onnx/model.onnx: missing (and no other decoder graph: onnx/model[_fp16|_quantized|_q4|_q4f16].onnx, onnx/decoder_model_merged[…].onnx, genai_config.json)');
    return undefined;
  }
  const suffix = DTYPE_SUFFIX[files.dtype];
  if (present.has(`onnx/embed_tokens${suffix}.onnx`) && files.embedsDecoder === undefined) {
    problems.push(`onnx/decoder_model_merged${suffix}.onnx: missing (onnx/embed_tokens${suffix}.onnx is present; the inputs_embeds pair needs both)`);
  }
  return files;
}
