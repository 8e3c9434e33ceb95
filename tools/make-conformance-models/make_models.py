"""Writes the conformance fixtures: tiny random-weight decoders of real architectures in the
exporters' layouts, each with torch-computed reference outputs. See README.md.

    /usr/bin/python3 tools/make-conformance-models/make_models.py [--out DIR]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from arch import Arch, Decoder  # noqa: E402
from onnx_passes import merge_with_use_cache_branch, quantize_dequantize_q4, to_fp16, to_matmul_nbits  # noqa: E402

OPSET = 17
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "packages", "model-adapter", "test", "fixtures", "models"))
PROMPT = "The quick brown fox, 42 times!"
GREEDY_STEPS = 8

ARCHS = {
    # SmolLM / Llama: RMSNorm, RoPE, GQA 4:2, SwiGLU, tied embeddings
    "llama": Arch("llama", "llama", ["LlamaForCausalLM"], vocab_size=256, hidden_size=64, intermediate_size=128,
                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=16),
    # Qwen2: qkv biases, GQA, tied embeddings, rope_theta 1e6
    "qwen2": Arch("qwen2", "qwen2", ["Qwen2ForCausalLM"], vocab_size=320, hidden_size=32, intermediate_size=64,
                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=8, qkv_bias=True,
                  rope_theta=1000000.0, norm_eps=1e-6),
    # GPT-2: learned positions, MHA, LayerNorm, GELU (tanh), fused c_attn with bias, biases everywhere
    "gpt2": Arch("gpt2", "gpt2", ["GPT2LMHeadModel"], vocab_size=288, hidden_size=32, intermediate_size=128,
                 num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4, head_dim=8, norm="layer",
                 positions="learned", mlp="gelu", fused_qkv=True, qkv_bias=True, out_bias=True),
    # Phi-3: fused qkv_proj and gate_up_proj, RoPE, MHA, untied lm_head
    "phi3": Arch("phi3", "phi3", ["Phi3ForCausalLM"], vocab_size=320, hidden_size=48, intermediate_size=96,
                 num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4, head_dim=12, fused_qkv=True,
                 fused_gate_up=True, tie_word_embeddings=False),
    # Gemma: embeddings * sqrt(hidden), RMSNorm (1 + w), GeGLU, MQA, head_dim 16 with hidden 48
    "gemma": Arch("gemma", "gemma", ["GemmaForCausalLM"], vocab_size=256, hidden_size=48, intermediate_size=96,
                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1, head_dim=16,
                  norm="rms_one_plus", norm_eps=1e-6, mlp="geglu", embed_scale=True),
}

# Special tokens as the real tokenizers place them; None = the architecture has no such token.
SPECIALS = {
    "llama": {"tokens": {0: "<unk>", 1: "<s>", 2: "</s>"}, "bos": "<s>", "eos": "</s>", "unk": "<unk>", "pad": None,
              "add_bos": True, "eos_ids": None},
    "qwen2": {"tokens": {-3: "<|endoftext|>", -2: "<|im_start|>", -1: "<|im_end|>"}, "bos": None,
              "eos": "<|endoftext|>", "unk": None, "pad": "<|endoftext|>", "add_bos": False,
              "eos_ids": ["<|im_end|>", "<|endoftext|>"]},
    "gpt2": {"tokens": {-1: "<|endoftext|>"}, "bos": "<|endoftext|>", "eos": "<|endoftext|>", "unk": "<|endoftext|>",
             "pad": None, "add_bos": False, "eos_ids": None},
    "phi3": {"tokens": {0: "<unk>", 1: "<s>", 2: "</s>", -2: "<|endoftext|>", -1: "<|end|>"}, "bos": "<s>",
             "eos": "<|endoftext|>", "unk": "<unk>", "pad": "<|endoftext|>", "add_bos": True,
             "eos_ids": ["<|endoftext|>", "<|end|>"]},
    "gemma": {"tokens": {0: "<pad>", 1: "<eos>", 2: "<bos>", 3: "<unk>"}, "bos": "<bos>", "eos": "<eos>",
              "unk": "<unk>", "pad": "<pad>", "add_bos": True, "eos_ids": None},
}

# Which folders to write: (folder, arch, layout, variants, seed). Seeds were picked so the greedy
# continuation has several distinct tokens, no special token, and top-2 margins that survive fp16. Layouts: "hf" = onnx/<file>,
# "genai" = model.onnx at the root + genai_config.json.
FOLDERS = [
    # fp32 + fp16 + 4-bit MatMulNBits, transformers.js file naming
    ("llama", "llama", "hf", ["fp32", "fp16", "q4"], 5),
    # external data: onnx/model.onnx + onnx/model.onnx_data (and model_fp16.onnx_data)
    ("qwen2-external-data", "qwen2", "hf", ["fp32", "fp16"], 6),
    # merged decoder with use_cache_branch, no position_ids input
    ("gpt2-merged", "gpt2", "hf", ["fp32", "fp16"], 1),
    # onnxruntime-genai layout, external data named model.onnx.data
    ("phi3-genai", "phi3", "genai", ["fp32"], 2),
    ("gemma", "gemma", "hf", ["fp32", "fp16"], 2),
]


# ----------------------------------------------------------------------------- tokenizer


def vocabulary(arch: str, size: int) -> tuple[list[str], dict]:
    """Specials at their architecture's positions, then "\\n" and printable ASCII, then
    two-letter pieces (never produced by encoding: there are no merges) to fill the size."""
    spec = SPECIALS[arch]
    slots: list[str | None] = [None] * size
    for pos, tok in spec["tokens"].items():
        slots[pos % size] = tok
    fill = ["\n"] + [chr(c) for c in range(32, 127)]
    letters = "etaoinshrdlucmfwypvbgkqjxz"
    fill += [a + b for a in letters for b in letters]
    it = iter(fill)
    vocab = [s if s is not None else next(it) for s in slots]
    assert len(set(vocab)) == size
    return vocab, spec


def encode(vocab: list[str], spec: dict, text: str) -> list[int]:
    index = {t: i for i, t in enumerate(vocab)}
    ids = [index[c] for c in text]
    return ([index[spec["bos"]]] if spec["add_bos"] else []) + ids


def tokenizer_json(vocab: list[str], spec: dict) -> dict:
    special = sorted(spec["tokens"].items(), key=lambda kv: kv[0] % len(vocab))
    added = [{"id": p % len(vocab), "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for p, t in special]
    post = None
    if spec["add_bos"]:
        bos, bos_id = spec["bos"], vocab.index(spec["bos"])
        post = {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
        }
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": None, "post_processor": post, "decoder": {"type": "Fuse"},
        "model": {"type": "BPE", "dropout": None, "unk_token": spec["unk"], "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(vocab)}, "merges": []},
    }


def tokenizer_config(vocab: list[str], spec: dict, max_len: int) -> dict:
    special = sorted(spec["tokens"].items(), key=lambda kv: kv[0] % len(vocab))
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": spec["bos"], "eos_token": spec["eos"], "pad_token": spec["pad"], "unk_token": spec["unk"],
        "add_bos_token": spec["add_bos"], "add_eos_token": False, "clean_up_tokenization_spaces": False,
        "model_max_length": max_len,
        "chat_template": "{% if bos_token %}{{ bos_token }}{% endif %}"
                         "{% for message in messages %}{{ message['content'] }}{% endfor %}",
        "added_tokens_decoder": {str(p % len(vocab)): {"content": t, "lstrip": False, "normalized": False,
                                                         "rstrip": False, "single_word": False, "special": True}
                                 for p, t in special},
    }


# ----------------------------------------------------------------------------- export


class Graph(torch.nn.Module):
    """The exporters' calling convention around Decoder."""

    def __init__(self, m: Decoder, with_position_ids: bool, with_past: bool) -> None:
        super().__init__()
        self.m, self.with_position_ids, self.with_past = m, with_position_ids, with_past

    def forward(self, input_ids, attention_mask, *rest):
        pos = rest[0] if self.with_position_ids else None
        flat = rest[1:] if self.with_position_ids else rest
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)] if self.with_past else None
        logits, presents = self.m(input_ids, attention_mask, pos, past)
        return (logits, *[t for kv in presents for t in kv])


def export(model: Decoder, path: str, with_position_ids: bool, with_past: bool) -> onnx.ModelProto:
    a = model.a
    L, B, S, P = a.num_hidden_layers, 2, 3, 4
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, a.vocab_size, (B, S), generator=g)
    T = P + S if with_past else S
    mask = torch.ones((B, T), dtype=torch.long)
    args = [ids, mask]
    names = ["input_ids", "attention_mask"]
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    if with_position_ids:
        args.append(torch.arange(T - S, T).unsqueeze(0).expand(B, S).contiguous())
        names.append("position_ids")
        dyn["position_ids"] = {0: "batch_size", 1: "sequence_length"}
    if with_past:
        for i in range(L):
            for kv in ("key", "value"):
                args.append(torch.randn(B, a.num_key_value_heads, P, a.head_dim, generator=g))
                names.append(f"past_key_values.{i}.{kv}")
                dyn[names[-1]] = {0: "batch_size", 2: "past_sequence_length"}
    outs = ["logits"] + [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    for n in outs[1:]:
        dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    torch.onnx.export(Graph(model, with_position_ids, with_past), tuple(args), path, input_names=names,
                      output_names=outs, dynamic_axes=dyn, opset_version=OPSET, do_constant_folding=True)
    m = onnx.load(path)
    os.remove(path)
    return m


def save(model: onnx.ModelProto, path: str, external: str | None = None) -> None:
    onnx.checker.check_model(model)
    if external:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=external, size_threshold=0)
    else:
        onnx.save_model(model, path)


# ----------------------------------------------------------------------------- reference


@torch.no_grad()
def reference(model: Decoder, ids: list[int], with_position_ids: bool) -> dict:
    """One-pass logits of the prompt, then greedy decoding with the KV cache (checked
    against one pass at every step)."""
    x = torch.tensor([ids])
    S = x.shape[1]
    mask = torch.ones_like(x)
    pos = torch.arange(S).unsqueeze(0) if with_position_ids else None
    logits, past = model(x, mask, pos, model.empty_past(1))
    last = logits[0, -1]
    top2 = torch.topk(logits[0], 2, dim=-1).values
    out = {
        "argmax_per_position": logits[0].argmax(-1).tolist(),
        "last_logits_first16": [round(float(v), 6) for v in last[:16]],
        "last_logits": [round(float(v), 6) for v in last],
        "min_top2_margin_prompt": round(float((top2[:, 0] - top2[:, 1]).min()), 6),
    }
    seq, greedy, margins = list(ids), [], []
    nxt = int(last.argmax())
    for step in range(GREEDY_STEPS):
        greedy.append(nxt)
        seq.append(nxt)
        T = len(seq)
        mask = torch.ones((1, T), dtype=torch.long)
        pos = torch.tensor([[T - 1]]) if with_position_ids else None
        step_logits, past = model(torch.tensor([[nxt]]), mask, pos, past)
        full, _ = model(torch.tensor([seq]), mask, torch.arange(T).unsqueeze(0) if with_position_ids else None,
                        model.empty_past(1))
        assert torch.allclose(step_logits[0, -1], full[0, -1], atol=1e-4), "torch cached != one pass"
        t2 = torch.topk(step_logits[0, -1], 2).values
        margins.append(float(t2[0] - t2[1]))
        nxt = int(step_logits[0, -1].argmax())
    out["greedy_tokens"] = greedy
    out["min_top2_margin_greedy"] = round(min(margins), 6)
    return out


def weights_as(model: Decoder, dtype: str) -> Decoder:
    """The float32 model with the weights the ONNX variant stores: fp16-rounded, or the
    layer Linear weights 4-bit quantized and dequantized."""
    m = copy.deepcopy(model)
    with torch.no_grad():
        for name, p in m.named_parameters():
            if dtype == "fp16":
                p.copy_(p.half().float())
            elif dtype == "q4" and name.startswith("layers.") and p.dim() == 2:
                p.copy_(torch.from_numpy(quantize_dequantize_q4(p.numpy())[2]))
    return m


# ----------------------------------------------------------------------------- folders


FILES = {"fp32": "model.onnx", "fp16": "model_fp16.onnx", "q4": "model_q4.onnx"}


def write_json(path: str, obj) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def make_folder(root: str, folder: str, arch_key: str, layout: str, variants: list[str], seed: int) -> None:
    a = ARCHS[arch_key]
    out = os.path.join(root, folder)
    shutil.rmtree(out, ignore_errors=True)
    onnx_dir = out if layout == "genai" else os.path.join(out, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    torch.manual_seed(seed)
    model = Decoder(a, seed).eval()
    with_pos = a.positions != "learned"  # the GPT-2 fixture is the one without position_ids
    merged = folder.endswith("-merged")
    external = {"qwen2-external-data": "{file}_data", "phi3-genai": "{file}.data"}.get(folder)

    tmp = os.path.join(out, "_tmp.onnx")
    with torch.no_grad():
        g_past = export(model, tmp, with_pos, with_past=True)
        g_nopast = export(model, tmp, with_pos, with_past=False) if merged else None

    vocab, spec = vocabulary(arch_key, a.vocab_size)
    ids = encode(vocab, spec, PROMPT)
    ref = {"prompt": PROMPT, "input_ids": ids, "has_position_ids": with_pos, "use_cache_branch": merged,
           "seed": seed, "variants": {}}
    for dtype in variants:
        file = FILES[dtype]
        if dtype == "fp16":
            g = merge_with_use_cache_branch(to_fp16(g_past), to_fp16(g_nopast)) if merged else to_fp16(g_past)
        elif dtype == "q4":
            assert not merged
            g = to_matmul_nbits(copy.deepcopy(g_past), lambda node, k, n: "/layers." in node.name)
        else:
            g = merge_with_use_cache_branch(g_past, g_nopast) if merged else copy.deepcopy(g_past)
        save(g, os.path.join(onnx_dir, file), external.format(file=file) if external else None)
        r = reference(weights_as(model, dtype), ids, with_pos)
        rel = os.path.relpath(os.path.join(onnx_dir, file), out)
        ref["variants"][dtype] = {"file": rel, "weights": {"fp32": "float32", "fp16": "float16",
                                                           "q4": "MatMulNBits 4-bit, block 32"}[dtype],
                                  "io_dtype": "float16" if dtype == "fp16" else "float32", **r}

    bos_id = vocab.index(spec["bos"]) if spec["bos"] else None
    eos_id = vocab.index(spec["eos"])
    eos_ids = [vocab.index(t) for t in spec["eos_ids"]] if spec["eos_ids"] else eos_id
    config = {
        "architectures": a.architectures, "model_type": a.model_type, "vocab_size": a.vocab_size,
        "hidden_size": a.hidden_size, "intermediate_size": a.intermediate_size,
        "num_hidden_layers": a.num_hidden_layers, "num_attention_heads": a.num_attention_heads,
        "num_key_value_heads": a.num_key_value_heads, "head_dim": a.head_dim,
        "max_position_embeddings": a.max_position_embeddings, "bos_token_id": bos_id, "eos_token_id": eos_id,
        "pad_token_id": vocab.index(spec["pad"]) if spec["pad"] else None,
        "tie_word_embeddings": a.tie_word_embeddings, "torch_dtype": "float32", "use_cache": True,
    }
    if a.norm == "layer":
        config["layer_norm_epsilon"] = a.norm_eps
    else:
        config["rms_norm_eps"] = a.norm_eps
    if a.positions == "rope":
        config["rope_theta"] = a.rope_theta
    if arch_key == "gpt2":  # GPT-2's own field names
        config.update({"n_embd": a.hidden_size, "n_layer": a.num_hidden_layers, "n_head": a.num_attention_heads,
                       "n_positions": a.max_position_embeddings, "n_inner": a.intermediate_size,
                       "activation_function": "gelu_new"})
        for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
                  "max_position_embeddings", "intermediate_size"):
            config.pop(k)
    if arch_key == "qwen2":
        config["use_sliding_window"] = False
    if arch_key == "gemma":
        config["hidden_activation"] = "gelu_pytorch_tanh"
    write_json(os.path.join(out, "config.json"), config)
    write_json(os.path.join(out, "generation_config.json"),
               {"bos_token_id": bos_id, "eos_token_id": eos_ids, "do_sample": False,
                "max_length": a.max_position_embeddings})
    write_json(os.path.join(out, "tokenizer.json"), tokenizer_json(vocab, spec))
    write_json(os.path.join(out, "tokenizer_config.json"), tokenizer_config(vocab, spec, a.max_position_embeddings))
    if layout == "genai":
        write_json(os.path.join(out, "genai_config.json"), genai_config(a, bos_id, eos_ids, with_pos))
    write_json(os.path.join(out, "reference.json"), ref)


def genai_config(a: Arch, bos_id, eos_ids, with_pos: bool) -> dict:
    inputs = {"input_ids": "input_ids", "attention_mask": "attention_mask",
              "past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value"}
    if with_pos:
        inputs["position_ids"] = "position_ids"
    return {
        "model": {
            "bos_token_id": bos_id, "context_length": a.max_position_embeddings,
            "decoder": {
                "session_options": {"log_id": "onnxruntime-genai", "provider_options": []},
                "filename": "model.onnx", "head_size": a.head_dim, "hidden_size": a.hidden_size,
                "inputs": inputs,
                "outputs": {"logits": "logits", "present_key_names": "present.%d.key",
                            "present_value_names": "present.%d.value"},
                "num_attention_heads": a.num_attention_heads, "num_hidden_layers": a.num_hidden_layers,
                "num_key_value_heads": a.num_key_value_heads,
            },
            "eos_token_id": eos_ids, "pad_token_id": eos_ids[0] if isinstance(eos_ids, list) else eos_ids,
            "type": a.model_type, "vocab_size": a.vocab_size,
        },
        "search": {"diversity_penalty": 0.0, "do_sample": False, "early_stopping": True, "length_penalty": 1.0,
                   "max_length": a.max_position_embeddings, "min_length": 0, "no_repeat_ngram_size": 0,
                   "num_beams": 1, "num_return_sequences": 1, "past_present_share_buffer": False,
                   "repetition_penalty": 1.0, "temperature": 1.0, "top_k": 1, "top_p": 1.0},
    }


def real_shapes_main(args) -> None:
    from real_shapes import SHAPES, make_real_shape

    if args.out == DEFAULT_OUT:
        sys.exit("--real-shapes needs --out (a cache folder outside git, e.g. apps/bench/.models)")
    unknown = [s for s in args.real_shapes if s not in SHAPES]
    if unknown:
        sys.exit(f"unknown shape(s) {unknown}; known: {sorted(SHAPES)}")
    os.makedirs(args.out, exist_ok=True)
    for name in args.real_shapes:
        out = make_real_shape(args.out, name, args.layers)
        with open(os.path.join(out, "real-shape.json")) as f:
            info = json.load(f)
        print(f"{out}: {info['parameters'] / 1e6:.0f}M parameters, {info['layers']} layers, "
              f"{info['total_seconds']} s, peak RSS {info['peak_rss_mib']} MiB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--only", nargs="*", help="folder names to (re)write")
    ap.add_argument("--real-shapes", nargs="+", metavar="SHAPE",
                    help="instead of the fixtures, write random-weight models at real shapes "
                         "(smollm-135m, qwen2.5-0.5b) into --out; see real_shapes.py")
    ap.add_argument("--layers", type=int, help="with --real-shapes: fewer layers, same width and vocabulary")
    args = ap.parse_args()
    if args.real_shapes:
        real_shapes_main(args)
        return
    torch.set_num_threads(1)
    for folder, arch_key, layout, variants, seed in FOLDERS:
        if args.only and folder not in args.only:
            continue
        make_folder(args.out, folder, arch_key, layout, variants, seed)
        size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(os.path.join(args.out, folder))
                   for f in fs)
        print(f"{folder}: {size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
