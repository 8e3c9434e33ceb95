/**
 * The external-data files an ONNX model refers to (`TensorProto.external_data` entries with key
 * "location"), found by scanning the serialised bytes for that entry's exact encoding, without a
 * protobuf parser: field 1 "location" (0x0a 0x08 "location") followed by field 2, the path.
 */
export function externalDataLocations(model: Uint8Array): string[] {
  const marker = [0x0a, 0x08, ...new TextEncoder().encode('location'), 0x12];
  const found = new Set<string>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  outer: for (let i = 0; i + marker.length < model.length; i++) {
    for (let j = 0; j < marker.length; j++) if (model[i + j] !== marker[j]) continue outer;
    let length = 0;
    let shift = 0;
    let p = i + marker.length;
    while (p < model.length && shift < 35) {
      const byte = model[p++]!;
      length |= (byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    if (length <= 0 || p + length > model.length) continue;
    try {
      found.add(decoder.decode(model.subarray(p, p + length)));
    } catch {
      // Not UTF-8: not a location entry after all.
    }
  }
  return [...found];
}
