"""Hugging Face import fixtures FROM transformers itself (needs `pip install torch transformers safetensors`).

Builds the same four tiny random-weight checkpoints as ops/hf/reference_models.py (same shapes and
config values; the random weights differ), saves them with save_pretrained (safetensors; llama
sharded, a gpt_neox copy in bf16), and writes transformers' own fp32 logits for a fixed input as
reference.safetensors beside each, in trainer/src/test/resources/hf/<name>/ -- the layout
HfImportTest reads. The committed fixtures were made by reference_models.py because transformers
was not available; running this script replaces them with transformers' numbers.

Run: python3 ops/hf/make_fixtures.py [--out DIR]
"""
import argparse
import os
import shutil

import torch
from safetensors.torch import save_file
from transformers import (BloomConfig, BloomForCausalLM, GPT2Config, GPT2LMHeadModel, GPTNeoXConfig,
                          GPTNeoXForCausalLM, LlamaConfig, LlamaForCausalLM)

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "trainer", "src", "test", "resources")
VOCAB, D, HEADS, LAYERS, T = 96, 32, 4, 2, 10


def configs():
    common = dict(vocab_size=VOCAB, bos_token_id=1, eos_token_id=1)
    return {
        "gpt2": (GPT2LMHeadModel, GPT2Config(n_positions=16, n_embd=D, n_layer=LAYERS, n_head=HEADS,
                                             activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0,
                                             attn_pdrop=0.0, **common)),
        "bloom": (BloomForCausalLM, BloomConfig(hidden_size=D, n_layer=LAYERS, n_head=HEADS, hidden_dropout=0.0,
                                                attention_dropout=0.0, **common)),
        "gpt_neox": (GPTNeoXForCausalLM, GPTNeoXConfig(hidden_size=D, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                                                       intermediate_size=80, hidden_act="gelu", rotary_pct=0.5,
                                                       rotary_emb_base=10000, max_position_embeddings=16,
                                                       use_parallel_residual=True, tie_word_embeddings=False, **common)),
        "llama": (LlamaForCausalLM, LlamaConfig(hidden_size=D, intermediate_size=48, num_hidden_layers=LAYERS,
                                                num_attention_heads=HEADS, num_key_value_heads=2,
                                                max_position_embeddings=16, rms_norm_eps=1e-6, rope_theta=10000.0,
                                                tie_word_embeddings=False, **common)),
    }


def randomize(model, seed):
    """Weights far from the tiny default init, so that every block visibly shapes the logits."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)
            elif "norm" in name or "ln" in name:
                p.copy_(1 + torch.randn(p.shape, generator=g) * 0.1)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)


def save(cls, model, ids, out, **kwargs):
    """Saves the checkpoint, then takes the reference logits from what transformers loads back from
    disk in fp32 -- exactly what ablate's import must match. For a bf16 checkpoint this differs from
    model.float(): that keeps the bf16-rounded rotary buffers (inv_freq), while loading the bf16 file
    with torch_dtype=float32 computes them afresh in fp32 (1.9e-3 apart on gpt_neox), as ablate does."""
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out, safe_serialization=True, **kwargs)
    shutil.copy(os.path.join(ROOT, "data", "tokenizer", "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    loaded = cls.from_pretrained(out, torch_dtype=torch.float32).eval()
    with torch.no_grad():
        logits = loaded(ids).logits
    save_file({"tokens": ids.float(), "logits": logits.contiguous()}, os.path.join(out, "reference.safetensors"),
              metadata={"source": "ops/hf/make_fixtures.py (transformers, the saved checkpoint loaded in fp32)"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(ROOT, "hf"))
    args = parser.parse_args()
    ids = torch.randint(0, 34, (2, T), generator=torch.Generator().manual_seed(7))
    for seed, (name, (cls, config)) in enumerate(configs().items(), start=1):
        torch.manual_seed(seed)
        model = cls(config).eval()
        randomize(model, seed)
        save(cls, model, ids, os.path.join(args.out, name), **({"max_shard_size": "60KB"} if name == "llama" else {}))
        if name == "gpt_neox":
            # bf16 on disk; its reference is that file loaded by transformers in fp32, as ablate reads it.
            save(cls, model.to(torch.bfloat16), ids, os.path.join(args.out, "gpt_neox-bf16"))


if __name__ == "__main__":
    main()
