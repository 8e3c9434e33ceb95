/**
 * `@reasonflow/core/testing`: a deterministic toy DecoderModel (no weights, no runtime) for testing
 * code built on the engine — your own TensorBackend, stop conditions, UI — without loading a model.
 */
export { ToyModel, type ToyModelOptions } from './toy-model.js';
export {
  type ConformanceCheck,
  ConformanceError,
  type ConformanceOptions,
  decoderModelConformance,
} from './conformance.js';
