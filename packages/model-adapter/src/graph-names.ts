/**
 * The names of a decoder graph's inputs and outputs: the one place that spells them, KV names
 * included. Hugging Face / Optimum / transformers.js exports use `HF_GRAPH_NAMES`; onnxruntime-genai
 * folders name theirs in `genai_config.json` (`model.decoder.inputs` / `outputs`).
 */
export interface GraphNames {
  readonly inputIds: string;
  readonly inputsEmbeds: string;
  readonly attentionMask: string;
  readonly positionIds: string;
  /** Optimum's merged decoders: a boolean choosing the with-past branch. */
  readonly useCacheBranch: string;
  readonly logits: string;
  /** Templates with `%d` for the layer index, as genai_config.json writes them. */
  readonly pastKey: string;
  readonly pastValue: string;
  readonly presentKey: string;
  readonly presentValue: string;
}

export const HF_GRAPH_NAMES: GraphNames = Object.freeze({
  inputIds: 'input_ids',
  inputsEmbeds: 'inputs_embeds',
  attentionMask: 'attention_mask',
  positionIds: 'position_ids',
  useCacheBranch: 'use_cache_branch',
  logits: 'logits',
  pastKey: 'past_key_values.%d.key',
  pastValue: 'past_key_values.%d.value',
  presentKey: 'present.%d.key',
  presentValue: 'present.%d.value',
});

/** `template` with its `%d` replaced by `layer`. */
export function layerName(template: string, layer: number): string {
  return template.replace('%d', String(layer));
}

/** The KV inputs fed to the graph, per layer key then value: `2 × numLayers` names. */
export function pastNames(names: GraphNames, numLayers: number): string[] {
  return Array.from({ length: numLayers }, (_, i) => [layerName(names.pastKey, i), layerName(names.pastValue, i)]).flat();
}

/** The KV outputs kept as the next step's cache, in the order of `pastNames`. */
export function presentNames(names: GraphNames, numLayers: number): string[] {
  return Array.from({ length: numLayers }, (_, i) => [layerName(names.presentKey, i), layerName(names.presentValue, i)]).flat();
}

/** The layer index of a KV input name (key or value), or undefined when `name` is not one. */
export function pastLayerOf(names: GraphNames, name: string): number | undefined {
  for (const template of [names.pastKey, names.pastValue]) {
    const [before, after = ''] = template.split('%d');
    if (name.length > before!.length + after.length && name.startsWith(before!) && name.endsWith(after)) {
      const digits = name.slice(before!.length, name.length - after.length);
      if (/^\d+$/.test(digits)) return Number(digits);
    }
  }
  return undefined;
}
