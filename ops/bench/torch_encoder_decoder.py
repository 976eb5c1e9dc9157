"""
PyTorch eager peer of ablate's EncoderDecoder (T5 mould): the same model, for the parity fixtures
(ops/parity/make_fixtures.py) and the train-step bench (torch_gpt.py builds it for
"architecture": "encoder-decoder"). One file, top-down in data-flow order: config, positions, norm,
attention, MLP, blocks, model. The model config and the positions (rotary, ALiBi) are also those of
torch_gpt.py's decoder; T5's relative bias (Raffel et al. 2020) is written here from transformers'
T5Attention._relative_position_bucket.

  /usr/bin/python3 torch_encoder_decoder.py --params --config '{"position": "relative"}'
"""
import argparse
import json
import math
from dataclasses import dataclass, fields

import torch
import torch.nn as nn
from torch.nn import functional as F


# the MLP's activation by model.activation (gelu: exact erf; swiglu and geglu gate it, see MLP)
ACTIVATIONS = {"gelu": F.gelu, "swiglu": F.silu, "relu": F.relu, "geglu": F.gelu}


@dataclass
class ModelConfig:
    """ablate's model.* keys this peer knows; torch_gpt.Config adds the architecture and the training step."""
    vocab: int = 320
    d_model: int = 128
    layers: int = 2  # per stack
    heads: int = 4
    seq: int = 128  # the longest sequence of either stack
    ffn: int = 0  # 0 means 4 * d_model
    position: str = "learned"  # none | learned | rotary | alibi | relative
    activation: str = "gelu"  # gelu | swiglu | relu | geglu (GELU exact, erf)
    embedding_layernorm: bool = False
    norm: str = "layernorm"  # layernorm | rmsnorm
    bias: bool = True  # on every linear layer
    tied: bool = True  # output projection = token embedding
    rotary_fraction: float = 1.0
    rotary_base: float = 10000.0
    relative_buckets: int = 32
    relative_max_distance: int = 128
    swiglu_multiple_of: int = 8
    ln_eps: float = 1e-5

    def __post_init__(self):
        self.ffn = self.ffn or 4 * self.d_model
        assert self.position in ("none", "learned", "rotary", "alibi", "relative"), self.position
        assert self.activation in ACTIVATIONS, self.activation
        assert self.norm in ("layernorm", "rmsnorm"), self.norm
        assert self.d_model % self.heads == 0, "d_model must be divisible by heads"
        assert self.rotary_dims() % 2 == 0, "rotary_fraction * head size must be even"

    @classmethod
    def from_json(cls, text):
        given = json.loads(text or "{}")
        unknown = set(given) - {f.name for f in fields(cls)}
        assert not unknown, f"unknown config keys: {sorted(unknown)}"
        return cls(**given)

    def head_size(self):
        return self.d_model // self.heads

    def rotary_dims(self):
        return int(self.head_size() * self.rotary_fraction)

    def gated(self):
        return self.activation in ("swiglu", "geglu")

    def swiglu_hidden(self):  # the gated MLPs' hidden size (swiglu and geglu)
        m = self.swiglu_multiple_of
        return m * math.floor((2 * self.ffn / 3) / m + 0.5)  # round half up, like Java's Math.round


# ---------------------------------------------------------------- positions

def rotary_cos_sin(cfg):
    """RoPE (Su et al. 2021), GPT-NeoX layout: the two halves of the first rd dims rotate together."""
    rd = cfg.rotary_dims()
    inv_freq = 1.0 / (cfg.rotary_base ** (torch.arange(0, rd, 2).float() / rd))  # (rd/2,)
    angles = torch.outer(torch.arange(cfg.seq).float(), inv_freq)  # (T, rd/2)
    emb = torch.cat((angles, angles), dim=-1)  # (T, rd)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(x, cos, sin):
    rd = cos.size(-1)
    xr, xp = x[..., :rd], x[..., rd:]  # (B, nh, T, rd), (B, nh, T, hs - rd)
    return torch.cat((xr * cos + rotate_half(xr) * sin, xp), dim=-1)


def alibi_slopes(n):
    """ALiBi (Press et al. 2022) head slopes, their reference recipe for any head count."""
    def power_of_2(n):
        start = 2 ** (-8 / n)
        return [start ** (i + 1) for i in range(n)]
    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + alibi_slopes(2 * closest)[0::2][: n - closest]


def relative_bucket(relative, bidirectional, num_buckets, max_distance):
    """T5's buckets of key - query distance: half of a direction's buckets exact, half logarithmic up to
    max_distance; bidirectional attention gives keys after the query their own half."""
    bucket = torch.zeros_like(relative)
    if bidirectional:
        num_buckets //= 2
        bucket = bucket + (relative > 0).long() * num_buckets
        distance = relative.abs()
    else:
        distance = (-relative).clamp(min=0)
    max_exact = num_buckets // 2
    scaled = torch.log(distance.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    large = (max_exact + scaled.long()).clamp(max=num_buckets - 1)
    return bucket + torch.where(distance < max_exact, distance, large)


class RelativeBias(nn.Module):
    """One table (buckets, heads) per stack, shared by its layers."""

    def __init__(self, cfg, bidirectional):
        super().__init__()
        self.table = nn.Parameter(torch.zeros(cfg.relative_buckets, cfg.heads))
        i = torch.arange(cfg.seq)
        buckets = relative_bucket(i[None, :] - i[:, None], bidirectional, cfg.relative_buckets, cfg.relative_max_distance)
        self.register_buffer("buckets", buckets, persistent=False)  # (T, T)

    def forward(self, t):
        return self.table[self.buckets[:t, :t]].permute(2, 0, 1)[None]  # (1, nh, T, T)


def alibi(cfg, t):
    """ALiBi's (nh, T, T) bias -m_h |i - j|: symmetric, as ablate's encoder; a causal mask keeps its j <= i half."""
    i = torch.arange(t)
    distance = (i[None, :] - i[:, None]).abs().float()  # (T, T)
    return -torch.tensor(alibi_slopes(cfg.heads))[:, None, None] * distance  # (nh, T, T)


def rms_norm_class(cfg):
    class RMSNorm(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(d))

        def forward(self, x):
            return x / torch.sqrt(x.square().mean(-1, keepdim=True) + cfg.ln_eps) * self.weight
    return RMSNorm


def norm(cfg):
    if cfg.norm == "rmsnorm":
        return rms_norm_class(cfg)(cfg.d_model)
    return nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)


# ---------------------------------------------------------------- blocks

class Attention(nn.Module):
    """Self-attention (fused qkv, rows [q | k | v]) or cross-attention (q on the decoder, kv rows [k | v] on the encoder)."""

    def __init__(self, cfg, cross):
        super().__init__()
        self.nh, self.hs, self.cross = cfg.heads, cfg.head_size(), cross
        d = cfg.d_model
        if cross:
            self.q = nn.Linear(d, d, bias=cfg.bias)
            self.kv = nn.Linear(d, 2 * d, bias=cfg.bias)
        else:
            self.qkv = nn.Linear(d, 3 * d, bias=cfg.bias)
        self.proj = nn.Linear(d, d, bias=cfg.bias)

    def heads(self, x):  # (B, T, nh*hs) -> (B, nh, T, hs)
        B, T, _ = x.size()
        return x.view(B, T, self.nh, self.hs).transpose(1, 2)

    def forward(self, x, bias, rotate=None, memory=None):
        if self.cross:
            q = self.heads(self.q(x))
            k, v = (self.heads(t) for t in self.kv(memory).chunk(2, dim=-1))
        else:
            q, k, v = (self.heads(t) for t in self.qkv(x).chunk(3, dim=-1))
            if rotate is not None:
                q, k = rotate(q), rotate(k)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.hs)) + bias  # (B, nh, T, S)
        y = F.softmax(att, dim=-1) @ v
        B, _, T, _ = y.size()
        return self.proj(y.transpose(1, 2).reshape(B, T, self.nh * self.hs))


class MLP(nn.Module):
    """proj(act(fc x)) for gelu and relu; the GLU variants (Shazeer 2020) w2(act(w1 x) * w3 x) for swiglu and geglu."""

    def __init__(self, cfg):
        super().__init__()
        self.gated, self.act = cfg.gated(), ACTIVATIONS[cfg.activation]
        d = cfg.d_model
        if self.gated:
            h = cfg.swiglu_hidden()
            self.w1, self.w3, self.w2 = nn.Linear(d, h, bias=cfg.bias), nn.Linear(d, h, bias=cfg.bias), nn.Linear(h, d, bias=cfg.bias)
        else:
            self.fc, self.proj = nn.Linear(d, cfg.ffn, bias=cfg.bias), nn.Linear(cfg.ffn, d, bias=cfg.bias)

    def forward(self, x):
        if self.gated:
            return self.w2(self.act(self.w1(x)) * self.w3(x))
        return self.proj(self.act(self.fc(x)))


class Block(nn.Module):
    """Pre-LN: self-attention, (in the decoder) cross-attention, MLP."""

    def __init__(self, cfg, decoder):
        super().__init__()
        self.ln1, self.attn, self.ln2, self.mlp = norm(cfg), Attention(cfg, False), norm(cfg), MLP(cfg)
        self.decoder = decoder
        if decoder:
            self.ln_cross, self.cross = norm(cfg), Attention(cfg, True)

    def forward(self, x, self_bias, rotate, memory=None, cross_bias=None):
        x = x + self.attn(self.ln1(x), self_bias, rotate)
        if self.decoder:
            x = x + self.cross(self.ln_cross(x), cross_bias, memory=memory)
        return x + self.mlp(self.ln2(x))


class Stack(nn.Module):

    def __init__(self, cfg, decoder):
        super().__init__()
        self.cfg = cfg
        self.wpe = nn.Parameter(torch.zeros(cfg.seq, cfg.d_model)) if cfg.position == "learned" else None
        self.relative_bias = RelativeBias(cfg, not decoder) if cfg.position == "relative" else None
        self.emb_ln = norm(cfg) if cfg.embedding_layernorm else None
        self.h = nn.ModuleList([Block(cfg, decoder) for _ in range(cfg.layers)])
        self.ln_f = norm(cfg)
        if cfg.position == "rotary":
            cos, sin = rotary_cos_sin(cfg)
            self.register_buffer("cos", cos, persistent=False)  # (seq, rd)
            self.register_buffer("sin", sin, persistent=False)
        if cfg.position == "alibi":
            self.register_buffer("alibi", alibi(cfg, cfg.seq), persistent=False)  # (nh, seq, seq)

    def forward(self, x, mask, memory=None, cross_bias=None):
        T = x.size(1)
        if self.wpe is not None:
            x = x + self.wpe[:T]
        if self.emb_ln is not None:
            x = self.emb_ln(x)
        bias = mask  # (B or 1, 1, T, T) of 0 and -inf
        if self.cfg.position == "alibi":
            bias = bias + self.alibi[:, :T, :T]
        if self.relative_bias is not None:
            bias = bias + self.relative_bias(T)
        rotate = None
        if self.cfg.position == "rotary":
            rotate = lambda t: apply_rotary(t, self.cos[:T], self.sin[:T])  # noqa: E731
        for block in self.h:
            x = block(x, bias, rotate, memory, cross_bias)
        return self.ln_f(x)


class EncoderDecoder(nn.Module):
    """A bidirectional encoder and a causal decoder with cross-attention, layers blocks each, sharing one
    token embedding (also the output projection when tied); encoder rows are S long, lengths mask their padding."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Parameter(torch.zeros(cfg.vocab, cfg.d_model))
        self.encoder = Stack(cfg, decoder=False)
        self.decoder = Stack(cfg, decoder=True)
        self.lm_head = None if cfg.tied else nn.Parameter(torch.zeros(cfg.vocab, cfg.d_model))

    def forward(self, enc, lengths, dec, targets=None):
        S, T = enc.size(1), dec.size(1)
        padding = torch.where(torch.arange(S)[None, :] < lengths[:, None], 0.0, float("-inf"))[:, None, None, :]  # (B, 1, 1, S)
        memory = self.encoder(self.wte[enc], padding)
        causal = torch.where(torch.tril(torch.ones(T, T, dtype=torch.bool)), 0.0, float("-inf"))[None, None]
        x = self.decoder(self.wte[dec], causal, memory, padding)
        logits = x @ (self.wte if self.lm_head is None else self.lm_head).T  # (B, T, V)
        loss = None if targets is None else F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss

    def init_weights(self):
        """ablate's initial weights: N(0, 0.02), residual projections N(0, 0.02 / sqrt(2 layers)), biases 0,
        norm gains 1. Not in __init__: the parity fixtures draw their own weights right after construction."""
        residual = 0.02 / math.sqrt(2 * self.cfg.layers)
        for name, p in self.named_parameters():
            if p.dim() == 1 and name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() == 1:
                nn.init.ones_(p)
            else:
                nn.init.normal_(p, mean=0.0, std=residual if name.endswith(("proj.weight", "w2.weight")) else 0.02)


def ablate_name(torch_name):
    """This module's parameter names to EncoderDecoder's (wte, encoder.h.0.attn.qkv.weight, decoder.relative_bias, ...)."""
    name = torch_name.replace("relative_bias.table", "relative_bias").replace("lm_head", "lm_head.weight")
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="{}", help="JSON object of ModelConfig fields to override")
    ap.add_argument("--params", action="store_true", required=True)
    args = ap.parse_args()
    model = EncoderDecoder(ModelConfig.from_json(args.config))
    print(json.dumps({"params": sum(p.numel() for p in model.parameters()),
                      "names": [ablate_name(n) for n, _ in model.named_parameters()]}))


if __name__ == "__main__":
    main()
