/**
 * A minimal ONNX `ModelProto` writer: just enough protobuf to emit small graphs (the on-device KV
 * cache operations, test fixtures, an execution-provider probe) without depending on the `onnx`
 * Python package or a protobuf library. Field numbers follow onnx/onnx.proto3.
 */

/** ONNX `TensorProto.DataType` values used here. */
export const OnnxDataType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  double: 11,
} as const;
export type OnnxDataTypeName = keyof typeof OnnxDataType;

/** A graph input or output: name, element type and shape (numbers are fixed, strings symbolic). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly type: OnnxDataTypeName;
  readonly shape: readonly (number | string)[];
}

/** A constant tensor (an initializer, or a node's tensor attribute). */
export interface OnnxTensorInit {
  readonly name: string;
  readonly type: 'float' | 'int64' | 'int32';
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | Int32Array | readonly number[];
  /**
   * Store the data outside the model, in this file next to it (ONNX external data); the caller writes
   * `data`'s bytes there.
   */
  readonly externalLocation?: string;
}

export type OnnxAttributeValue = number | string | readonly number[] | { readonly float: number } | { readonly floats: readonly number[] };

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  /** Integers become INT/INTS, strings STRING; `{ float }` / `{ floats }` for floating attributes. */
  readonly attributes?: Readonly<Record<string, OnnxAttributeValue>>;
}

export interface OnnxGraph {
  readonly name?: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly nodes: readonly OnnxNode[];
  readonly initializers?: readonly OnnxTensorInit[];
  /** Default opset 17 of the default domain. */
  readonly opset?: number;
}

/** Serialises `graph` as an ONNX ModelProto (IR version 8). */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const w = new ProtoWriter();
  w.int64(1, 8); // ir_version
  w.string(2, 'reasonflow'); // producer_name
  w.message(7, (g) => writeGraph(g, graph));
  w.message(8, (o) => {
    o.string(1, '');
    o.int64(2, graph.opset ?? 17);
  });
  return w.finish();
}

function writeGraph(w: ProtoWriter, graph: OnnxGraph): void {
  for (const node of graph.nodes) w.message(1, (n) => writeNode(n, node));
  w.string(2, graph.name ?? 'graph');
  for (const init of graph.initializers ?? []) w.message(5, (t) => writeTensor(t, init));
  for (const input of graph.inputs) w.message(11, (v) => writeValueInfo(v, input));
  for (const output of graph.outputs) w.message(12, (v) => writeValueInfo(v, output));
}

function writeNode(w: ProtoWriter, node: OnnxNode): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  if (node.name !== undefined) w.string(3, node.name);
  w.string(4, node.op);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    w.message(5, (a) => {
      a.string(1, name);
      if (typeof value === 'number') {
        a.int64(3, value);
        a.int64(20, 2);
      } else if (typeof value === 'string') {
        a.bytes(4, new TextEncoder().encode(value));
        a.int64(20, 3);
      } else if (Array.isArray(value)) {
        a.packedInt64(8, value as readonly number[]);
        a.int64(20, 7);
      } else if ('float' in (value as object)) {
        a.float32(2, (value as { float: number }).float);
        a.int64(20, 1);
      } else {
        a.packedFloat32(7, (value as { floats: readonly number[] }).floats);
        a.int64(20, 6);
      }
    });
  }
  if (node.domain !== undefined) w.string(7, node.domain);
}

function writeTensor(w: ProtoWriter, t: OnnxTensorInit): void {
  w.packedInt64(1, t.dims);
  w.int64(2, OnnxDataType[t.type]);
  w.string(8, t.name);
  let raw: Uint8Array;
  if (t.type === 'float') {
    const a = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as readonly number[]);
    raw = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  } else if (t.type === 'int64') {
    const a = t.data instanceof BigInt64Array ? t.data : BigInt64Array.from(t.data as readonly number[], (x) => BigInt(x));
    raw = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  } else {
    const a = t.data instanceof Int32Array ? t.data : Int32Array.from(t.data as readonly number[]);
    raw = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  }
  if (t.externalLocation !== undefined) {
    for (const [key, value] of [
      ['location', t.externalLocation],
      ['offset', '0'],
      ['length', String(raw.byteLength)],
    ]) {
      w.message(13, (entry) => {
        entry.string(1, key!);
        entry.string(2, value!);
      });
    }
    w.int64(14, 1); // data_location = EXTERNAL
    return;
  }
  // raw_data is little-endian, which every platform onnxruntime supports is.
  w.bytes(9, raw);
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int64(1, OnnxDataType[v.type]);
      tensor.message(2, (shape) => {
        for (const dim of v.shape) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.int64(1, dim) : d.string(2, dim)));
        }
      });
    }),
  );
}

/** Protobuf wire-format writer (varint, length-delimited, fixed32). */
class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private pending: number[] = [];

  private flush(): void {
    if (this.pending.length > 0) {
      this.chunks.push(Uint8Array.from(this.pending));
      this.pending = [];
    }
  }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.pending.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.pending.push(Number(v));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int64(field: number, value: number): void {
    this.key(field, 0);
    this.varint(value);
  }

  float32(field: number, value: number): void {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.pending.push(...b);
  }

  bytes(field: number, data: Uint8Array): void {
    this.key(field, 2);
    this.varint(data.length);
    this.flush();
    this.chunks.push(data.slice());
  }

  string(field: number, value: string): void {
    this.bytes(field, new TextEncoder().encode(value));
  }

  packedInt64(field: number, values: readonly number[]): void {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    this.bytes(field, inner.finish());
  }

  packedFloat32(field: number, values: readonly number[]): void {
    const a = Float32Array.from(values);
    this.bytes(field, new Uint8Array(a.buffer));
  }

  message(field: number, write: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    write(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flush();
    let total = 0;
    for (const c of this.chunks) total += c.length;
    const out = new Uint8Array(total);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}
