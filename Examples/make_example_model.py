"""Writes Examples/tiny-bert-mlm: a small masked-LM folder in real formats (config.json,
model.safetensors, tokenizer.json) built so that five named tokens are unargmaxable.

    python3 Examples/make_example_model.py      # needs numpy, safetensors, tokenizers

The head is tied to the BF16 word embeddings with BERT's `cls.predictions.bias`, as in
BertForMaskedLM; a next-sentence head (`cls.seq_relationship`) sits beside it as a decoy that
the tool must not take for the output layer. Every token's embedding is random except the five
below: each is a convex combination of three other tokens' embeddings with a bias 1.0 lower than
the same combination of theirs, so its logit is always at least 1.0 below one of those three
and no input can make it the argmax.
"""

import json
import os

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tiny-bert-mlm")
HIDDEN = 20
UNREACHABLE = ["never", "impossible", "unreachable", "hidden", "silent"]

TEXT = """
The tool checks whether every word of a model can be predicted. Some words are never predicted,
because their embedding sits inside the convex hull of the others: such a word is unreachable,
hidden behind its neighbours, silent whatever the input. It is impossible to make it the argmax.
Low-rank softmax layers have more classes than features, so the question is real for every language
model and every translation model. Researchers count rankings, check layers, and repair biases.
""" * 20


def main():
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=400, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tokenizer.train_from_iterator([TEXT], trainer)
    vocab = tokenizer.get_vocab()
    size = len(vocab)
    missing = [w for w in UNREACHABLE if w not in vocab]
    assert not missing, f"not whole tokens: {missing}"

    rng = np.random.default_rng(2022)
    # Multiples of 1/8 below 4 in magnitude: every combination below (multiples of 1/32 below 4,
    # 8 significant bits) is exact in BF16, so the stored layer is exactly the constructed one.
    weights = np.clip(np.round(8 * rng.standard_normal((size, HIDDEN))) / 8, -3.875, 3.875).astype(np.float32)
    bias = (0.1 * rng.standard_normal(size)).astype(np.float32)
    targets = [vocab[w] for w in UNREACHABLE]
    others = [i for i in range(size) if i not in targets]
    for t in targets:
        parents = rng.choice(others, 3, replace=False)
        lam = np.array([0.25, 0.25, 0.5], dtype=np.float64)  # exact in BF16 arithmetic below
        combined = lam @ weights[parents].astype(np.float64)
        weights[t] = combined.astype(np.float32)
        bias[t] = np.float32(lam @ bias[parents].astype(np.float64) - 1.0)
    bf16 = (weights.view(np.uint32) >> 16).astype(np.uint16)
    assert (bf16.astype(np.uint32) << 16).view(np.float32).tolist() == weights.tolist(), "not exact in BF16"

    os.makedirs(OUT, exist_ok=True)
    tokenizer.save(os.path.join(OUT, "tokenizer.json"))
    config = {
        "architectures": ["BertForMaskedLM"],
        "model_type": "bert",
        "hidden_size": HIDDEN,
        "vocab_size": size,
        "tie_word_embeddings": True,
        "num_hidden_layers": 0,
    }
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    # safetensors.numpy has no bfloat16 dtype: store the raw 16-bit patterns and mark them BF16.
    tensors = {
        "bert.embeddings.word_embeddings.weight": bf16,
        "cls.predictions.bias": bias,
        "cls.seq_relationship.weight": rng.standard_normal((2, HIDDEN)).astype(np.float32),
        "cls.seq_relationship.bias": np.zeros(2, dtype=np.float32),
    }
    path = os.path.join(OUT, "model.safetensors")
    save_file(tensors, path, metadata={"format": "pt"})
    relabel_as_bf16(path, "bert.embeddings.word_embeddings.weight")
    print(f"{OUT}: {size} tokens, d = {HIDDEN}; unargmaxable by construction: {UNREACHABLE}")


def relabel_as_bf16(path, name):
    """Rewrites one tensor's dtype from U16 to BF16 in the JSON header (same byte length)."""
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    header[name]["dtype"] = "BF16"
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (n - len(text))
    assert len(text) == n
    with open(path, "wb") as f:
        f.write(data[:8] + text + data[8 + n:])


if __name__ == "__main__":
    main()
