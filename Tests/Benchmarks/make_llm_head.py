"""Writes a generated LLM-sized output head as BF16 safetensors (issue 11's 128256 x 4096 case by default).

Rows are anisotropic like real tied embeddings: a shared direction plus Gaussian noise, scaled so the median
cosine between a row and the mean row is about 0.7, row norms varying by a log-normal factor, and a few exact
duplicate rows (which tie everywhere: both copies unargmaxable). Written in blocks of rows, so memory stays at
one block whatever the size. Not committed: `make bench-llm` makes it under .models/.

    python3 Tests/Benchmarks/make_llm_head.py OUT.safetensors [--classes 128256] [--dim 4096] [--seed 0]
"""
import argparse
import json
import struct

import numpy as np


def to_bf16_bytes(block):
    """Float32 -> BF16 with round-to-nearest-even, as little-endian bytes."""
    bits = block.astype("<f4").view("<u4")
    rounded = bits + (0x7FFF + ((bits >> 16) & 1))
    return (rounded >> 16).astype("<u2").tobytes()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--classes", type=int, default=128256)
    parser.add_argument("--dim", type=int, default=4096)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--duplicates", type=int, default=8)
    args = parser.parse_args()
    C, d = args.classes, args.dim
    rng = np.random.default_rng(args.seed)
    shared = rng.normal(size=d)
    shared /= np.linalg.norm(shared)
    # cos(row, shared) = a / sqrt(a^2 + noise^2): noise of total norm 1, a = 0.7 / sqrt(1 - 0.49) ~ 0.98.
    along = 0.7 / np.sqrt(1 - 0.49)
    duplicate_of = {C - 1 - k: k * 997 % (C // 2) for k in range(args.duplicates)}
    header = {"lm_head.weight": {"dtype": "BF16", "shape": [C, d], "data_offsets": [0, C * d * 2]}}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    kept = {}
    with open(args.output, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text)
        block = 4096
        for first in range(0, C, block):
            rows = min(block, C - first)
            noise = rng.normal(size=(rows, d)) / np.sqrt(d)
            scale = np.exp(0.25 * rng.normal(size=(rows, 1))) * 0.05
            w = (scale * (along * shared + noise)).astype(np.float32)
            for r in range(rows):
                c = first + r
                if c in duplicate_of.values():
                    kept[c] = w[r].copy()
                if c in duplicate_of:
                    w[r] = kept[duplicate_of[c]]
            out.write(to_bf16_bytes(w))


if __name__ == "__main__":
    main()
