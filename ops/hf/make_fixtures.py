"""Hugging Face import fixtures FROM transformers itself (needs `pip install torch transformers safetensors`).

Builds the same tiny random-weight checkpoints as ops/hf/reference_models.py (same shapes and
config values; the random weights differ), saves them with save_pretrained (safetensors; llama
sharded, a gpt_neox copy in bf16), and writes transformers' own fp32 logits for a fixed input as
reference.safetensors beside each, in trainer/src/test/resources/hf/<name>/ -- the layout
HfImportTest reads. The T5ForConditionalGeneration fixtures (t5: gated-silu, untied, 16 buckets up
to distance 24; t5-tied: gelu, tied, T5's default buckets; t5-v1_0: relu, tied, as t5-small;
t5-v1_1: gated-gelu, untied, as T5 v1.1 and Flan-T5) store encoder_tokens,
encoder_lengths (the rest of a row is padding) and decoder_tokens instead of tokens; t5-start0
(gelu_new, untied, decoder_start_token_id 0) stores the harness's seq2seq loglikelihoods of
reference_models.T5_START0_DOCUMENTS instead. The committed fixtures were made by reference_models.py because transformers
was not available; running this script replaces them with transformers' numbers.

Run: python3 ops/hf/make_fixtures.py [--out DIR]
"""
import argparse
import json
import os
import shutil

import torch
from safetensors.torch import save_file
from transformers import (BloomConfig, BloomForCausalLM, GPT2Config, GPT2LMHeadModel, GPTNeoXConfig,
                          GPTNeoXForCausalLM, LlamaConfig, LlamaForCausalLM, T5Config, T5ForConditionalGeneration)

from reference_models import EOS, T5_START0_DOCUMENTS, word_ids

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "trainer", "src", "test", "resources")
VOCAB, D, HEADS, LAYERS, T = 96, 32, 4, 2, 10
T5_S, T5_T = 40, 24


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
        "llama-geglu": (LlamaForCausalLM, LlamaConfig(hidden_size=D, intermediate_size=48, num_hidden_layers=LAYERS,
                                                      num_attention_heads=HEADS, num_key_value_heads=2,
                                                      hidden_act="gelu_pytorch_tanh", max_position_embeddings=16,
                                                      rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=False,
                                                      **common)),
    }


def t5_configs():
    """As reference_models.T5_FIXTURES: head sizes and d powers of 4, so that ablate's folds are exact."""
    common = dict(vocab_size=VOCAB, num_layers=LAYERS, num_decoder_layers=LAYERS, dropout_rate=0.0, layer_norm_epsilon=1e-6,
                  pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, n_positions=64)
    return {
        "t5": T5Config(d_model=32, d_kv=16, num_heads=2, d_ff=48, feed_forward_proj="gated-silu", tie_word_embeddings=False,
                       relative_attention_num_buckets=16, relative_attention_max_distance=24, **common),
        "t5-tied": T5Config(d_model=16, d_kv=4, num_heads=4, d_ff=64, feed_forward_proj="gelu", tie_word_embeddings=True,
                            **common),
        "t5-v1_0": T5Config(d_model=16, d_kv=4, num_heads=4, d_ff=32, feed_forward_proj="relu", tie_word_embeddings=True,
                            **common),
        "t5-v1_1": T5Config(d_model=32, d_kv=16, num_heads=2, d_ff=40, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
                            **common),
    }


def t5_start0_config():
    """As reference_models.T5_START0: the scoring fixture, whose decoder starts with T5's pad id 0."""
    return T5Config(vocab_size=VOCAB, num_layers=LAYERS, num_decoder_layers=LAYERS, dropout_rate=0.0, layer_norm_epsilon=1e-6,
                    pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, n_positions=64, d_model=16, d_kv=4, num_heads=4,
                    d_ff=32, feed_forward_proj="gelu_new", tie_word_embeddings=False)


def t5_inputs():
    g = torch.Generator().manual_seed(8)
    enc = torch.randint(2, 34, (2, T5_S), generator=g)
    lengths = torch.tensor([T5_S, 29])
    enc[1, 29:] = 0
    dec = torch.randint(2, 34, (2, T5_T), generator=g)
    dec[:, 0] = 0  # decoder_start_token_id
    return enc, lengths, dec


def randomize(model, seed, std=0.2, tables_std=0.2):
    """Weights far from the tiny default init, so that every block visibly shapes the logits (T5: std 0.1 on
    its matrices, as its scores are not scaled by hs^-1/2, and 0.5 on the embeddings and relative bias tables)."""
    g = torch.Generator().manual_seed(seed)
    tables = ("shared", "relative_attention_bias", "lm_head")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) * (tables_std if any(t in name for t in tables) else std))
            elif "norm" in name or "ln" in name:
                p.copy_(1 + torch.randn(p.shape, generator=g) * 0.1)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)


def save_t5(model, inputs, out):
    """As save, with the encoder input, its padding mask and the decoder input."""
    enc, lengths, dec = inputs
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out, safe_serialization=True)
    shutil.copy(os.path.join(ROOT, "data", "tokenizer", "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    loaded = T5ForConditionalGeneration.from_pretrained(out, torch_dtype=torch.float32).eval()
    mask = (torch.arange(enc.shape[1])[None, :] < lengths[:, None]).long()
    with torch.no_grad():
        logits = loaded(input_ids=enc, attention_mask=mask, decoder_input_ids=dec).logits
    save_file({"encoder_tokens": enc.float(), "encoder_lengths": lengths.float(), "decoder_tokens": dec.float(),
               "logits": logits.contiguous()}, os.path.join(out, "reference.safetensors"),
              metadata={"source": "ops/hf/make_fixtures.py (transformers, the saved checkpoint loaded in fp32)"})


def save_t5_start0(model, out):
    """Saves the checkpoint and, from what transformers loads back, the harness's seq2seq loglikelihood of each
    document's choices (context + EOS in the encoder, [start] + continuation[:-1] in the decoder), behind the
    model's start token and behind EOS."""
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out, safe_serialization=True)
    shutil.copy(os.path.join(ROOT, "data", "tokenizer", "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    loaded = T5ForConditionalGeneration.from_pretrained(out, torch_dtype=torch.float32).eval()
    start = loaded.config.decoder_start_token_id

    def loglikelihood(context, continuation, first):
        with torch.no_grad():
            logits = loaded(input_ids=torch.tensor([context + [EOS]]),
                            decoder_input_ids=torch.tensor([[first] + continuation[:-1]])).logits[0]
        logp = torch.log_softmax(logits.double(), dim=-1)
        targets = torch.tensor(continuation)
        return logp[torch.arange(len(continuation)), targets].sum().item(), bool((logp.argmax(-1) == targets).all())

    documents, scored, greedy, behind_eos = [], [], [], []
    for query, choices in T5_START0_DOCUMENTS:
        documents.append({"query": query, "choices": choices, "gold": 0})
        for choice in choices:
            ll, is_greedy = loglikelihood(word_ids(query), word_ids(choice), start)
            scored.append(ll)
            greedy.append(float(is_greedy))
            behind_eos.append(loglikelihood(word_ids(query), word_ids(choice), EOS)[0])
    save_file({"loglikelihoods": torch.tensor(scored, dtype=torch.float32), "greedy": torch.tensor(greedy),
               "loglikelihoods_behind_eos": torch.tensor(behind_eos, dtype=torch.float32)},
              os.path.join(out, "reference.safetensors"),
              metadata={"source": "ops/hf/make_fixtures.py (transformers, the saved checkpoint loaded in fp32)",
                        "documents": json.dumps(documents)})


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
    for seed, (name, config) in enumerate(t5_configs().items(), start=5):
        torch.manual_seed(seed)
        model = T5ForConditionalGeneration(config).eval()
        randomize(model, seed, std=0.1, tables_std=0.5)
        save_t5(model, t5_inputs(), os.path.join(args.out, name))
    torch.manual_seed(7)
    model = T5ForConditionalGeneration(t5_start0_config()).eval()
    randomize(model, 7, std=0.1, tables_std=0.5)
    save_t5_start0(model, os.path.join(args.out, "t5-start0"))


if __name__ == "__main__":
    main()
