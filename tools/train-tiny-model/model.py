"""A small Llama-style decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU,
tied embeddings) with an explicit causal + padding mask, written so that the same
module trains in PyTorch and exports to ONNX with a KV cache.

Parameter names follow transformers' LlamaForCausalLM (model.layers.N.self_attn.q_proj ...).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

# --------------------------------------------------------------------- vocabulary

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>"]
PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
# "\n" then printable ASCII 32..126: every task string (and plain English) tokenizes.
CHARS = ["\n"] + [chr(c) for c in range(32, 127)]
VOCAB = SPECIAL_TOKENS + CHARS
CHAR_TO_ID = {c: i for i, c in enumerate(VOCAB) if i >= len(SPECIAL_TOKENS)}


def encode(text: str) -> list[int]:
    return [CHAR_TO_ID.get(c, UNK_ID) for c in text]


def decode(ids: list[int]) -> str:
    return "".join(VOCAB[i] for i in ids if i >= len(SPECIAL_TOKENS))


# --------------------------------------------------------------------- model


@dataclass
class Config:
    vocab_size: int = len(VOCAB)
    hidden_size: int = 128
    intermediate_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 32
    max_position_embeddings: int = 256
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var = x.pow(2).mean(-1, keepdim=True)
        return x * torch.rsqrt(var + self.eps) * self.weight


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        h, kv, d = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden_size, h * d, bias=False)
        self.k_proj = nn.Linear(cfg.hidden_size, kv * d, bias=False)
        self.v_proj = nn.Linear(cfg.hidden_size, kv * d, bias=False)
        self.o_proj = nn.Linear(h * d, cfg.hidden_size, bias=False)

    def forward(self, x, cos, sin, allowed, past_k=None, past_v=None):
        cfg = self.cfg
        h, kv, d = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        g = h // kv
        B, S = x.shape[0], x.shape[1]
        q = self.q_proj(x).view(B, S, h, d).transpose(1, 2)  # B h S d
        k = self.k_proj(x).view(B, S, kv, d).transpose(1, 2)  # B kv S d
        v = self.v_proj(x).view(B, S, kv, d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        present_k, present_v = k, v
        # grouped-query attention without repeating K/V: query heads h = kv * g
        q5 = q.reshape(B, kv, g, S, d)
        k5 = k.unsqueeze(2)  # B kv 1 T d
        v5 = v.unsqueeze(2)
        scores = torch.matmul(q5, k5.transpose(-1, -2)) * (1.0 / math.sqrt(d))  # B kv g S T
        scores = torch.where(allowed, scores, torch.full_like(scores, -1e9))
        probs = torch.softmax(scores, dim=-1)
        out = torch.matmul(probs, v5)  # B kv g S d
        out = out.reshape(B, h, S, d).transpose(1, 2).reshape(B, S, h * d)
        return self.o_proj(out), present_k, present_v


class MLP(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.self_attn = Attention(cfg)
        self.mlp = MLP(cfg)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, x, cos, sin, allowed, past_k=None, past_v=None):
        a, pk, pv = self.self_attn(self.input_layernorm(x), cos, sin, allowed, past_k, past_v)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, pk, pv


class Inner(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([Layer(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class TinyLlama(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.model = Inner(cfg)
        inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2).float() / cfg.head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)
        self.apply(self._init)
        for n, p in self.named_parameters():
            if n.endswith("o_proj.weight") or n.endswith("down_proj.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.num_hidden_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, inputs_embeds, attention_mask, position_ids, past=None):
        """inputs_embeds [B,S,H]; attention_mask [B,T] (T = past + S, 1 = real token,
        0 = padding); position_ids [B,S]; past: list of (k, v) [B,kv,P,d] or None.
        Returns logits [B,S,V] and the list of present (k, v) [B,kv,T,d]."""
        cfg = self.cfg
        x = inputs_embeds
        # RoPE tables from position ids
        freqs = position_ids.unsqueeze(-1).to(torch.float32) * self.inv_freq  # B S d/2
        emb = torch.cat([freqs, freqs], dim=-1).unsqueeze(1)  # B 1 S d
        cos, sin = emb.cos(), emb.sin()
        # mask from tensor arithmetic only (no shape-dependent Python ints):
        # key index k in [0, T), query index q in [T - S, T); allowed iff k <= q and key is real
        ones_k = torch.ones_like(attention_mask[0])  # [T]
        ones_q = torch.ones_like(position_ids[0])  # [S]
        kidx = torch.cumsum(ones_k, 0) - 1
        qidx = torch.cumsum(ones_q, 0) - 1 + (ones_k.sum() - ones_q.sum())
        causal = kidx.unsqueeze(0) <= qidx.unsqueeze(1)  # S T
        real = attention_mask != 0  # B T
        allowed = causal.unsqueeze(0) & real.unsqueeze(1)  # B S T
        allowed = allowed.unsqueeze(1).unsqueeze(1)  # B 1 1 S T
        presents = []
        for i, layer in enumerate(self.model.layers):
            pk, pv = (past[i] if past is not None else (None, None))
            x, k, v = layer(x, cos, sin, allowed, pk, pv)
            presents.append((k, v))
        x = self.model.norm(x)
        logits = torch.matmul(x, self.model.embed_tokens.weight.t())  # tied
        return logits, presents

    def embed(self, input_ids):
        return self.model.embed_tokens(input_ids)


# --------------------------------------------------------------------- decoding


@torch.no_grad()
def generate(model: TinyLlama, prompts: list[str], max_new_tokens: int = 240, temperature: float = 0.0,
             generator: torch.Generator | None = None) -> list[str]:
    """Batched KV-cached decoding of left-padded prompts (each prefixed with <s>).
    Returns the generated continuations (text up to, not including, </s>)."""
    model.eval()
    ids = [[BOS_ID] + encode(p) for p in prompts]
    B = len(ids)
    L = max(len(x) for x in ids)
    inp = torch.full((B, L), PAD_ID, dtype=torch.long)
    mask = torch.zeros((B, L), dtype=torch.long)
    for b, x in enumerate(ids):
        inp[b, L - len(x):] = torch.tensor(x)
        mask[b, L - len(x):] = 1
    pos = (mask.cumsum(1) - 1).clamp(min=0)
    limit = model.cfg.max_position_embeddings
    logits, past = model(model.embed(inp), mask, pos, None)
    out = [[] for _ in range(B)]
    done = [False] * B
    next_pos = pos[:, -1:] + 1
    for _ in range(max_new_tokens):
        last = logits[:, -1, :]
        if temperature > 0:
            probs = torch.softmax(last / temperature, dim=-1)
            tok = torch.multinomial(probs, 1, generator=generator)[:, 0]
        else:
            tok = last.argmax(-1)
        for b in range(B):
            if not done[b]:
                t = int(tok[b])
                if t == EOS_ID:
                    done[b] = True
                else:
                    out[b].append(t)
        if all(done) or int(next_pos.max()) >= limit:
            break
        mask = torch.cat([mask, torch.ones((B, 1), dtype=torch.long)], dim=1)
        logits, past = model(model.embed(tok[:, None]), mask, next_pos, past)
        next_pos = next_pos + 1
    return [decode(o) for o in out]
