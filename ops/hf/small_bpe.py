#!/usr/bin/env python3
"""Cuts a byte-level BPE tokenizer.json (GPT-2's) down to its first N merges, for test fixtures.

The result is a real byte-level BPE: the 256 byte symbols, the first N merges in order (ids
renumbered 0.., so that the vocabulary is contiguous) and <|endoftext|> last. It tokenizes any
text (bytes that merge less often stay split), with GPT-2's pre-tokenizer and decoder.

  python3 ops/hf/small_bpe.py ../shared/data/tokenizers/gpt2/tokenizer.json OUT/tokenizer.json --merges 3000
"""
import argparse
import json

parser = argparse.ArgumentParser()
parser.add_argument("source")
parser.add_argument("out")
parser.add_argument("--merges", type=int, default=3000)
args = parser.parse_args()

t = json.load(open(args.source, encoding="utf-8"))
model = t["model"]
by_id = sorted(model["vocab"].items(), key=lambda kv: kv[1])
vocab = {token: i for i, (token, _) in enumerate(by_id[:256])}
merges = model["merges"][: args.merges]
for merge in merges:
    a, b = merge.split(" ") if isinstance(merge, str) else merge
    vocab.setdefault(a + b, len(vocab))
eos = "<|endoftext|>"
vocab[eos] = len(vocab)
model["vocab"] = vocab
model["merges"] = merges
for added in t["added_tokens"]:
    if added["content"] == eos:
        added["id"] = vocab[eos]
json.dump(t, open(args.out, "w", encoding="utf-8"), ensure_ascii=False)
print(f"{args.out}: {len(vocab)} tokens, {len(merges)} merges")
