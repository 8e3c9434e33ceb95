"""Random-weight models at the shapes users run, for speed benchmarks (never committed).

    /usr/bin/python3 tools/make-conformance-models/make_models.py --real-shapes smollm-135m --out DIR [--layers N]

Writes DIR/<name>/ in transformers.js' layout: onnx/model.onnx (fp32; with onnx/model.onnx_data
when the graph would pass protobuf's 2 GB limit) and onnx/model_fp16.onnx, config.json,
generation_config.json, tokenizer.json (byte-level BPE with the model's vocabulary size; every
token decodes to bytes), tokenizer_config.json and real-shape.json (what was written, how long it
took, peak memory). `--layers N` keeps width and vocabulary and cuts depth, for machines where the
full export is too slow or too large; the folder is then named <name>-L<N>.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import shutil
import tempfile
import time

import onnx
import onnx.external_data_helper
import torch

from arch import Arch, Decoder
from onnx_passes import to_fp16

# Real configurations (hidden, layers, heads, vocab, ...); output_gain 1 instead of the fixtures' 3
# keeps a 24-30 layer residual stream small enough for fp16 (x² in RMSNorm stays finite).
SHAPES = {
    "smollm-135m": Arch("smollm-135m", "llama", ["LlamaForCausalLM"], vocab_size=49152, hidden_size=576,
                        intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                        num_key_value_heads=3, head_dim=64, max_position_embeddings=2048, rope_theta=10000.0,
                        extra={"output_gain": 1.0}),
    "qwen2.5-0.5b": Arch("qwen2.5-0.5b", "qwen2", ["Qwen2ForCausalLM"], vocab_size=151936, hidden_size=896,
                         intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                         num_key_value_heads=2, head_dim=64, qkv_bias=True, max_position_embeddings=32768,
                         rope_theta=1000000.0, norm_eps=1e-6, extra={"output_gain": 1.0}),
}
# Special tokens where the real tokenizers have them.
SPECIAL_IDS = {
    "smollm-135m": {"<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2},
    "qwen2.5-0.5b": {"<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645},
}
TOKEN_IDS = {  # bos, eos (config), eos list (generation_config), pad
    "smollm-135m": (0, 0, 0, None),
    "qwen2.5-0.5b": (None, 151643, [151645, 151643], 151643),
}
SEED = 1234
# Above this many weight bytes the fp32 graph goes to model.onnx_data (protobuf's limit is 2 GiB).
EXTERNAL_DATA_BYTES = 1_800_000_000


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte → printable character table, which ByteLevel pre-tokenizers use."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def byte_level_vocab(size: int, specials: dict[str, int]) -> list[str]:
    """Specials at their ids; the 256 byte characters first, then byte pairs and triples to fill
    (no merges: encoding yields one token per byte; every token decodes to valid bytes)."""
    chars = list(bytes_to_unicode().values())
    slots: list[str | None] = [None] * size
    for tok, i in specials.items():
        slots[i] = tok

    def fill():
        yield from chars
        for a in chars:
            for b in chars:
                yield a + b
        for a in chars:
            for b in chars:
                for c in chars:
                    yield a + b + c

    it = fill()
    vocab = [s if s is not None else next(it) for s in slots]
    assert len(set(vocab)) == size
    return vocab


def tokenizer_json(vocab: list[str], specials: dict[str, int]) -> dict:
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": True} for t, i in sorted(specials.items(), key=lambda kv: kv[1])]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(vocab)}, "merges": []},
    }


def write_json(path: str, obj) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def export_graph(model: Decoder, work: str) -> onnx.ModelProto:
    """The with-past graph (make_models.export) written in a scratch folder: above 2 GB torch
    writes one external file per tensor next to it."""
    from make_models import export  # late import: make_models imports this module

    path = os.path.join(work, "export.onnx")
    return export(model, path, with_position_ids=True, with_past=True)


def weight_bytes(m: onnx.ModelProto) -> int:
    return sum(len(t.raw_data) for t in m.graph.initializer)


def save(m: onnx.ModelProto, path: str) -> None:
    if weight_bytes(m) > EXTERNAL_DATA_BYTES:
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + "_data", size_threshold=1024)
        onnx.checker.check_model(path)  # by path: the in-memory proto is over the limit
        # save_model turned the in-memory weights into references to the file; read them back
        onnx.external_data_helper.load_external_data_for_model(m, os.path.dirname(path))
    else:
        onnx.checker.check_model(m)
        onnx.save_model(m, path)


def make_real_shape(root: str, name: str, layers: int | None = None) -> str:
    start = time.time()
    a = copy.deepcopy(SHAPES[name])
    folder = name
    if layers is not None and layers != a.num_hidden_layers:
        a.num_hidden_layers = layers
        folder = f"{name}-L{layers}"
    out = os.path.join(root, folder)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "onnx"))
    torch.manual_seed(SEED)
    model = Decoder(a, SEED).eval()
    params = sum(p.numel() for p in model.parameters())
    with tempfile.TemporaryDirectory(dir=root) as work, torch.no_grad():
        g = export_graph(model, work)
    del model
    for t in g.graph.initializer:  # loaded from torch's per-tensor files: make them plain initializers
        del t.external_data[:]
        t.data_location = onnx.TensorProto.DEFAULT
    exported_s = time.time() - start
    save(g, os.path.join(out, "onnx", "model.onnx"))
    g16 = to_fp16(g)  # in place when large: fp32 is saved first
    del g
    save(g16, os.path.join(out, "onnx", "model_fp16.onnx"))
    del g16

    specials = SPECIAL_IDS[name]
    bos, eos, eos_list, pad = TOKEN_IDS[name]
    vocab = byte_level_vocab(a.vocab_size, specials)
    write_json(os.path.join(out, "tokenizer.json"), tokenizer_json(vocab, specials))
    write_json(os.path.join(out, "tokenizer_config.json"), {
        "tokenizer_class": "GPT2Tokenizer" if name.startswith("smollm") else "Qwen2Tokenizer",
        "bos_token": None if bos is None else vocab[bos], "eos_token": vocab[eos],
        "pad_token": None if pad is None else vocab[pad], "unk_token": None, "add_prefix_space": False,
        "clean_up_tokenization_spaces": False, "model_max_length": a.max_position_embeddings,
        "chat_template": "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
                         "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
        "added_tokens_decoder": {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                          "single_word": False, "special": True} for t, i in specials.items()},
    })
    config = {
        "architectures": a.architectures, "model_type": a.model_type, "vocab_size": a.vocab_size,
        "hidden_size": a.hidden_size, "intermediate_size": a.intermediate_size,
        "num_hidden_layers": a.num_hidden_layers, "num_attention_heads": a.num_attention_heads,
        "num_key_value_heads": a.num_key_value_heads, "head_dim": a.head_dim, "hidden_act": "silu",
        "max_position_embeddings": a.max_position_embeddings, "bos_token_id": bos, "eos_token_id": eos,
        "pad_token_id": pad, "rms_norm_eps": a.norm_eps, "rope_theta": a.rope_theta,
        "tie_word_embeddings": True, "torch_dtype": "float32", "use_cache": True,
    }
    if a.model_type == "qwen2":
        config["use_sliding_window"] = False
    write_json(os.path.join(out, "config.json"), config)
    write_json(os.path.join(out, "generation_config.json"),
               {"bos_token_id": bos, "eos_token_id": eos_list, "do_sample": False})
    files = {}
    for dp, _, fs in os.walk(out):
        for f in fs:
            files[os.path.relpath(os.path.join(dp, f), out)] = os.path.getsize(os.path.join(dp, f))
    write_json(os.path.join(out, "real-shape.json"), {
        "shape": name, "layers": a.num_hidden_layers, "full_depth": SHAPES[name].num_hidden_layers,
        "parameters": params, "seed": SEED, "random_weights": True,
        "export_seconds": round(exported_s, 1), "total_seconds": round(time.time() - start, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "files": dict(sorted(files.items())),
    })
    return out
