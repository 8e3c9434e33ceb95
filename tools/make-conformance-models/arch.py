"""Tiny random-weight decoders of real architectures, in plain torch (no transformers).

One configurable module covers Llama/SmolLM, Qwen2, GPT-2, Phi-3 and Gemma; what differs
between them is a handful of switches (norm, positions, fused projections, activation,
embedding scale, biases, tying). Parameter names follow transformers' classes where cheap.

forward(input_ids, attention_mask, position_ids | None, past) -> (logits, presents)
  input_ids [B,S] int64, attention_mask [B,T] int64 (T = past + S), position_ids [B,S] int64
  or None (then positions come from the mask: cumsum - 1, as GPT-2 exports without the
  input compute them), past: list of (key, value) [B, kv_heads, P, head_dim].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

# Largest finite float16: a masked score that stays finite (and exact) in an fp16 graph,
# so fully masked padding rows give a uniform softmax instead of NaN.
MASK_VALUE = -65504.0
# Random-weight scales: residual branches large against the embeddings, so that tied-embedding
# models do not just predict their input token, and logits spread over several units.
OUTPUT_GAIN = 3.0
EMBED_STD = 0.5
LM_HEAD_GAIN = 4.0


@dataclass
class Arch:
    name: str
    model_type: str
    architectures: list[str]
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    max_position_embeddings: int = 128
    norm: str = "rms"  # rms | rms_one_plus (Gemma: x * (1 + w)) | layer
    norm_eps: float = 1e-5
    positions: str = "rope"  # rope | learned
    rope_theta: float = 10000.0
    mlp: str = "swiglu"  # swiglu | geglu | gelu
    fused_qkv: bool = False
    fused_gate_up: bool = False
    qkv_bias: bool = False
    out_bias: bool = False  # o_proj / MLP biases (GPT-2)
    tie_word_embeddings: bool = True
    embed_scale: bool = False  # Gemma multiplies embeddings by sqrt(hidden)
    extra: dict = field(default_factory=dict)


class Norm(nn.Module):
    def __init__(self, a: Arch) -> None:
        super().__init__()
        self.kind, self.eps = a.norm, a.norm_eps
        self.weight = nn.Parameter(torch.ones(a.hidden_size))
        if a.norm == "layer":
            self.bias = nn.Parameter(torch.zeros(a.hidden_size))

    def forward(self, x):
        if self.kind == "layer":
            return F.layer_norm(x, (self.weight.shape[0],), self.weight, self.bias, self.eps)
        y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return y * (1.0 + self.weight) if self.kind == "rms_one_plus" else y * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class RotaryEmbedding(nn.Module):
    """cos/sin tables from position ids. Its own module so the exported nodes are named
    /rotary_emb/..., which the fp16 converter keeps in float32 (as transformers does)."""

    def __init__(self, a: Arch) -> None:
        super().__init__()
        inv = 1.0 / (a.rope_theta ** (torch.arange(0, a.head_dim, 2).float() / a.head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)

    def forward(self, position_ids):
        freqs = position_ids.unsqueeze(-1).to(torch.float32) * self.inv_freq  # B S d/2
        emb = torch.cat([freqs, freqs], dim=-1).unsqueeze(1)  # B 1 S d
        return emb.cos(), emb.sin()


class Attention(nn.Module):
    def __init__(self, a: Arch) -> None:
        super().__init__()
        self.a = a
        h, kv, d, H = a.num_attention_heads, a.num_key_value_heads, a.head_dim, a.hidden_size
        if a.fused_qkv:
            self.qkv_proj = nn.Linear(H, (h + 2 * kv) * d, bias=a.qkv_bias)
        else:
            self.q_proj = nn.Linear(H, h * d, bias=a.qkv_bias)
            self.k_proj = nn.Linear(H, kv * d, bias=a.qkv_bias)
            self.v_proj = nn.Linear(H, kv * d, bias=a.qkv_bias)
        self.o_proj = nn.Linear(h * d, H, bias=a.out_bias)

    def forward(self, x, rope, allowed, past_k, past_v):
        a = self.a
        h, kv, d = a.num_attention_heads, a.num_key_value_heads, a.head_dim
        B, S = x.shape[0], x.shape[1]
        if a.fused_qkv:
            q, k, v = self.qkv_proj(x).split([h * d, kv * d, kv * d], dim=-1)
        else:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        q = q.view(B, S, h, d).transpose(1, 2)
        k = k.view(B, S, kv, d).transpose(1, 2)
        v = v.view(B, S, kv, d).transpose(1, 2)
        if rope is not None:
            cos, sin = rope
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        g = h // kv
        q5 = q.reshape(B, kv, g, S, d)
        scores = torch.matmul(q5, k.unsqueeze(2).transpose(-1, -2)) * (1.0 / math.sqrt(d))  # B kv g S T
        scores = torch.where(allowed, scores, torch.full_like(scores, MASK_VALUE))
        out = torch.matmul(torch.softmax(scores, dim=-1), v.unsqueeze(2))  # B kv g S d
        out = out.reshape(B, h, S, d).transpose(1, 2).reshape(B, S, h * d)
        return self.o_proj(out), k, v


class MLP(nn.Module):
    def __init__(self, a: Arch) -> None:
        super().__init__()
        self.kind, H, I = a.mlp, a.hidden_size, a.intermediate_size
        self.fused = a.fused_gate_up
        if a.mlp == "gelu":
            self.up_proj = nn.Linear(H, I, bias=a.out_bias)
        elif a.fused_gate_up:
            self.gate_up_proj = nn.Linear(H, 2 * I, bias=False)
        else:
            self.gate_proj = nn.Linear(H, I, bias=False)
            self.up_proj = nn.Linear(H, I, bias=False)
        self.down_proj = nn.Linear(I, H, bias=a.out_bias)

    def forward(self, x):
        if self.kind == "gelu":
            return self.down_proj(F.gelu(self.up_proj(x), approximate="tanh"))
        if self.fused:
            gate, up = self.gate_up_proj(x).chunk(2, dim=-1)
        else:
            gate, up = self.gate_proj(x), self.up_proj(x)
        act = F.silu(gate) if self.kind == "swiglu" else F.gelu(gate, approximate="tanh")
        return self.down_proj(act * up)


class Layer(nn.Module):
    def __init__(self, a: Arch) -> None:
        super().__init__()
        self.input_layernorm = Norm(a)
        self.self_attn = Attention(a)
        self.post_attention_layernorm = Norm(a)
        self.mlp = MLP(a)

    def forward(self, x, rope, allowed, past_k, past_v):
        y, k, v = self.self_attn(self.input_layernorm(x), rope, allowed, past_k, past_v)
        x = x + y
        return x + self.mlp(self.post_attention_layernorm(x)), k, v


class Decoder(nn.Module):
    def __init__(self, a: Arch, seed: int) -> None:
        super().__init__()
        self.a = a
        self.embed_tokens = nn.Embedding(a.vocab_size, a.hidden_size)
        if a.positions == "learned":
            self.embed_positions = nn.Embedding(a.max_position_embeddings, a.hidden_size)
        else:
            self.rotary_emb = RotaryEmbedding(a)
        self.layers = nn.ModuleList([Layer(a) for _ in range(a.num_hidden_layers)])
        self.norm = Norm(a)
        if not a.tie_word_embeddings:
            self.lm_head = nn.Linear(a.hidden_size, a.vocab_size, bias=False)
        self._randomize(seed)

    @torch.no_grad()
    def _randomize(self, seed: int) -> None:
        # Scales chosen so logits spread over several units: argmax margins then survive fp16/q4.
        g = torch.Generator().manual_seed(seed)
        for name, p in self.named_parameters():
            if p.dim() == 2 and "embed" not in name:  # Linear weight [out, in]
                output_gain = self.a.extra.get("output_gain", OUTPUT_GAIN)
                gain = output_gain if name.endswith(("o_proj.weight", "down_proj.weight")) else 1.0
                gain = LM_HEAD_GAIN if name == "lm_head.weight" else gain
                p.copy_(torch.randn(p.shape, generator=g) * gain / math.sqrt(p.shape[1]))
            elif "embed" in name:
                std = EMBED_STD / (self.a.hidden_size ** 0.5 if self.a.embed_scale else 1.0)
                std = self.a.extra.get("embed_std", std)
                p.copy_(torch.randn(p.shape, generator=g) * (std if "tokens" in name else 0.3))
            elif name.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
            elif self.a.norm == "rms_one_plus":
                # Gemma's embeddings are small (scaled up by sqrt(hidden) on input), so tied logits
                # are too; a final norm of about 8 brings them to the other fixtures' spread.
                centre = 7.0 if name == "norm.weight" else 0.0
                p.copy_(centre + torch.randn(p.shape, generator=g) * 0.1)
            else:  # norm weights around 1
                p.copy_(1.0 + torch.randn(p.shape, generator=g) * 0.1)

    def forward(self, input_ids, attention_mask, position_ids, past):
        a = self.a
        x = self.embed_tokens(input_ids)
        if a.embed_scale:
            x = x * (a.hidden_size ** 0.5)
        ones_k = torch.ones_like(attention_mask[0])  # [T]
        ones_q = torch.ones_like(input_ids[0])  # [S]
        if position_ids is None:
            # positions of the new tokens from the mask (left padding aware)
            from_mask = (attention_mask.cumsum(-1) - 1).clamp(min=0)
            position_ids = from_mask[:, (ones_k.sum() - ones_q.sum()):]
        rope = None
        if a.positions == "learned":
            x = x + self.embed_positions(position_ids)
        else:
            rope = self.rotary_emb(position_ids)
        # causal + padding mask from tensor arithmetic (no shape-dependent Python ints)
        kidx = torch.cumsum(ones_k, 0) - 1
        qidx = torch.cumsum(ones_q, 0) - 1 + (ones_k.sum() - ones_q.sum())
        causal = kidx.unsqueeze(0) <= qidx.unsqueeze(1)  # S T
        allowed = (causal.unsqueeze(0) & (attention_mask != 0).unsqueeze(1)).unsqueeze(1).unsqueeze(1)
        presents = []
        for i, layer in enumerate(self.layers):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v = layer(x, rope, allowed, pk, pv)
            presents.append((k, v))
        x = self.norm(x)
        if a.tie_word_embeddings:
            logits = torch.matmul(x, self.embed_tokens.weight.t())
        else:
            logits = self.lm_head(x)
        return logits, presents

    def empty_past(self, batch: int):
        a = self.a
        z = torch.zeros(batch, a.num_key_value_heads, 0, a.head_dim)
        return [(z, z) for _ in range(a.num_hidden_layers)]
