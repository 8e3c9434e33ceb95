import { describe, expect, it } from 'vitest';
import { externalDataFiles } from '../src/external-data.js';

const utf8 = new TextEncoder();

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

/** One `TensorProto.external_data` entry (field 13) holding a key/value StringStringEntryProto. */
function entry(key: string, value: string): number[] {
  const k = [...utf8.encode(key)];
  const v = [...utf8.encode(value)];
  const body = [0x0a, ...varint(k.length), ...k, 0x12, ...varint(v.length), ...v];
  return [0x6a, ...varint(body.length), ...body];
}

function tensorRefs(location: string, offset: number, length: number): number[] {
  return [...entry('location', location), ...entry('offset', String(offset)), ...entry('length', String(length))];
}

describe('externalDataFiles', () => {
  it('finds each location once with the largest offset + length', () => {
    const model = Uint8Array.from([
      0x08, 0x01,
      ...tensorRefs('model.onnx_data', 0, 4096),
      0x42, 0x00,
      ...tensorRefs('model.onnx_data_1', 0, 100),
      0x42, 0x00, // the next tensor's fields: its entries are not this one's
      ...tensorRefs('model.onnx_data', 4096, 1024),
      0x10,
    ]);
    expect(externalDataFiles(model)).toEqual([
      { location: 'model.onnx_data', bytesNeeded: 5120 },
      { location: 'model.onnx_data_1', bytesNeeded: 100 },
    ]);
  });

  it('finds markers among many near-misses in a large buffer, including at its very end', () => {
    // 32 MB of partial "\n\x08location\x12" encodings: every anchor byte is a candidate that must be rejected.
    const nearMiss = [0x0a, 0x08, ...utf8.encode('locatioX'), 0x12, ...utf8.encode('l')];
    const size = 32 * 1024 * 1024;
    const model = new Uint8Array(size);
    for (let i = 0; i < size; i += nearMiss.length) model.set(nearMiss.slice(0, size - i), i);
    const first = tensorRefs('a.bin', 10, 20);
    const middle = tensorRefs('b.bin', 0, 7);
    const last = entry('location', 'c.bin'); // no offset/length: bytesNeeded unknown
    model.set(first, 5);
    model.set(middle, size / 2 + 3);
    model.set(last, size - last.length);
    expect(externalDataFiles(model)).toEqual([{ location: 'a.bin', bytesNeeded: 30 }, { location: 'b.bin', bytesNeeded: 7 }, { location: 'c.bin' }]);
  });

  it('ignores a marker without a location after it', () => {
    const model = Uint8Array.from(entry('location', 'x').slice(0, -2));
    expect(externalDataFiles(model)).toEqual([]);
  });
});
