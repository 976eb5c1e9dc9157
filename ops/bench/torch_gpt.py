"""
PyTorch eager peer of ablate's models: the same causal and non-causal (prefix-LM) decoder (GPT) and
encoder-decoder, the same training step, for CPU throughput comparison. Read top-down in data-flow
order: config, span lengths, attention, MLP, blocks, model, training, CLI. The encoder-decoder, the
model config and the positions (rotary, ALiBi) are torch_encoder_decoder.py's, which the parity
fixtures also use, so that each model is written once.

  /usr/bin/python3 torch_gpt.py --bench --warmup-steps 3 --steps 5 --config '{"position": "rotary"}'
  /usr/bin/python3 torch_gpt.py --bench --config '{"architecture": "encoder-decoder", "seq": 256}'
  /usr/bin/python3 torch_gpt.py --params --config '{"d_model": 64, "layers": 2}'
"""
import argparse
import json
import math
import statistics
import time
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F

from torch_encoder_decoder import ACTIVATIONS, EncoderDecoder, ModelConfig, alibi, apply_rotary, rotary_cos_sin


@dataclass
class Config(ModelConfig):
    """The model (ModelConfig's keys), its architecture and the training step. GPT takes the decoder's
    subset of the model keys: no relative position, LayerNorm, biases, tied output (their defaults)."""
    # causal-decoder | non-causal-decoder (prefix LM) | encoder-decoder (T5: seq is the encoder's length and
    # position-table rows, the decoder's length comes from span corruption) | auto (follows mask, as ablate's key)
    architecture: str = "auto"
    mask: str = "auto"  # causal | prefix | auto (the architecture's); set with architecture, they must agree
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
        super().__post_init__()
        self.betas = tuple(self.betas)
        assert self.architecture in ("auto",) + tuple(ARCHITECTURE_MASK), self.architecture
        assert self.mask in ("auto", "causal", "prefix"), self.mask
        if self.architecture == "auto":
            self.architecture = "non-causal-decoder" if self.mask == "prefix" else "causal-decoder"
        wanted = ARCHITECTURE_MASK[self.architecture]
        assert self.mask in ("auto", wanted), f"{self.architecture} needs mask {wanted}, got {self.mask}"
        self.mask = wanted
        assert self.seq >= 2, "prefix lengths are drawn from [1, seq - 1]"

    def encoder_decoder(self):
        return self.architecture == "encoder-decoder"

    def lengths(self):
        """(S, T): tokens the encoder and the decoder read per sequence; (0, seq) for a decoder."""
        return span_lengths(self.seq) if self.encoder_decoder() else (0, self.seq)

    def tokens_per_sequence(self):
        """Tokens a sequence counts for tokens/s: S + T for an encoder-decoder, as ablate bench counts them."""
        return sum(self.lengths())


ARCHITECTURE_MASK = {"causal-decoder": "causal", "non-causal-decoder": "prefix", "encoder-decoder": "causal"}


# ---------------------------------------------------------------- span-corruption lengths

def span_lengths(encoder_length, density=0.15, mean_span=3.0):
    """(S, T) of T5's span corruption (Raffel et al. 2020; random_spans_helper) as ablate's
    SpanNoise.forEncoderLength: the encoder input and decoder target of the longest sample whose
    input fits encoder_length (S = 512, T = 114 for 512). Python's round is half-to-even, as Java's rint."""
    def counts(n):  # kept tokens + a sentinel per noise span + EOS; noise tokens + a sentinel per kept span + EOS
        if n == 1:
            return 2, 2
        noise = int(min(max(round(n * density), 1), n - 1))
        spans = min(int(max(round(noise / mean_span), 1)), n - noise)
        return n - noise + spans + 1, noise + spans + 1
    assert encoder_length >= 2, "an encoder input holds at least one token and EOS"
    n = encoder_length - 1
    while counts(n + 1)[0] <= encoder_length:
        n += 1
    return counts(n)


# ---------------------------------------------------------------- blocks

def attend(q, k, v, mask, bias=None):
    """Scaled dot-product attention of q (B, nh, T, hs) over k, v (B, nh, S, hs), heads merged: (B, T, nh hs).
    mask: broadcastable to (B, nh, T, S), True = may attend; bias: ALiBi's (nh, T, S) or None."""
    B, nh, T, hs = q.size()
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B, nh, T, S)
    if bias is not None:
        att = att + bias
    att = att.masked_fill(~mask, float("-inf"))
    att = F.softmax(att, dim=-1)
    y = att @ v  # (B, nh, T, hs)
    return y.transpose(1, 2).contiguous().view(B, T, nh * hs)  # (B, T, C)


class SelfAttention(nn.Module):
    """Fused QKV; causal or prefix-LM as the mask says; rotary or ALiBi here only."""

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
            self.register_buffer("bias", alibi(cfg, cfg.seq), persistent=False)

    def forward(self, x, mask):
        B, T, C = x.size()
        q, k, v = self.qkv(x).view(B, T, 3, self.nh, self.hs).permute(2, 0, 3, 1, 4)  # 3 x (B, nh, T, hs)
        if self.rotary:
            q = apply_rotary(q, self.cos[:T], self.sin[:T])
            k = apply_rotary(k, self.cos[:T], self.sin[:T])
        bias = self.bias[:, :T, :T] if self.alibi else None
        return self.proj(attend(q, k, v, mask, bias))  # mask: (B or 1, 1, T, T)


class MLP(nn.Module):
    """proj(act(fc x)): GELU (exact erf) or ReLU."""

    def __init__(self, cfg):
        super().__init__()
        self.act = ACTIVATIONS[cfg.activation]
        self.fc = nn.Linear(cfg.d_model, cfg.ffn)
        self.proj = nn.Linear(cfg.ffn, cfg.d_model)
        self.proj.residual = True

    def forward(self, x):
        return self.proj(self.act(self.fc(x)))


class GLU(nn.Module):
    """GLU variants (Shazeer 2020): w2(act(w1 x) * w3 x), SwiGLU (silu) or GEGLU (exact GELU)."""

    def __init__(self, cfg):
        super().__init__()
        self.act = ACTIVATIONS[cfg.activation]
        h = cfg.swiglu_hidden()
        self.w1 = nn.Linear(cfg.d_model, h)
        self.w3 = nn.Linear(cfg.d_model, h)
        self.w2 = nn.Linear(h, cfg.d_model)
        self.w2.residual = True

    def forward(self, x):
        return self.w2(self.act(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    """Pre-LN: x + attn(ln1(x)), then + mlp(ln2(x))."""

    def __init__(self, cfg):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.attn = SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.mlp = GLU(cfg) if cfg.gated() else MLP(cfg)

    def forward(self, x, mask):
        x = x + self.attn(self.ln1(x), mask)
        x = x + self.mlp(self.ln2(x))
        return x


def init_weights(module, layers):
    """N(0, 0.02), residual projections N(0, 0.02 / sqrt(2 layers)), biases 0, as ablate."""
    if isinstance(module, nn.Linear):
        std = 0.02 / math.sqrt(2 * layers) if getattr(module, "residual", False) else 0.02
        nn.init.normal_(module.weight, mean=0.0, std=std)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)


class GPT(nn.Module):
    """The causal decoder, or with prefix lengths the non-causal (prefix-LM) one."""

    def __init__(self, cfg):
        super().__init__()
        assert not cfg.encoder_decoder(), "an encoder-decoder config builds EncoderDecoder: use build(cfg)"
        assert cfg.position != "relative" and cfg.norm == "layernorm" and cfg.bias and cfg.tied, \
            "this decoder has no relative position, RMSNorm, bias off or untied output (the encoder-decoder has)"
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab, cfg.d_model)
        self.wpe = nn.Embedding(cfg.seq, cfg.d_model) if cfg.position == "learned" else None
        self.ln_emb = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps) if cfg.embedding_layernorm else None
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.layers)])
        self.ln_f = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.register_buffer("causal", torch.tril(torch.ones(cfg.seq, cfg.seq, dtype=torch.bool)), persistent=False)
        self.apply(lambda m: init_weights(m, cfg.layers))

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


def build(cfg):
    if not cfg.encoder_decoder():
        return GPT(cfg)
    model = EncoderDecoder(cfg)
    model.init_weights()
    return model


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
    """A micro-batch of random tokens, the arguments of the model's forward: (x, y, prefix) for a decoder;
    (encoder input, lengths, decoder input, targets) of span corruption's shapes for an encoder-decoder,
    the decoder input being the targets shifted right behind EOS (id 1 here) as ablate's SpanPairs."""
    if cfg.encoder_decoder():
        S, T = cfg.lengths()
        encoder_input = torch.randint(cfg.vocab, (cfg.micro_batch, S))  # (B, S)
        targets = torch.randint(cfg.vocab, (cfg.micro_batch, T))  # (B, T)
        decoder_input = torch.cat((torch.ones(cfg.micro_batch, 1, dtype=torch.long), targets[:, :-1]), dim=1)  # (B, T)
        return encoder_input, torch.full((cfg.micro_batch,), S), decoder_input, targets
    data = torch.randint(cfg.vocab, (cfg.micro_batch, cfg.seq + 1))  # (B, T+1)
    x, y = data[:, :-1], data[:, 1:]  # (B, T), (B, T)
    prefix = torch.randint(1, cfg.seq, (cfg.micro_batch,)) if cfg.mask == "prefix" else None  # (B,) in [1, T-1]
    return x, y, prefix


def train_step(model, optimizer, cfg, step):
    for group in optimizer.param_groups:
        group["lr"] = lr_at(step, cfg)
    total = 0.0
    for _ in range(cfg.accum):
        _, loss = model(*get_batch(cfg))
        (loss / cfg.accum).backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total / cfg.accum


def bench(cfg):
    model = build(cfg)
    optimizer = make_optimizer(model, cfg)
    losses, step_ms = [], []
    for step in range(cfg.warmup_steps + cfg.steps):
        t0 = time.perf_counter()
        losses.append(train_step(model, optimizer, cfg, step))
        if step >= cfg.warmup_steps:
            step_ms.append((time.perf_counter() - t0) * 1000)
    tokens = cfg.micro_batch * cfg.tokens_per_sequence() * cfg.accum
    encoder_tokens, decoder_tokens = cfg.lengths()
    return {
        "impl": "pytorch-eager",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "tokens_per_s": statistics.median(tokens / (ms / 1000) for ms in step_ms),
        "step_ms_median": statistics.median(step_ms),
        "step_ms": [round(ms, 3) for ms in step_ms],
        "params": count_params(model),
        "tokens_per_sequence": cfg.tokens_per_sequence(),
        "encoder_tokens": encoder_tokens,
        "decoder_tokens": decoder_tokens,
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
        encoder_tokens, decoder_tokens = cfg.lengths()
        print(json.dumps({"params": count_params(build(cfg)), "encoder_tokens": encoder_tokens, "decoder_tokens": decoder_tokens}))
    else:
        print(json.dumps(bench(cfg)))


if __name__ == "__main__":
    main()
