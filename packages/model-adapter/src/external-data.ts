/** One external-data file an ONNX model refers to, and how many of its bytes the tensors in it need. */
export interface ExternalDataFile {
  /** The `location`, relative to the model file's folder (e.g. `model.onnx_data`, `model.onnx_data_1`). */
  readonly location: string;
  /** The largest `offset + length` of a tensor stored there (undefined when no tensor gives its length). */
  readonly bytesNeeded?: number;
}

const LOCATION = [0x0a, 0x08, ...new TextEncoder().encode('location'), 0x12];
/** The marker byte searched for natively: 'l', rarer than the 0x0a/0x08 protobuf tags around it. */
const ANCHOR_OFFSET = 2;
const MARKER_ANCHOR = LOCATION[ANCHOR_OFFSET]!;
/** `TensorProto.external_data` (field 13, length-delimited): the tag of each StringStringEntryProto. */
const ENTRY_TAG = 0x6a;

/**
 * The next position at or after `from` where the "location" entry's encoding starts, or -1. Graphs with
 * inline weights run to hundreds of megabytes, so candidates come from the native `indexOf` of one byte
 * (no per-byte JavaScript) and only those are compared in full; Buffer is not used, to stay browser-safe.
 */
function indexOfMarker(bytes: Uint8Array, from: number): number {
  const last = bytes.length - LOCATION.length;
  for (let at = bytes.indexOf(MARKER_ANCHOR, from + ANCHOR_OFFSET) - ANCHOR_OFFSET; at >= from && at <= last; ) {
    let j = 0;
    while (j < LOCATION.length && bytes[at + j] === LOCATION[j]) j++;
    if (j === LOCATION.length) return at;
    at = bytes.indexOf(MARKER_ANCHOR, at + ANCHOR_OFFSET + 1) - ANCHOR_OFFSET;
  }
  return -1;
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  let p = at;
  while (p < bytes.length && scale < 2 ** 49) {
    const byte = bytes[p++]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return { value, next: p };
  }
  return undefined;
}

/** A `key`/`value` string pair (StringStringEntryProto) occupying exactly `bytes`, or undefined. */
function readEntry(bytes: Uint8Array, decoder: { decode(bytes: Uint8Array): string }): { key: string; value: string } | undefined {
  if (bytes[0] !== 0x0a) return undefined;
  const keyLength = readVarint(bytes, 1);
  if (keyLength === undefined) return undefined;
  const keyEnd = keyLength.next + keyLength.value;
  if (bytes[keyEnd] !== 0x12) return undefined;
  const valueLength = readVarint(bytes, keyEnd + 1);
  if (valueLength === undefined || valueLength.next + valueLength.value !== bytes.length) return undefined;
  try {
    return { key: decoder.decode(bytes.subarray(keyLength.next, keyEnd)), value: decoder.decode(bytes.subarray(valueLength.next)) };
  } catch {
    return undefined;
  }
}

/**
 * The external-data files an ONNX model refers to (`TensorProto.external_data` entries), found by
 * scanning the serialised bytes for the "location" entry's exact encoding, without a protobuf parser,
 * then reading the `offset`/`length` entries that follow it in the same tensor. Sharded exports
 * (`model.onnx_data`, `model.onnx_data_1`, …) name one location per tensor; each file appears once.
 */
export function externalDataFiles(model: Uint8Array): ExternalDataFile[] {
  const files = new Map<string, number | undefined>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = indexOfMarker(model, 0); i !== -1 && i + LOCATION.length < model.length; i = indexOfMarker(model, i + 1)) {
    const pathLength = readVarint(model, i + LOCATION.length);
    if (pathLength === undefined || pathLength.value <= 0 || pathLength.next + pathLength.value > model.length) continue;
    let location: string;
    try {
      location = decoder.decode(model.subarray(pathLength.next, pathLength.next + pathLength.value));
    } catch {
      continue; // Not UTF-8: not a location entry after all.
    }
    // The entries after it: offset and length (onnx writes location, offset, length in that order).
    let offset = 0;
    let length: number | undefined;
    let p = pathLength.next + pathLength.value;
    while (model[p] === ENTRY_TAG) {
      const size = readVarint(model, p + 1);
      if (size === undefined || size.next + size.value > model.length) break;
      const entry = readEntry(model.subarray(size.next, size.next + size.value), decoder);
      if (entry === undefined) break;
      if (entry.key === 'offset') offset = Number(entry.value);
      else if (entry.key === 'length') length = Number(entry.value);
      p = size.next + size.value;
    }
    const end = length !== undefined && Number.isFinite(offset + length) ? offset + length : undefined;
    const previous = files.get(location);
    files.set(location, end === undefined ? previous : Math.max(previous ?? 0, end));
  }
  return [...files].map(([location, bytesNeeded]) => (bytesNeeded === undefined ? { location } : { location, bytesNeeded }));
}
