import { type GraphNames, pastLayerOf, pastNames, presentNames } from './graph-names.js';
import type { OrtSession } from './runtime.js';

export type IntType = 'int64' | 'int32';
export type FloatType = 'float32' | 'float16';

/** What the adapter learned about a decoder graph's inputs and outputs. */
export interface DecoderGraph {
  readonly session: OrtSession;
  readonly file: string;
  /** The graph's token input: ids or embeddings. */
  readonly input: 'input_ids' | 'inputs_embeds';
  /** The graph's names of its inputs and outputs. */
  readonly names: GraphNames;
  /** The input `input` is fed as (e.g. `input_ids`). */
  readonly inputName: string;
  readonly inputType: IntType | FloatType;
  readonly maskType: IntType;
  /** Undefined when the graph has no `position_ids` input (it derives positions from the mask). */
  readonly positionIdsType?: IntType;
  /** Optimum's merged decoders take a boolean `use_cache_branch`. */
  readonly hasUseCacheBranch: boolean;
  readonly kvType: FloatType;
  /** Element type of the logits output (float16 exports convert the last position only). */
  readonly logitsType: FloatType;
  readonly numLayers: number;
  /** The KV inputs, per layer key then value. */
  readonly pastNames: readonly string[];
  /** Output names to fetch: the logits, then the KV outputs in `pastNames` order. */
  readonly fetches: readonly string[];
  /** Width of `inputs_embeds` when the graph's metadata fixes it. */
  readonly embeddingSize?: number;
}

export interface ExpectedShape {
  readonly numLayers?: number;
  readonly numKeyValueHeads?: number;
  readonly headDim?: number;
  readonly vocabSize?: number;
  /** The file the expected shape comes from (default `config.json`), for messages. */
  readonly layersFrom?: string;
}

interface Meta {
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}

function metadataOf(session: OrtSession, kind: 'input' | 'output'): Map<string, Meta> {
  const list = (kind === 'input' ? session.inputMetadata : session.outputMetadata) ?? [];
  const map = new Map<string, Meta>();
  for (const m of list) {
    map.set(m.name, m.isTensor ? { type: m.type, shape: m.shape } : {});
  }
  return map;
}

/**
 * Checks a decoder session's input/output names, element types and fixed dimensions against what the
 * adapter feeds and what `config.json` says. Every mismatch is pushed to `problems` (naming the file
 * and the input); returns the graph description when it is usable.
 */
export function inspectDecoderGraph(
  session: OrtSession,
  file: string,
  input: 'input_ids' | 'inputs_embeds',
  expected: ExpectedShape,
  problems: string[],
  names: GraphNames,
): DecoderGraph | undefined {
  const start = problems.length;
  const inputs = new Set(session.inputNames);
  const outputs = new Set(session.outputNames);
  const inMeta = metadataOf(session, 'input');
  const outMeta = metadataOf(session, 'output');

  const graphLayers = new Set<number>();
  for (const name of inputs) {
    const layer = pastLayerOf(names, name);
    if (layer !== undefined) graphLayers.add(layer);
  }
  const graphLayerCount = graphLayers.size === 0 ? 0 : Math.max(...graphLayers) + 1;
  const numLayers = expected.numLayers ?? graphLayerCount;
  if (expected.numLayers !== undefined && graphLayerCount !== expected.numLayers) {
    problems.push(
      `${file}: ${expected.layersFrom ?? 'config.json'} says num_hidden_layers=${expected.numLayers} but the graph has ${names.pastKey.split('%d')[0]!.replace(/[._]$/, '')} inputs for ${graphLayerCount} layer(s)`,
    );
  }

  const inputName = input === 'input_ids' ? names.inputIds : names.inputsEmbeds;
  const past = pastNames(names, numLayers);
  const required = [inputName, names.attentionMask, ...past];
  for (const name of required) {
    if (!inputs.has(name)) problems.push(`${file}: missing input "${name}"`);
  }
  const known = new Set([...required, names.positionIds, names.useCacheBranch]);
  for (const name of inputs) {
    if (!known.has(name) && pastLayerOf(names, name) === undefined) problems.push(`${file}: unexpected input "${name}" (the adapter cannot feed it)`);
  }
  const fetches = [names.logits, ...presentNames(names, numLayers)];
  for (const name of fetches) {
    if (!outputs.has(name)) problems.push(`${file}: missing output "${name}"`);
  }

  const typeOf = (name: string, allowed: readonly string[], fallback: string): string => {
    const t = inMeta.get(name)?.type ?? fallback;
    if (!allowed.includes(t)) problems.push(`${file}: input "${name}" has element type ${t}, expected ${allowed.join(' or ')}`);
    return t;
  };
  const inputType = input === 'input_ids' ? typeOf(inputName, ['int64', 'int32'], 'int64') : typeOf(inputName, ['float32', 'float16'], 'float32');
  const maskType = typeOf(names.attentionMask, ['int64', 'int32'], 'int64');
  const positionIdsType = inputs.has(names.positionIds) ? typeOf(names.positionIds, ['int64', 'int32'], 'int64') : undefined;
  const kvType = numLayers > 0 ? typeOf(past[0]!, ['float32', 'float16'], 'float32') : 'float32';
  const logitsType = outMeta.get(names.logits)?.type ?? 'float32';
  if (logitsType !== 'float32' && logitsType !== 'float16') problems.push(`${file}: output "${names.logits}" has element type ${logitsType}, expected float32 or float16`);

  // Fixed dimensions, where the metadata exposes them (symbolic ones are strings).
  const checkDim = (where: Map<string, Meta>, name: string, axis: number, want: number | undefined, what: string): void => {
    const dim = where.get(name)?.shape?.[axis];
    if (want !== undefined && typeof dim === 'number' && dim !== want) {
      problems.push(`${file}: "${name}" has ${what} ${dim} on axis ${axis}, ${expected.layersFrom ?? 'config.json'} says ${want}`);
    }
  };
  for (let k = 0; k < past.length; k++) {
    for (const [meta, name] of [
      [inMeta, past[k]!],
      [outMeta, fetches[k + 1]!],
    ] as const) {
      const rank = meta.get(name)?.shape?.length;
      if (rank !== undefined && rank !== 0 && rank !== 4) {
        problems.push(`${file}: "${name}" has rank ${rank}, expected 4 ([batch, kv_heads, seq, head_dim])`);
        continue;
      }
      checkDim(meta, name, 1, expected.numKeyValueHeads, 'KV heads');
      checkDim(meta, name, 3, expected.headDim, 'head size');
    }
  }
  checkDim(outMeta, names.logits, 2, expected.vocabSize, 'vocabulary size');
  const embedDim = input === 'inputs_embeds' ? inMeta.get(inputName)?.shape?.[2] : undefined;

  if (problems.length > start) return undefined;
  return {
    session,
    file,
    input,
    names,
    inputName,
    inputType: inputType as IntType | FloatType,
    maskType: maskType as IntType,
    ...(positionIdsType !== undefined ? { positionIdsType: positionIdsType as IntType } : {}),
    hasUseCacheBranch: inputs.has(names.useCacheBranch),
    kvType: kvType as FloatType,
    logitsType: logitsType as FloatType,
    numLayers,
    pastNames: past,
    fetches,
    ...(typeof embedDim === 'number' ? { embeddingSize: embedDim } : {}),
  };
}

/** The token-embedding graph (`input_ids` → `inputs_embeds`). */
export interface EmbedGraph {
  readonly session: OrtSession;
  readonly file: string;
  readonly idsType: IntType;
  readonly output: string;
  readonly outputType: FloatType;
  readonly embeddingSize?: number;
}

export function inspectEmbedGraph(session: OrtSession, file: string, problems: string[]): EmbedGraph | undefined {
  const start = problems.length;
  if (!session.inputNames.includes('input_ids')) problems.push(`${file}: missing input "input_ids"`);
  for (const name of session.inputNames) {
    if (name !== 'input_ids') problems.push(`${file}: unexpected input "${name}" (the adapter cannot feed it)`);
  }
  const output = session.outputNames.includes('inputs_embeds') ? 'inputs_embeds' : session.outputNames[0];
  if (output === undefined) problems.push(`${file}: has no output (expected "inputs_embeds")`);
  const inMeta = metadataOf(session, 'input');
  const outMeta = metadataOf(session, 'output');
  const idsType = inMeta.get('input_ids')?.type ?? 'int64';
  if (idsType !== 'int64' && idsType !== 'int32') problems.push(`${file}: input "input_ids" has element type ${idsType}, expected int64 or int32`);
  const outputType = (output && outMeta.get(output)?.type) ?? 'float32';
  if (outputType !== 'float32' && outputType !== 'float16') {
    problems.push(`${file}: output "${output}" has element type ${outputType}, expected float32 or float16`);
  }
  const width = output ? outMeta.get(output)?.shape?.[2] : undefined;
  if (problems.length > start || output === undefined) return undefined;
  return {
    session,
    file,
    idsType: idsType as IntType,
    output,
    outputType: outputType as FloatType,
    ...(typeof width === 'number' ? { embeddingSize: width } : {}),
  };
}
