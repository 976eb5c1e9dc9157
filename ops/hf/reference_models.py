"""Hugging Face import fixtures WITHOUT transformers: an independent re-implementation.

transformers is not installed where these fixtures were made, so this script re-implements the
forward passes of transformers' GPT2LMHeadModel, BloomForCausalLM, GPTNeoXForCausalLM,
LlamaForCausalLM and T5ForConditionalGeneration in plain torch (read from
src/transformers/models/{gpt2,bloom,gpt_neox,llama,t5}/modeling_*.py, not copied), with HF weight
names and layouts, and writes for each architecture into trainer/src/test/resources/hf/<name>/:

    config.json                      the keys transformers' config class reads
    model.safetensors                HF names and layouts (llama: two shards + index; gpt_neox-bf16: BF16)
    tokenizer.json                   a tiny word-level tokenizer (the data tests' one)
    reference.safetensors            tokens (2, T) as fp32 (as ops/parity does) and these models' fp32 logits (2, T, V);
                                     for t5*: encoder_tokens (2, S), encoder_lengths (2) (the rest of a row is
                                     padding), decoder_tokens (2, T) and logits (2, T, V); for t5-start0: the
                                     harness's seq2seq loglikelihoods of its documents (see T5_START0)

The decoder fixtures: gpt2, bloom, gpt_neox (and gpt_neox-bf16), llama (SwiGLU, grouped-query) and
llama-geglu (llama with hidden_act gelu_pytorch_tanh: a tanh GEGLU MLP, as Gemma's).
The T5 fixtures: t5 (gated-silu, untied), t5-tied (gelu, tied), t5-v1_0 (relu, tied: t5-small's
choices) and t5-v1_1 (gated-gelu, untied: T5 v1.1's and Flan-T5's).

These logits are a second implementation's, NOT transformers' own: they check that ablate's
import reproduces the architectures as this script understands them. ops/hf/make_fixtures.py
writes the same layout from transformers itself where it is installed; run it to replace them.

Run: /usr/bin/python3 ops/hf/reference_models.py [NAME ...] [--out DIR]   (Debian's python3-torch, torch 1.13;
all fixtures by default, t5-start0 included; --out elsewhere to compare with the committed ones)
"""
import argparse
import json
import math
import os
import shutil
import struct
import sys

import torch

# T5's relative-position buckets: one implementation, the parity peer's (ops/bench), for both fixture sets
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
from torch_encoder_decoder import relative_bucket  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "trainer", "src", "test", "resources")
OUT = os.path.join(ROOT, "hf")
TOKENIZER = os.path.join(ROOT, "data", "tokenizer", "tokenizer.json")
VOCAB, D, HEADS, LAYERS, T = 96, 32, 4, 2, 10

DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.int64: "I64"}


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


class Weights:
    """Random weights by HF name: matrices N(0, 0.2), norm gains 1 + N(0, 0.1), biases N(0, 0.1)."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)
        self.w = {}

    def matrix(self, name, *shape, std=0.2):
        self.w[name] = torch.randn(*shape, generator=self.g) * std
        return self.w[name]

    def gain(self, name, n):
        self.w[name] = 1 + torch.randn(n, generator=self.g) * 0.1
        return self.w[name]

    def bias(self, name, n):
        self.w[name] = torch.randn(n, generator=self.g) * 0.1
        return self.w[name]


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def rms_norm(x, w, eps):  # LlamaRMSNorm: x * rsqrt(mean(x^2) + eps), then the gain
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def causal_softmax(scores):  # masked scores take finfo(fp32).min, as transformers does
    t = scores.shape[-1]
    keep = torch.tril(torch.ones(t, t, dtype=torch.bool))
    return torch.softmax(torch.where(keep, scores, torch.tensor(torch.finfo(torch.float32).min)), dim=-1)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotary(x, dims, base):  # GPT-NeoX / LLaMA rotary on the first `dims` of each head, positions 0..T-1
    inv_freq = 1.0 / (base ** (torch.arange(0, dims, 2).float() / dims))
    freqs = torch.outer(torch.arange(x.shape[-2]).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    rot, rest = x[..., :dims], x[..., dims:]
    return torch.cat((rot * emb.cos() + rotate_half(rot) * emb.sin(), rest), dim=-1)


def heads(x, n):  # (B, T, n*hs) -> (B, n, T, hs)
    b, t, _ = x.shape
    return x.view(b, t, n, -1).transpose(1, 2)


def merge(x):  # (B, H, T, hs) -> (B, T, H*hs)
    b, h, t, hs = x.shape
    return x.transpose(1, 2).reshape(b, t, h * hs)


def gelu_tanh(x):  # gelu_new (GPT-2) and BloomGelu: the tanh approximation
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2(ids):
    cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": VOCAB, "n_positions": 16,
           "n_embd": D, "n_layer": LAYERS, "n_head": HEADS, "n_inner": None, "activation_function": "gelu_new",
           "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0, "layer_norm_epsilon": 1e-5,
           "initializer_range": 0.02, "scale_attn_weights": True, "use_cache": True,
           "scale_attn_by_inverse_layer_idx": False, "reorder_and_upcast_attn": False,
           "bos_token_id": 1, "eos_token_id": 1, "torch_dtype": "float32"}
    W = Weights(1)
    wte = W.matrix("transformer.wte.weight", VOCAB, D)
    x = wte[ids] + W.matrix("transformer.wpe.weight", 16, D)[: ids.shape[1]]
    for i in range(LAYERS):
        p = f"transformer.h.{i}."
        a = layer_norm(x, W.gain(p + "ln_1.weight", D), W.bias(p + "ln_1.bias", D), 1e-5)
        qkv = a @ W.matrix(p + "attn.c_attn.weight", D, 3 * D) + W.bias(p + "attn.c_attn.bias", 3 * D)  # Conv1D: (in, out)
        q, k, v = (heads(t, HEADS) for t in qkv.split(D, dim=2))
        probs = causal_softmax(q @ k.transpose(-1, -2) / (v.shape[-1] ** 0.5))
        x = x + merge(probs @ v) @ W.matrix(p + "attn.c_proj.weight", D, D) + W.bias(p + "attn.c_proj.bias", D)
        m = layer_norm(x, W.gain(p + "ln_2.weight", D), W.bias(p + "ln_2.bias", D), 1e-5)
        m = gelu_tanh(m @ W.matrix(p + "mlp.c_fc.weight", D, 4 * D) + W.bias(p + "mlp.c_fc.bias", 4 * D))
        x = x + m @ W.matrix(p + "mlp.c_proj.weight", 4 * D, D) + W.bias(p + "mlp.c_proj.bias", D)
    x = layer_norm(x, W.gain("transformer.ln_f.weight", D), W.bias("transformer.ln_f.bias", D), 1e-5)
    return cfg, W.w, x @ wte.T  # lm_head tied: save_pretrained leaves it out


def alibi_slopes(n):  # BLOOM's build_alibi_tensor slopes, closest power of two then every other extra one
    closest = 2 ** math.floor(math.log2(n))
    base = 2 ** (-(2 ** -(math.log2(closest) - 3)))
    slopes = [base ** (i + 1) for i in range(closest)]
    if closest != n:
        extra = 2 ** (-(2 ** -(math.log2(2 * closest) - 3)))
        slopes += [extra ** (i + 1) for i in range(0, 2 * (n - closest), 2)]
    return torch.tensor(slopes)


def bloom(ids):
    cfg = {"architectures": ["BloomForCausalLM"], "model_type": "bloom", "vocab_size": VOCAB, "hidden_size": D,
           "n_layer": LAYERS, "n_head": HEADS, "layer_norm_epsilon": 1e-5, "initializer_range": 0.02,
           "use_cache": True, "bos_token_id": 1, "eos_token_id": 1, "apply_residual_connection_post_layernorm": False,
           "hidden_dropout": 0.0, "attention_dropout": 0.0, "pretraining_tp": 1, "slow_but_exact": False,
           "torch_dtype": "float32"}
    W = Weights(2)
    hs = D // HEADS
    emb = W.matrix("transformer.word_embeddings.weight", VOCAB, D)
    x = layer_norm(emb[ids], W.gain("transformer.word_embeddings_layernorm.weight", D),
                   W.bias("transformer.word_embeddings_layernorm.bias", D), 1e-5)
    b, t = ids.shape
    alibi = alibi_slopes(HEADS).view(1, HEADS, 1, 1) * torch.arange(t).float().view(1, 1, 1, t)  # slope * key position
    for i in range(LAYERS):
        p = f"transformer.h.{i}."
        a = layer_norm(x, W.gain(p + "input_layernorm.weight", D), W.bias(p + "input_layernorm.bias", D), 1e-5)
        fused = a @ W.matrix(p + "self_attention.query_key_value.weight", 3 * D, D).T + W.bias(p + "self_attention.query_key_value.bias", 3 * D)
        fused = fused.view(b, t, HEADS, 3, hs)  # per head: q, k, v
        q, k, v = (fused[..., j, :].transpose(1, 2) for j in range(3))
        probs = causal_softmax(alibi + (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hs)))
        x = x + merge(probs @ v) @ W.matrix(p + "self_attention.dense.weight", D, D).T + W.bias(p + "self_attention.dense.bias", D)
        m = layer_norm(x, W.gain(p + "post_attention_layernorm.weight", D), W.bias(p + "post_attention_layernorm.bias", D), 1e-5)
        m = gelu_tanh(m @ W.matrix(p + "mlp.dense_h_to_4h.weight", 4 * D, D).T + W.bias(p + "mlp.dense_h_to_4h.bias", 4 * D))
        x = x + m @ W.matrix(p + "mlp.dense_4h_to_h.weight", D, 4 * D).T + W.bias(p + "mlp.dense_4h_to_h.bias", D)
    x = layer_norm(x, W.gain("transformer.ln_f.weight", D), W.bias("transformer.ln_f.bias", D), 1e-5)
    return cfg, W.w, x @ emb.T


def gpt_neox(ids, weights=None):
    ff = 80
    cfg = {"architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox", "vocab_size": VOCAB, "hidden_size": D,
           "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": ff, "hidden_act": "gelu",
           "rotary_pct": 0.5, "rotary_emb_base": 10000, "attention_dropout": 0.0, "hidden_dropout": 0.0,
           "classifier_dropout": 0.1, "max_position_embeddings": 16, "initializer_range": 0.02, "layer_norm_eps": 1e-5,
           "use_cache": True, "bos_token_id": 1, "eos_token_id": 1, "tie_word_embeddings": False,
           "use_parallel_residual": True, "rope_scaling": None, "attention_bias": True, "torch_dtype": "float32"}
    W = Weights(3)
    hs = D // HEADS
    rot = int(hs * cfg["rotary_pct"])

    def w(kind, name, *shape):  # fresh random weights, or the given (bf16-rounded) ones
        made = getattr(W, kind)(name, *shape)
        return made if weights is None else weights[name]

    emb = w("matrix", "gpt_neox.embed_in.weight", VOCAB, D)
    x = emb[ids]
    b, t = ids.shape
    for i in range(LAYERS):
        p = f"gpt_neox.layers.{i}."
        a = layer_norm(x, w("gain", p + "input_layernorm.weight", D), w("bias", p + "input_layernorm.bias", D), 1e-5)
        qkv = a @ w("matrix", p + "attention.query_key_value.weight", 3 * D, D).T + w("bias", p + "attention.query_key_value.bias", 3 * D)
        qkv = qkv.view(b, t, HEADS, 3 * hs)
        q, k, v = (qkv[..., j * hs:(j + 1) * hs].permute(0, 2, 1, 3) for j in range(3))
        q, k = rotary(q, rot, 10000), rotary(k, rot, 10000)
        probs = causal_softmax((q @ k.transpose(-1, -2)) * hs ** -0.5)
        attn = merge(probs @ v) @ w("matrix", p + "attention.dense.weight", D, D).T + w("bias", p + "attention.dense.bias", D)
        m = layer_norm(x, w("gain", p + "post_attention_layernorm.weight", D), w("bias", p + "post_attention_layernorm.bias", D), 1e-5)
        m = torch.nn.functional.gelu(m @ w("matrix", p + "mlp.dense_h_to_4h.weight", ff, D).T + w("bias", p + "mlp.dense_h_to_4h.bias", ff))
        m = m @ w("matrix", p + "mlp.dense_4h_to_h.weight", D, ff).T + w("bias", p + "mlp.dense_4h_to_h.bias", D)
        x = m + attn + x  # use_parallel_residual
    x = layer_norm(x, w("gain", "gpt_neox.final_layer_norm.weight", D), w("bias", "gpt_neox.final_layer_norm.bias", D), 1e-5)
    return cfg, (W.w if weights is None else weights), x @ w("matrix", "embed_out.weight", VOCAB, D).T


LLAMA_GATES = {"silu": torch.nn.functional.silu, "gelu": torch.nn.functional.gelu, "gelu_pytorch_tanh": gelu_tanh}


def llama(ids, hidden_act="silu", seed=4):  # hidden_act: silu (SwiGLU) or a GELU (GEGLU, as Gemma's MLP)
    kv, ff, eps = 2, 48, 1e-6
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": VOCAB, "hidden_size": D,
           "intermediate_size": ff, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
           "num_key_value_heads": kv, "hidden_act": hidden_act, "max_position_embeddings": 16,
           "initializer_range": 0.02, "rms_norm_eps": eps, "use_cache": True, "bos_token_id": 1, "eos_token_id": 1,
           "pretraining_tp": 1, "tie_word_embeddings": False, "rope_theta": 10000.0, "rope_scaling": None,
           "attention_bias": False, "attention_dropout": 0.0, "mlp_bias": False, "torch_dtype": "float32"}
    W = Weights(seed)
    hs = D // HEADS
    emb = W.matrix("model.embed_tokens.weight", VOCAB, D)
    x = emb[ids]
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        a = rms_norm(x, W.gain(p + "input_layernorm.weight", D), eps)
        q = heads(a @ W.matrix(p + "self_attn.q_proj.weight", HEADS * hs, D).T, HEADS)
        k = heads(a @ W.matrix(p + "self_attn.k_proj.weight", kv * hs, D).T, kv)
        v = heads(a @ W.matrix(p + "self_attn.v_proj.weight", kv * hs, D).T, kv)
        q, k = rotary(q, hs, 10000.0), rotary(k, hs, 10000.0)
        k, v = (t.repeat_interleave(HEADS // kv, dim=1) for t in (k, v))  # repeat_kv
        probs = causal_softmax((q @ k.transpose(-1, -2)) * hs ** -0.5)
        x = x + merge(probs @ v) @ W.matrix(p + "self_attn.o_proj.weight", D, HEADS * hs).T
        m = rms_norm(x, W.gain(p + "post_attention_layernorm.weight", D), eps)
        gate = m @ W.matrix(p + "mlp.gate_proj.weight", ff, D).T
        up = m @ W.matrix(p + "mlp.up_proj.weight", ff, D).T
        x = x + (LLAMA_GATES[hidden_act](gate) * up) @ W.matrix(p + "mlp.down_proj.weight", D, ff).T
    x = rms_norm(x, W.gain("model.norm.weight", D), eps)
    return cfg, W.w, x @ W.matrix("lm_head.weight", VOCAB, D).T


# ---------------------------------------------------------------- T5 (encoder-decoder)

T5_S, T5_T = 40, 24  # encoder and decoder tokens: past the exact buckets, and for t5 past max_distance


def t5_position_bias(table, q_len, k_len, bidirectional, cfg):  # T5Attention.compute_bias: (1, H, q, k)
    relative = torch.arange(k_len)[None, :] - torch.arange(q_len)[:, None]
    buckets = relative_bucket(relative, bidirectional, cfg["relative_attention_num_buckets"], cfg["relative_attention_max_distance"])
    return table[buckets].permute(2, 0, 1)[None]


def t5(config_overrides, seed, enc_ids, enc_lengths, dec_ids):
    d, n_heads, ff = (config_overrides.pop(k) for k in ("d_model", "num_heads", "d_ff"))
    cfg = {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "vocab_size": VOCAB, "d_model": d,
           "d_kv": d // n_heads, "d_ff": ff, "num_layers": LAYERS, "num_decoder_layers": LAYERS, "num_heads": n_heads,
           "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128, "dropout_rate": 0.0,
           "layer_norm_epsilon": 1e-6, "initializer_factor": 1.0, "feed_forward_proj": "relu", "is_encoder_decoder": True,
           "use_cache": True, "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0,
           "tie_word_embeddings": True, "n_positions": 64, "torch_dtype": "float32"}
    cfg.update(config_overrides)
    eps, hs = cfg["layer_norm_epsilon"], cfg["d_kv"]
    proj = cfg["feed_forward_proj"]
    gated = proj.startswith("gated-")
    name = "gelu_new" if proj == "gated-gelu" else proj.split("-")[-1]  # T5Config reads gated-gelu as gated-gelu_new
    act = {"gelu": torch.nn.functional.gelu, "gelu_new": gelu_tanh, "silu": torch.nn.functional.silu,
           "relu": torch.relu}[name]
    W = Weights(seed)
    std = 0.1  # T5 does not scale its scores by hs^-1/2: smaller weights keep the softmax away from one-hot
    shared = W.matrix("shared.weight", VOCAB, d, std=0.5)

    def attention(p, x, kv, bias):  # T5Attention: q, k, v, o without biases; scores unscaled, plus the position bias
        q = heads(x @ W.matrix(p + "q.weight", n_heads * hs, d, std=std).T, n_heads)
        k = heads(kv @ W.matrix(p + "k.weight", n_heads * hs, d, std=std).T, n_heads)
        v = heads(kv @ W.matrix(p + "v.weight", n_heads * hs, d, std=std).T, n_heads)
        probs = torch.softmax(q @ k.transpose(-1, -2) + bias, dim=-1)
        return merge(probs @ v) @ W.matrix(p + "o.weight", d, n_heads * hs, std=std).T

    def feed_forward(p, x):  # T5DenseActDense or T5DenseGatedActDense
        if gated:
            h = act(x @ W.matrix(p + "wi_0.weight", ff, d, std=std).T) * (x @ W.matrix(p + "wi_1.weight", ff, d, std=std).T)
        else:
            h = act(x @ W.matrix(p + "wi.weight", ff, d, std=std).T)
        return h @ W.matrix(p + "wo.weight", d, ff, std=std).T

    neg = torch.finfo(torch.float32).min
    b, s = enc_ids.shape
    t = dec_ids.shape[1]
    padding = torch.where(torch.arange(s)[None, :] < enc_lengths[:, None], 0.0, neg)[:, None, None, :]  # (B, 1, 1, S)
    x = shared[enc_ids]  # the encoder: bidirectional buckets, padding masked
    bias = t5_position_bias(W.matrix("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                                     cfg["relative_attention_num_buckets"], n_heads, std=0.5), s, s, True, cfg) + padding
    for i in range(LAYERS):
        p = f"encoder.block.{i}.layer."
        x = x + attention(p + "0.SelfAttention.", *(2 * [rms_norm(x, W.gain(p + "0.layer_norm.weight", d), eps)]), bias)
        x = x + feed_forward(p + "1.DenseReluDense.", rms_norm(x, W.gain(p + "1.layer_norm.weight", d), eps))
    memory = rms_norm(x, W.gain("encoder.final_layer_norm.weight", d), eps)
    y = shared[dec_ids]  # the decoder: causal buckets and mask; cross-attention has the padding mask alone
    causal = torch.where(torch.tril(torch.ones(t, t, dtype=torch.bool)), 0.0, neg)
    bias = t5_position_bias(W.matrix("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                                     cfg["relative_attention_num_buckets"], n_heads, std=0.5), t, t, False, cfg) + causal
    for i in range(LAYERS):
        p = f"decoder.block.{i}.layer."
        y = y + attention(p + "0.SelfAttention.", *(2 * [rms_norm(y, W.gain(p + "0.layer_norm.weight", d), eps)]), bias)
        y = y + attention(p + "1.EncDecAttention.", rms_norm(y, W.gain(p + "1.layer_norm.weight", d), eps), memory, padding)
        y = y + feed_forward(p + "2.DenseReluDense.", rms_norm(y, W.gain(p + "2.layer_norm.weight", d), eps))
    y = rms_norm(y, W.gain("decoder.final_layer_norm.weight", d), eps)
    if cfg["tie_word_embeddings"]:  # T5ForConditionalGeneration rescales before the tied head
        return cfg, W.w, (y * d ** -0.5) @ shared.T
    return cfg, W.w, y @ W.matrix("lm_head.weight", VOCAB, d, std=0.5).T


# name: (config.json overrides, seed). Head sizes and d are powers of 4, so that ablate's import folds T5's unscaled
# scores (q times hs^1/2) and its tied head's d^-1/2 into the weights exactly and export gives the same tensors back.
T5_FIXTURES = {
    "t5": (dict(d_model=32, num_heads=2, d_ff=48, feed_forward_proj="gated-silu", tie_word_embeddings=False,
                relative_attention_num_buckets=16, relative_attention_max_distance=24), 5),
    "t5-tied": (dict(d_model=16, num_heads=4, d_ff=64, feed_forward_proj="gelu"), 6),
    # T5 v1.0 (t5-small's choices): relu, the head tied and fed d^-1/2 times the decoder output
    "t5-v1_0": (dict(d_model=16, num_heads=4, d_ff=32, feed_forward_proj="relu"), 7),
    # T5 v1.1 and Flan-T5: gated-gelu (gelu_new), an untied head; newer transformers also save dense_act_fn and is_gated_act
    "t5-v1_1": (dict(d_model=32, num_heads=2, d_ff=40, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
                     dense_act_fn="gelu_new", is_gated_act=True), 8),
}


def t5_inputs():
    g = torch.Generator().manual_seed(8)
    enc = torch.randint(2, 34, (2, T5_S), generator=g)  # within the tokenizer's ids
    lengths = torch.tensor([T5_S, 29])
    enc[1, 29:] = 0  # padding
    dec = torch.randint(2, 34, (2, T5_T), generator=g)
    dec[:, 0] = 0  # T5's decoder_start_token_id
    return enc, lengths, dec


# t5-start0: a T5 whose decoder starts with decoder_start_token_id = 0 (T5's pad id, as T5's own checkpoints do), and
# the loglikelihoods lm-evaluation-harness's seq2seq scoring gives its multiple-choice documents: the context, then
# EOS (1), in the encoder; the decoder reads [start] + continuation[:-1] and scores the continuation's tokens. The
# same sums behind EOS as the start (what the model would get if the start token were ignored) are stored beside them.
T5_START0 = (dict(d_model=16, num_heads=4, d_ff=32, feed_forward_proj="gelu_new", tie_word_embeddings=False), 7)
T5_START0_DOCUMENTS = [  # query, choices (each scored as " " + choice), in the data tests' word-level vocabulary
    ("the quick brown fox", ["jumps over the lazy dog", "sat on the mat"]),
    ("hello", ["world !", "the big red house"]),
    ("a small cat was under the blue tree with a dog , and the", ["dog ran to the house .", "cat"]),
]
EOS = 1


def word_ids(text):  # the data tests' tokenizer on these texts: lower-cased words of its vocabulary, split on spaces
    with open(TOKENIZER) as f:
        vocab = json.load(f)["model"]["vocab"]
    return [vocab[w] for w in text.lower().split()]


def t5_loglikelihood(overrides, seed, context, continuation, start):
    """Sum of log-softmax at the continuation's tokens, and whether each is the argmax: (context + EOS) in the
    encoder, [start] + continuation[:-1] in the decoder."""
    enc = torch.tensor([context + [EOS]])
    dec = torch.tensor([[start] + continuation[:-1]])
    _, _, logits = t5(dict(overrides), seed, enc, torch.tensor([enc.shape[1]]), dec)
    logp = torch.log_softmax(logits[0].double(), dim=-1)  # (T, V)
    targets = torch.tensor(continuation)
    return logp[torch.arange(len(continuation)), targets].sum().item(), bool((logp.argmax(-1) == targets).all())


def t5_start0():
    overrides, seed = T5_START0
    cfg, weights, _ = t5(dict(overrides), seed, torch.tensor([[2, EOS]]), torch.tensor([2]), torch.tensor([[0]]))
    start = cfg["decoder_start_token_id"]
    assert start == 0 and start != cfg["eos_token_id"]
    documents, scored, greedy, behind_eos = [], [], [], []
    for query, choices in T5_START0_DOCUMENTS:
        documents.append({"query": query, "choices": choices, "gold": 0})
        for choice in choices:
            ll, is_greedy = t5_loglikelihood(overrides, seed, word_ids(query), word_ids(choice), start)
            scored.append(ll)
            greedy.append(float(is_greedy))
            behind_eos.append(t5_loglikelihood(overrides, seed, word_ids(query), word_ids(choice), EOS)[0])
    reference = {"loglikelihoods": torch.tensor(scored, dtype=torch.float32), "greedy": torch.tensor(greedy),
                 "loglikelihoods_behind_eos": torch.tensor(behind_eos, dtype=torch.float32)}
    return cfg, weights, reference, {"documents": json.dumps(documents)}


def save(name, cfg, weights, ids, logits, shards=1, reference=None, metadata=None, out=OUT):
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    shutil.copy(TOKENIZER, os.path.join(d, "tokenizer.json"))
    meta = {"format": "pt"}
    names = sorted(weights)
    if shards == 1:
        write_safetensors(os.path.join(d, "model.safetensors"), weights, meta)
    else:
        weight_map, per = {}, math.ceil(len(names) / shards)
        for s in range(shards):
            file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            part = {n: weights[n] for n in names[s * per:(s + 1) * per]}
            write_safetensors(os.path.join(d, file), part, meta)
            weight_map.update({n: file for n in part})
        size = sum(t.numel() * t.element_size() for t in weights.values())
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": size}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
    tensors = reference if reference is not None else {"tokens": ids.float()}
    if logits is not None:
        tensors = dict(tensors, logits=logits.contiguous())
    write_safetensors(os.path.join(d, "reference.safetensors"), tensors,
                      dict({"source": "ops/hf/reference_models.py (re-implementation, not transformers)",
                            "torch": torch.__version__}, **(metadata or {})))


DECODERS = {"gpt2": (gpt2, 1), "bloom": (bloom, 1), "gpt_neox": (gpt_neox, 1), "llama": (llama, 2),
            "llama-geglu": (lambda ids: llama(ids, "gelu_pytorch_tanh", 5), 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fixtures", nargs="*", metavar="NAME", help="fixtures to write (default: all): "
                    + ", ".join([*DECODERS, "gpt_neox-bf16", *T5_FIXTURES, "t5-start0"]))
    ap.add_argument("--out", default=OUT, help="folder to write into (default: the test resources the Hf tests read)")
    args = ap.parse_args()
    unknown = set(args.fixtures) - set(DECODERS) - {"gpt_neox-bf16"} - set(T5_FIXTURES) - {"t5-start0"}
    if unknown:
        ap.error(f"unknown fixtures: {sorted(unknown)}")
    wanted = lambda name: not args.fixtures or name in args.fixtures  # noqa: E731
    torch.manual_seed(0)
    ids = torch.randint(0, 34, (2, T), generator=torch.Generator().manual_seed(7))  # within the tokenizer's ids
    with torch.no_grad():
        for name, (model, shards) in DECODERS.items():
            if wanted(name):
                cfg, weights, logits = model(ids)
                save(name, cfg, weights, ids, logits, shards, out=args.out)
        if wanted("gpt_neox-bf16"):
            # The bf16 copy: weights rounded to bf16 and stored as BF16; its reference runs on the widened values.
            cfg, weights, _ = gpt_neox(ids)
            rounded = {n: t.to(torch.bfloat16) for n, t in weights.items()}
            cfg = dict(cfg, torch_dtype="bfloat16")
            _, _, logits = gpt_neox(ids, {n: t.float() for n, t in rounded.items()})
            save("gpt_neox-bf16", cfg, rounded, ids, logits, out=args.out)
        enc, lengths, dec = t5_inputs()
        for name, (overrides, seed) in T5_FIXTURES.items():
            if wanted(name):
                cfg, weights, logits = t5(dict(overrides), seed, enc, lengths, dec)
                save(name, cfg, weights, None, logits, out=args.out,
                     reference={"encoder_tokens": enc.float(), "encoder_lengths": lengths.float(), "decoder_tokens": dec.float()})
        if wanted("t5-start0"):
            cfg, weights, reference, metadata = t5_start0()
            save("t5-start0", cfg, weights, None, None, reference=reference, metadata=metadata, out=args.out)


if __name__ == "__main__":
    main()
