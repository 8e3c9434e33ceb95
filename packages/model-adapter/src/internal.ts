/**
 * Internal entry (`@reasonflow/model-adapter/internal`): for the repo's own packages and tests only,
 * with no compatibility promise. The ONNX protobuf writer builds the KV-operation graphs and the
 * backends' one-node probe graphs; it is not an ONNX authoring API.
 */
export {
  encodeOnnxModel,
  OnnxDataType,
  type OnnxAttributeValue,
  type OnnxDataTypeName,
  type OnnxGraph,
  type OnnxNode,
  type OnnxTensorInit,
  type OnnxValueInfo,
} from './onnx-builder.js';
