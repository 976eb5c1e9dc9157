"""
PyTorch eager peer of ablate's GPT: same model, same training step, for CPU throughput comparison.
One file, read top-down in data-flow order: config, positions, attention, MLP, block, model, training, CLI.

  /usr/bin/python3 torch_gpt.py --bench --warmup-steps 3 --steps 5 --config '{"position": "rotary"}'
  /usr/bin/python3 torch_gpt.py --params --config '{"d_model": 64, "layers": 2}'
"""
import argparse
import json
import math
import statistics
import time
from dataclasses import dataclass, fields

import torch
import torch.nn as nn
from torch.nn import functional as F


@dataclass
class Config:
    vocab: int = 320
    d_model: int = 128
    layers: int = 2
    heads: int = 4
    seq: int = 128
    ffn: int = 0  # 0 means 4 * d_model
    position: str = "learned"  # none | learned | rotary | alibi
    activation: str = "gelu"  # gelu | swiglu
    embedding_layernorm: bool = False  # BLOOM: LayerNorm right after the token embedding
    mask: str = "causal"  # causal | prefix
    rotary_fraction: float = 1.0
    rotary_base: float = 10000.0
    swiglu_multiple_of: int = 8
    ln_eps: float = 1e-5
    micro_batch: int = 8
    accum: int = 1
    lr: float = 6e-4
    weight_decay: float = 0.1
    betas: tuple = (0.9, 0.95)
    eps: float = 1e-8
    clip: float = 1.0
    threads: int = 2
    warmup_steps: int = 3  # untimed steps in --bench, and the linear lr warmup
    steps: int = 5  # timed steps in --bench; the cosine runs over warmup_steps + steps
    seed: int = 1337

    def __post_init__(self):
        self.ffn = self.ffn or 4 * self.d_model
        self.betas = tuple(self.betas)
        assert self.position in ("none", "learned", "rotary", "alibi"), self.position
        assert self.activation in ("gelu", "swiglu"), self.activation
        assert self.mask in ("causal", "prefix"), self.mask
        assert self.d_model % self.heads == 0, "d_model must be divisible by heads"
        assert self.rotary_dims() % 2 == 0, "rotary_fraction * head size must be even"
        assert self.seq >= 2, "prefix lengths are drawn from [1, seq - 1]"

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

    def swiglu_hidden(self):
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


def alibi_bias(cfg):
    i = torch.arange(cfg.seq)
    distance = (i[None, :] - i[:, None]).abs().float()  # (T, T)
    slopes = torch.tensor(alibi_slopes(cfg.heads))  # (nh,)
    return -slopes[:, None, None] * distance  # (nh, T, T)


# ---------------------------------------------------------------- blocks

class CausalSelfAttention(nn.Module):

    def __init__(self, cfg):
        super().__init__()
        self.nh, self.hs = cfg.heads, cfg.head_size()
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.proj.residual = True
        self.rotary = cfg.position == "rotary"
        self.alibi = cfg.position == "alibi"
        if self.rotary:
            cos, sin = rotary_cos_sin(cfg)
            self.register_buffer("cos", cos, persistent=False)
            self.register_buffer("sin", sin, persistent=False)
        if self.alibi:
            self.register_buffer("bias", alibi_bias(cfg), persistent=False)

    def forward(self, x, mask):
        B, T, C = x.size()
        q, k, v = self.qkv(x).view(B, T, 3, self.nh, self.hs).permute(2, 0, 3, 1, 4)  # 3 x (B, nh, T, hs)
        if self.rotary:
            q = apply_rotary(q, self.cos[:T], self.sin[:T])
            k = apply_rotary(k, self.cos[:T], self.sin[:T])
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.hs))  # (B, nh, T, T)
        if self.alibi:
            att = att + self.bias[:, :T, :T]
        att = att.masked_fill(~mask, float("-inf"))  # mask: (B or 1, 1, T, T), True = may attend
        att = F.softmax(att, dim=-1)
        y = att @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C)
        return self.proj(y)


class MLP(nn.Module):

    def __init__(self, cfg):
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, cfg.ffn)
        self.proj = nn.Linear(cfg.ffn, cfg.d_model)
        self.proj.residual = True

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))  # exact erf GELU


class SwiGLU(nn.Module):
    """GLU variants (Shazeer 2020): w2(silu(w1 x) * w3 x)."""

    def __init__(self, cfg):
        super().__init__()
        h = cfg.swiglu_hidden()
        self.w1 = nn.Linear(cfg.d_model, h)
        self.w3 = nn.Linear(cfg.d_model, h)
        self.w2 = nn.Linear(h, cfg.d_model)
        self.w2.residual = True

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):

    def __init__(self, cfg):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.mlp = SwiGLU(cfg) if cfg.activation == "swiglu" else MLP(cfg)

    def forward(self, x, mask):
        x = x + self.attn(self.ln1(x), mask)
        x = x + self.mlp(self.ln2(x))
        return x


class GPT(nn.Module):

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab, cfg.d_model)
        self.wpe = nn.Embedding(cfg.seq, cfg.d_model) if cfg.position == "learned" else None
        self.ln_emb = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps) if cfg.embedding_layernorm else None
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.layers)])
        self.ln_f = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.register_buffer("causal", torch.tril(torch.ones(cfg.seq, cfg.seq, dtype=torch.bool)), persistent=False)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            std = 0.02 / math.sqrt(2 * self.cfg.layers) if getattr(module, "residual", False) else 0.02
            nn.init.normal_(module.weight, mean=0.0, std=std)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def attention_mask(self, T, prefix):
        causal = self.causal[:T, :T]  # (T, T)
        if prefix is None:
            return causal[None, None]  # (1, 1, T, T)
        i = torch.arange(T)
        inside = i[None, :] < prefix[:, None]  # (B, T)
        bidirectional = inside[:, :, None] & inside[:, None, :]  # (B, T, T)
        return (causal[None] | bidirectional)[:, None]  # (B, 1, T, T)

    def forward(self, idx, targets=None, prefix=None):
        B, T = idx.size()
        x = self.wte(idx)  # (B, T, d)
        if self.wpe is not None:
            x = x + self.wpe(torch.arange(T))  # (T, d) broadcast over B
        if self.ln_emb is not None:
            x = self.ln_emb(x)
        mask = self.attention_mask(T, prefix)
        for block in self.blocks:
            x = block(x, mask)
        x = self.ln_f(x)
        logits = F.linear(x, self.wte.weight)  # (B, T, V), tied, no bias
        if targets is None:
            return logits, None
        if prefix is not None:  # position t predicts token t + 1: positions t >= p - 1 predict the non-prefix part
            targets = targets.masked_fill(torch.arange(T)[None, :] < prefix[:, None] - 1, -1)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)
        return logits, loss


# ---------------------------------------------------------------- training

def make_optimizer(model, cfg):
    """AdamW; decay on every matrix (wte, wpe included), none on biases and norm parameters, as nanoGPT."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps)


def lr_at(step, cfg):
    """Linear warmup, then cosine down to 10% of lr at the last step."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    total = cfg.warmup_steps + cfg.steps
    ratio = min(1.0, (step - cfg.warmup_steps) / max(1, total - 1 - cfg.warmup_steps))
    lr_min = 0.1 * cfg.lr
    return lr_min + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (cfg.lr - lr_min)


def get_batch(cfg):
    data = torch.randint(cfg.vocab, (cfg.micro_batch, cfg.seq + 1))  # (B, T+1)
    x, y = data[:, :-1], data[:, 1:]  # (B, T), (B, T)
    prefix = torch.randint(1, cfg.seq, (cfg.micro_batch,)) if cfg.mask == "prefix" else None  # (B,) in [1, T-1]
    return x, y, prefix


def train_step(model, optimizer, cfg, step):
    for group in optimizer.param_groups:
        group["lr"] = lr_at(step, cfg)
    total = 0.0
    for _ in range(cfg.accum):
        x, y, prefix = get_batch(cfg)
        _, loss = model(x, y, prefix)
        (loss / cfg.accum).backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total / cfg.accum


def bench(cfg):
    model = GPT(cfg)
    optimizer = make_optimizer(model, cfg)
    losses, step_ms = [], []
    for step in range(cfg.warmup_steps + cfg.steps):
        t0 = time.perf_counter()
        losses.append(train_step(model, optimizer, cfg, step))
        if step >= cfg.warmup_steps:
            step_ms.append((time.perf_counter() - t0) * 1000)
    tokens = cfg.micro_batch * cfg.seq * cfg.accum
    return {
        "impl": "pytorch-eager",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "tokens_per_s": statistics.median(tokens / (ms / 1000) for ms in step_ms),
        "step_ms_median": statistics.median(step_ms),
        "step_ms": [round(ms, 3) for ms in step_ms],
        "params": count_params(model),
        "loss_first": losses[0],
        "loss_last": losses[-1],
    }


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="{}", help="JSON object of Config fields to override")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--bench", action="store_true")
    mode.add_argument("--params", action="store_true")
    ap.add_argument("--warmup-steps", type=int, help="overrides the config's warmup_steps")
    ap.add_argument("--steps", type=int, help="overrides the config's steps")
    args = ap.parse_args()
    given = json.loads(args.config)
    if args.warmup_steps is not None:
        given["warmup_steps"] = args.warmup_steps
    if args.steps is not None:
        given["steps"] = args.steps
    cfg = Config.from_json(json.dumps(given))
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    if args.params:
        print(json.dumps({"params": count_params(GPT(cfg))}))
    else:
        print(json.dumps(bench(cfg)))


if __name__ == "__main__":
    main()
