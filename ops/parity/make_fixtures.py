"""
Parity fixtures (llm.c style): the PyTorch peers (ops/bench/torch_gpt.py for the decoder,
ops/bench/torch_encoder_decoder.py for the encoder-decoder) compute logits, loss, gradients and one
AdamW step for a tiny model of each ablation variant; ablate's ParityTest loads the same weights and
must agree. Writes one safetensors file per variant (all tensors fp32, names as ablate's) under
trainer/src/test/resources/parity/; the encoder-decoder's (encdec-*) hold encoder_tokens,
encoder_lengths (the rest of a row is padding), decoder_tokens and targets instead of tokens.

  /usr/bin/python3 ops/parity/make_fixtures.py [VARIANT ...]    # Debian's python3-torch; all variants by default
  /usr/bin/python3 ops/parity/make_fixtures.py --out /tmp/parity  # elsewhere, to compare with the committed ones

The decoder fixtures were written before this machine's BLAS became OpenBLAS (2026-12-01): regenerated
now, their logits differ by up to 1.2e-7 and their gradients by up to 1.5e-8, well inside ParityTest's
tolerances; the encoder-decoder's reproduce byte for byte.
"""
import argparse
import dataclasses
import json
import os
import struct
import sys
import zlib

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
from torch_gpt import GPT, Config, make_optimizer  # noqa: E402
import torch_encoder_decoder as encdec  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "trainer", "src", "test", "resources", "parity")
SHAPE = dict(vocab=64, d_model=32, layers=2, heads=4, seq=16, micro_batch=2, threads=1,
             lr=1e-2, weight_decay=0.1, betas=(0.9, 0.95), eps=1e-8, clip=0.5)
VARIANTS = {
    "learned-gelu": dict(position="learned", activation="gelu"),
    "rotary-swiglu-embln": dict(position="rotary", activation="swiglu", embedding_layernorm=True),
    "alibi-gelu-prefix": dict(position="alibi", activation="gelu", mask="prefix", heads=6, d_model=36),
    "none-swiglu": dict(position="none", activation="swiglu"),
    "rotary-half-gelu": dict(position="rotary", activation="gelu", rotary_fraction=0.5),
}
ENCDEC_SHAPE = dict(vocab=64, d_model=16, layers=2, heads=2, seq=12)
ENCDEC_STEP = dict(lr=1e-2, weight_decay=0.1, betas=(0.9, 0.95), eps=1e-8, clip=0.5)
ENCDEC_VARIANTS = {  # T5's own choices first; 8 buckets up to distance 10 put seq 12 past the exact and log buckets
    "encdec-relative-t5": dict(position="relative", activation="swiglu", norm="rmsnorm", bias=False, tied=False,
                               relative_buckets=8, relative_max_distance=10),
    "encdec-learned-gelu-embln": dict(position="learned", activation="gelu", embedding_layernorm=True),
    "encdec-rotary-swiglu": dict(position="rotary", activation="swiglu", rotary_fraction=0.5),
    "encdec-alibi-gelu-rmsnorm": dict(position="alibi", activation="gelu", norm="rmsnorm", tied=False),
    # T5 v1.0's MLP (relu, tied) and T5 v1.1's (a gated GELU, untied; here exact, the peer's GELU)
    "encdec-relative-relu": dict(position="relative", activation="relu", norm="rmsnorm", bias=False,
                                 relative_buckets=8, relative_max_distance=10),
    "encdec-relative-geglu": dict(position="relative", activation="geglu", norm="rmsnorm", bias=False, tied=False,
                                  relative_buckets=8, relative_max_distance=10),
}


def ablate_name(torch_name):
    """torch_gpt's state_dict names to ablate's (Hugging Face GPT-2 style) names."""
    name = torch_name.replace("blocks.", "h.").replace("ln_emb.", "emb_ln.")
    return {"wte.weight": "wte", "wpe.weight": "wpe"}.get(name, name)


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


def fixture(out, name, overrides):
    cfg = Config(**{**SHAPE, **overrides})
    torch.manual_seed(zlib.crc32(name.encode()))
    torch.set_num_threads(1)
    model = GPT(cfg)
    with torch.no_grad():  # non-trivial norms and biases, so their gradients are checked too
        for n, p in model.named_parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
    tensors = {ablate_name(n): p.detach().clone() for n, p in model.named_parameters()}
    x = torch.randint(cfg.vocab, (cfg.micro_batch, cfg.seq))
    y = torch.randint(cfg.vocab, (cfg.micro_batch, cfg.seq))
    prefix = torch.tensor([5, 11]) if cfg.mask == "prefix" else None
    logits, loss = model(x, y, prefix)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
    for n, p in model.named_parameters():
        tensors["grad." + ablate_name(n)] = p.grad.detach().clone()  # clipped
    optimizer = make_optimizer(model, cfg)
    optimizer.step()
    for n, p in model.named_parameters():
        tensors["next." + ablate_name(n)] = p.detach().clone()
    tensors["tokens"] = x.float()
    tensors["targets"] = y.float()
    tensors["prefix"] = (prefix if prefix is not None else torch.zeros(cfg.micro_batch, dtype=torch.long)).float()
    tensors["logits"] = logits.detach()
    tensors["loss"] = loss.detach().reshape(1)
    tensors["grad_norm"] = norm.detach().reshape(1)
    config = {k: getattr(cfg, k) for k in ("vocab", "d_model", "layers", "heads", "seq", "position", "activation",
                                            "embedding_layernorm", "mask", "rotary_fraction", "lr", "weight_decay",
                                            "eps", "clip")}
    config["betas"] = list(cfg.betas)
    write_safetensors(os.path.join(out, name + ".safetensors"), tensors,
                      {"config": json.dumps(config), "torch": torch.__version__})
    print(name, "loss", float(loss), "grad_norm", float(norm))


def encoder_decoder_fixture(out, name, overrides):
    cfg = encdec.ModelConfig(**{**ENCDEC_SHAPE, **overrides})
    step = argparse.Namespace(**ENCDEC_STEP)
    torch.manual_seed(zlib.crc32(name.encode()))
    torch.set_num_threads(1)
    model = encdec.EncoderDecoder(cfg)
    with torch.no_grad():  # away from any init's symmetries: norms and biases non-trivial, relative tables large
        for n, p in model.named_parameters():
            if n.endswith("relative_bias.table"):
                p.copy_(0.5 * torch.randn_like(p))
            elif p.dim() >= 2:
                p.copy_(0.1 * torch.randn_like(p))
            elif "ln" in n:
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.1 * torch.randn_like(p))
    tensors = {encdec.ablate_name(n): p.detach().clone() for n, p in model.named_parameters()}
    enc = torch.randint(cfg.vocab, (2, cfg.seq))
    lengths = torch.tensor([cfg.seq, 7])
    dec = torch.randint(cfg.vocab, (2, 8))
    y = torch.randint(cfg.vocab, (2, 8))
    logits, loss = model(enc, lengths, dec, y)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), step.clip)
    for n, p in model.named_parameters():
        tensors["grad." + encdec.ablate_name(n)] = p.grad.detach().clone()  # clipped
    make_optimizer(model, step).step()
    for n, p in model.named_parameters():
        tensors["next." + encdec.ablate_name(n)] = p.detach().clone()
    tensors.update(encoder_tokens=enc.float(), encoder_lengths=lengths.float(), decoder_tokens=dec.float(), targets=y.float(),
                   logits=logits.detach(), loss=loss.detach().reshape(1), grad_norm=norm.detach().reshape(1))
    config = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    config.update(architecture="encoder-decoder", lr=step.lr, weight_decay=step.weight_decay, eps=step.eps, clip=step.clip,
                  betas=list(step.betas))
    write_safetensors(os.path.join(out, name + ".safetensors"), tensors,
                      {"config": json.dumps(config), "torch": torch.__version__})
    print(name, "loss", float(loss), "grad_norm", float(norm))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("variants", nargs="*", metavar="VARIANT", help="variants to write (default: all): "
                    + ", ".join([*VARIANTS, *ENCDEC_VARIANTS]))
    ap.add_argument("--out", default=OUT, help="folder to write into (default: the test resources ParityTest reads)")
    args = ap.parse_args()
    unknown = set(args.variants) - set(VARIANTS) - set(ENCDEC_VARIANTS)
    if unknown:
        ap.error(f"unknown variants: {sorted(unknown)}")
    os.makedirs(args.out, exist_ok=True)
    for name, overrides in VARIANTS.items():
        if not args.variants or name in args.variants:
            fixture(args.out, name, overrides)
    for name, overrides in ENCDEC_VARIANTS.items():
        if not args.variants or name in args.variants:
            encoder_decoder_fixture(args.out, name, overrides)
