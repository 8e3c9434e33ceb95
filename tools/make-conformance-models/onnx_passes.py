"""Graph rewrites on exported ONNX decoders: fp16 conversion, Optimum-style merging of the
with-past and without-past graphs under `use_cache_branch`, and 4-bit MatMulNBits weights."""

from __future__ import annotations

import hashlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32, F16 = TensorProto.FLOAT, TensorProto.FLOAT16


# ----------------------------------------------------------------------------- fp16


# Above this many weight bytes, shape inference runs on the graph without its weights (the
# serialized model must stay under protobuf's 2 GiB) and the input model is rewritten in place.
LARGE_MODEL_BYTES = 1_000_000_000


def _infer_shapes(model: onnx.ModelProto) -> onnx.ModelProto:
    weights = model.graph.initializer
    if sum(len(t.raw_data) for t in weights) <= LARGE_MODEL_BYTES:
        return onnx.shape_inference.infer_shapes(model)
    saved = [t.raw_data for t in weights]
    for t in weights:
        t.ClearField("raw_data")
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    finally:
        for t, data in zip(weights, saved):
            t.raw_data = data
    model.graph.value_info.extend(inferred.graph.value_info)
    return model


def to_fp16(model: onnx.ModelProto, keep_f32_name_parts: tuple[str, ...] = ("/rotary_emb/",)) -> onnx.ModelProto:
    """Float tensors become float16 (weights, float inputs/outputs, constants, casts), except in
    nodes whose name contains one of keep_f32_name_parts: those compute in float32 with Casts at
    the boundary, as transformers does for rotary tables. Returns a new model (models over
    LARGE_MODEL_BYTES of weights are converted in place)."""
    model = _infer_shapes(model)
    g = model.graph
    elem = {vi.name: vi.type.tensor_type.elem_type for vi in [*g.input, *g.output, *g.value_info]}
    inits = {t.name: t for t in g.initializer}
    for t in g.initializer:
        elem[t.name] = t.data_type

    def keep32(node) -> bool:
        return any(part in node.name for part in keep_f32_name_parts)

    region: dict[str, str] = {i.name: "16" for i in g.input}  # producer region of float tensors
    for n in g.node:
        r = "32" if keep32(n) else "16"
        for o in n.output:
            region[o] = r

    new_inits: dict[str, onnx.TensorProto] = {}
    casts: dict[tuple[str, str], str] = {}
    nodes = []

    def as_region(name: str, want: str) -> str:
        if not name or elem.get(name) != F32:
            return name
        if name in inits:
            key = name if want == "32" else name + "__fp16"
            if key not in new_inits:
                arr = numpy_helper.to_array(inits[name])
                new_inits[key] = numpy_helper.from_array(arr if want == "32" else arr.astype(np.float16), key)
            return key
        if region.get(name, "16") == want:
            return name
        if (name, want) not in casts:
            out = f"{name}__to{want}"
            nodes.append(helper.make_node("Cast", [name], [out], to=F32 if want == "32" else F16,
                                          name=f"{name}__cast{want}"))
            casts[(name, want)] = out
        return casts[(name, want)]

    for n in g.node:
        r = "32" if keep32(n) else "16"
        for i, name in enumerate(n.input):
            n.input[i] = as_region(name, r)
        if r == "16":
            for a in n.attribute:
                if n.op_type == "Cast" and a.name == "to" and a.i == F32:
                    a.i = F16
                if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == F32:
                    arr = numpy_helper.to_array(a.t).astype(np.float16)
                    a.t.CopyFrom(numpy_helper.from_array(arr, a.t.name))
        nodes.append(n)

    for o in g.output:
        if o.type.tensor_type.elem_type == F32:
            assert region.get(o.name) == "16", f"output {o.name} is computed in float32"
            o.type.tensor_type.elem_type = F16
    for i in g.input:
        if i.type.tensor_type.elem_type == F32:
            i.type.tensor_type.elem_type = F16

    del g.node[:]
    g.node.extend(nodes)
    used = {name for n in g.node for name in n.input}
    del g.initializer[:]
    g.initializer.extend(t for t in new_inits.values() if t.name in used)
    for name, t in inits.items():
        if t.data_type != F32 and name in used:
            g.initializer.append(t)
    del g.value_info[:]
    return model


# ----------------------------------------------------------------------------- merge


def merge_with_use_cache_branch(with_past: onnx.ModelProto, without_past: onnx.ModelProto) -> onnx.ModelProto:
    """Optimum's decoder_model_merged: one graph whose bool input `use_cache_branch` [1] selects,
    through an If node, the with-past body (then) or the without-past body (else). Both bodies
    read the shared inputs and one deduplicated set of weights from the outer graph."""
    outer_inputs = {i.name for i in with_past.graph.input}
    weights: dict[bytes, onnx.TensorProto] = {}

    def weight_name(t: onnx.TensorProto) -> str:
        arr = numpy_helper.to_array(t)
        key = hashlib.sha256(f"{arr.dtype}{arr.shape}".encode() + arr.tobytes()).digest()
        if key not in weights:
            copy = onnx.TensorProto()
            copy.CopyFrom(t)
            copy.name = f"w{len(weights)}"
            weights[key] = copy
        return weights[key].name

    def body(m: onnx.ModelProto, prefix: str) -> onnx.GraphProto:
        renamed = {t.name: weight_name(t) for t in m.graph.initializer}

        def rn(name: str) -> str:
            if not name or name in outer_inputs:
                return name
            return renamed.get(name, prefix + name)

        nodes = []
        for n in m.graph.node:
            c = onnx.NodeProto()
            c.CopyFrom(n)
            c.name = prefix + n.name
            c.input[:] = [rn(x) for x in n.input]
            c.output[:] = [rn(x) for x in n.output]
            nodes.append(c)
        outs = []
        for o in m.graph.output:
            c = onnx.ValueInfoProto()
            c.CopyFrom(o)
            c.name = rn(o.name)
            outs.append(c)
        return helper.make_graph(nodes, prefix + "body", [], outs)

    then_g = body(with_past, "with_past/")
    else_g = body(without_past, "without_past/")
    cond = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
    out_names = [o.name for o in with_past.graph.output]
    node = helper.make_node("If", ["use_cache_branch"], out_names, name="optimum::if",
                            then_branch=then_g, else_branch=else_g)
    graph = helper.make_graph([node], "merged_decoder", [*with_past.graph.input, cond],
                              list(with_past.graph.output), initializer=list(weights.values()))
    merged = helper.make_model(graph, opset_imports=list(with_past.opset_import),
                               producer_name="make-conformance-models")
    merged.ir_version = with_past.ir_version
    return merged


# ----------------------------------------------------------------------------- 4-bit


def quantize_dequantize_q4(w_out_in: np.ndarray, block_size: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric round-to-nearest 4-bit quantization of a Linear weight [N, K] in blocks of
    block_size along K (zero point 8, ONNX MatMulNBits' default). Returns (codes [N, K] uint8
    in 0..15, scales [N, K/block] float32, dequantized weight [N, K] float32)."""
    n, k = w_out_in.shape
    assert k % block_size == 0, f"K={k} is not a multiple of {block_size}"
    blocks = w_out_in.reshape(n, k // block_size, block_size).astype(np.float32)
    scales = np.abs(blocks).max(axis=-1) / 7.0
    scales = np.where(scales == 0, np.float32(1.0), scales).astype(np.float32)
    codes = np.clip(np.rint(blocks / scales[..., None]) + 8, 0, 15).astype(np.uint8)
    deq = ((codes.astype(np.float32) - 8.0) * scales[..., None]).reshape(n, k)
    return codes.reshape(n, k), scales, deq


def to_matmul_nbits(model: onnx.ModelProto, should_quantize, block_size: int = 32) -> onnx.ModelProto:
    """Replaces MatMul(A, B) whose B is a 2-D float32 initializer [K, N] accepted by
    should_quantize(node, K, N) with com.microsoft MatMulNBits (bits 4, no zero points)."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    nodes, replaced = [], 0
    for n in g.node:
        b = inits.get(n.input[1]) if n.op_type == "MatMul" else None
        if b is None or len(b.dims) != 2 or b.data_type != F32 or not should_quantize(n, *b.dims):
            nodes.append(n)
            continue
        k, nn_ = b.dims
        codes, scales, _ = quantize_dequantize_q4(numpy_helper.to_array(b).T, block_size)
        blocks = codes.reshape(nn_, k // block_size, block_size)
        packed = (blocks[..., 0::2] | (blocks[..., 1::2] << 4)).astype(np.uint8)  # [N, blocks, block/2]
        qname, sname = f"{b.name}_Q4", f"{b.name}_scales"
        g.initializer.append(numpy_helper.from_array(packed, qname))
        g.initializer.append(numpy_helper.from_array(scales.reshape(-1), sname))
        nodes.append(helper.make_node("MatMulNBits", [n.input[0], qname, sname], list(n.output),
                                      name=n.name + "_Q4", domain="com.microsoft",
                                      K=k, N=nn_, bits=4, block_size=block_size))
        replaced += 1
    del g.node[:]
    g.node.extend(nodes)
    used = {name for n in g.node for name in n.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    assert replaced > 0
    return model
