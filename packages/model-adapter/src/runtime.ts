import type * as ort from 'onnxruntime-common';

/**
 * The onnxruntime flavour a backend injects: `onnxruntime-node` or `onnxruntime-web` both satisfy it
 * (`import * as ort from 'onnxruntime-node'` and pass `ort`). This package only uses its types.
 */
export interface OnnxRuntime {
  readonly InferenceSession: {
    create(buffer: Uint8Array, options?: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession>;
    /** A path (Node) or URL: the runtime reads the graph, and its external data beside it, itself. */
    create(path: string, options?: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession>;
  };
  readonly Tensor: typeof ort.Tensor;
}

export type OrtTensor = ort.Tensor;
export type OrtSession = ort.InferenceSession;
export type OrtSessionOptions = ort.InferenceSession.SessionOptions;

/**
 * Creates one ONNX session from the graph's bytes or, for local folders whose graph has external data,
 * its path on disk (onnxruntime then reads the weights itself); backends override it to pick or fall
 * back between execution providers.
 */
export type SessionFactory = (model: Uint8Array | string, file: string, options: OrtSessionOptions) => Promise<OrtSession>;

/** `runtime.InferenceSession.create` for a graph's bytes or its path (the runtime's overloads take one or the other). */
export function createOrtSession(runtime: OnnxRuntime, model: Uint8Array | string, options: OrtSessionOptions = {}): Promise<OrtSession> {
  return typeof model === 'string' ? runtime.InferenceSession.create(model, options) : runtime.InferenceSession.create(model, options);
}
