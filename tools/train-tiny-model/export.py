"""Export a trained checkpoint to packages/model-tiny/model/ in the Hugging Face /
transformers.js / Optimum layout for decoder-only models.

    /usr/bin/python3 tools/train-tiny-model/export.py --ckpt tools/train-tiny-model/runs/main/ckpt.pt

Writes config.json, generation_config.json, tokenizer.json, tokenizer_config.json,
special_tokens_map.json, onnx/model.onnx (input_ids), onnx/embed_tokens.onnx and
onnx/decoder_model_merged.onnx (inputs_embeds), plus training.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import BOS_ID, EOS_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID, VOCAB, Config, TinyLlama  # noqa: E402

OPSET = 17
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "packages", "model-tiny", "model"))
CHAT_TEMPLATE = "{{ bos_token }}{% for message in messages %}{{ message['content'] }}{% endfor %}"


class WithIds(torch.nn.Module):
    def __init__(self, m: TinyLlama) -> None:
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.m(self.m.embed(input_ids), attention_mask, position_ids, past)
        return (logits, *[t for kv in presents for t in kv])


class WithEmbeds(torch.nn.Module):
    def __init__(self, m: TinyLlama) -> None:
        super().__init__()
        self.m = m

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.m(inputs_embeds, attention_mask, position_ids, past)
        return (logits, *[t for kv in presents for t in kv])


class Embed(torch.nn.Module):
    def __init__(self, m: TinyLlama) -> None:
        super().__init__()
        self.m = m

    def forward(self, input_ids):
        return self.m.embed(input_ids)


def export_decoder(model: TinyLlama, path: str, first: str) -> None:
    cfg = model.cfg
    L = cfg.num_hidden_layers
    B, S, P = 2, 3, 4
    ids = torch.randint(4, cfg.vocab_size, (B, S))
    first_input = ids if first == "input_ids" else model.embed(ids).detach()
    mask = torch.ones((B, P + S), dtype=torch.long)
    pos = torch.arange(P, P + S).unsqueeze(0).expand(B, S).contiguous()
    past = []
    for _ in range(L):
        past.append(torch.randn(B, cfg.num_key_value_heads, P, cfg.head_dim))
        past.append(torch.randn(B, cfg.num_key_value_heads, P, cfg.head_dim))
    past_names = [f"past_key_values.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    input_names = [first, "attention_mask", "position_ids", *past_names]
    output_names = ["logits", *present_names]
    dyn = {
        first: {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for n in past_names:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in present_names:
        dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    wrapper = WithIds(model) if first == "input_ids" else WithEmbeds(model)
    torch.onnx.export(wrapper, (first_input, mask, pos, *past), path, input_names=input_names,
                      output_names=output_names, dynamic_axes=dyn, opset_version=OPSET, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))


def export_embed(model: TinyLlama, path: str) -> None:
    ids = torch.randint(4, model.cfg.vocab_size, (2, 3))
    torch.onnx.export(Embed(model), (ids,), path, input_names=["input_ids"], output_names=["inputs_embeds"],
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                    "inputs_embeds": {0: "batch_size", 1: "sequence_length"}},
                      opset_version=OPSET, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))


def tokenizer_json() -> dict:
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": True} for i, t in enumerate(SPECIAL_TOKENS)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [BOS_ID], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "Fuse"},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": "<unk>",
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {t: i for i, t in enumerate(VOCAB)},
            "merges": [],
        },
    }


def write_json(path: str, obj) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    ck = torch.load(args.ckpt)
    cfg = Config(**ck["config"])
    model = TinyLlama(cfg)
    model.load_state_dict(ck["model"])
    model.eval()

    out = args.out
    if os.path.isdir(os.path.join(out, "onnx")):
        shutil.rmtree(os.path.join(out, "onnx"))
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)

    with torch.no_grad():
        export_decoder(model, os.path.join(out, "onnx", "model.onnx"), "input_ids")
        export_decoder(model, os.path.join(out, "onnx", "decoder_model_merged.onnx"), "inputs_embeds")
        export_embed(model, os.path.join(out, "onnx", "embed_tokens.onnx"))

    write_json(os.path.join(out, "config.json"), {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": cfg.max_position_embeddings,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": cfg.rope_theta,
        "rope_scaling": None,
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": True,
        "initializer_range": 0.02,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "pad_token_id": PAD_ID,
        "use_cache": True,
        "torch_dtype": "float32",
        "transformers_version": "4.46.0",
    })
    write_json(os.path.join(out, "generation_config.json"), {
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "pad_token_id": PAD_ID,
        "do_sample": False,
        "max_length": cfg.max_position_embeddings,
    })
    write_json(os.path.join(out, "tokenizer.json"), tokenizer_json())
    write_json(os.path.join(out, "tokenizer_config.json"), {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "add_bos_token": True,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": cfg.max_position_embeddings,
        "padding_side": "left",
        "chat_template": CHAT_TEMPLATE,
        "added_tokens_decoder": {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                          "single_word": False, "special": True}
                                 for i, t in enumerate(SPECIAL_TOKENS)},
    })
    write_json(os.path.join(out, "special_tokens_map.json"), {
        "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"})
    run_dir = os.path.dirname(os.path.abspath(args.ckpt))
    info = {"params": model.num_params(), "final_stage_steps": ck.get("step"),
            "training": "tools/train-tiny-model/train_all.sh"}
    mpath = os.path.join(run_dir, "metrics.json")
    if os.path.exists(mpath):
        with open(mpath) as f:
            info["final_stage"] = json.load(f)
    spath = os.path.join(run_dir, "sample_eval.json")
    if os.path.exists(spath):  # written by sample_eval.py (current split definitions)
        with open(spath) as f:
            info["eval"] = json.load(f)
        # train.py's own end-of-training greedy numbers may predate the current splits
        info.get("final_stage", {}).pop("greedy", None)
    write_json(os.path.join(out, "training.json"), info)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(out) for f in fs)
    print(f"exported to {out} ({total / 1e6:.1f} MB), unk id {UNK_ID}")


if __name__ == "__main__":
    main()
