import type * as ort from 'onnxruntime-common';

/**
 * The onnxruntime flavour a backend injects: `onnxruntime-node` or `onnxruntime-web` both satisfy it
 * (`import * as ort from 'onnxruntime-node'` and pass `ort`). This package only uses its types.
 */
export interface OnnxRuntime {
  readonly InferenceSession: {
    create(buffer: Uint8Array, options?: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession>;
  };
  readonly Tensor: typeof ort.Tensor;
}

export type OrtTensor = ort.Tensor;
export type OrtSession = ort.InferenceSession;
export type OrtSessionOptions = ort.InferenceSession.SessionOptions;

/** Creates one ONNX session; backends override it to pick or fall back between execution providers. */
export type SessionFactory = (bytes: Uint8Array, file: string, options: OrtSessionOptions) => Promise<OrtSession>;
