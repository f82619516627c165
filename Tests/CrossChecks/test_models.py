"""Model files through `unargmax check`: folders written by the real `safetensors` and `tokenizers`
libraries (and `gguf`), verdicts against scipy's Qhull, tokens against the tokenizer library's own
id → token map, certificates re-verified exactly, and bad model files refused cleanly."""
import json
import os

import numpy as np
import pytest
from safetensors.numpy import save_file

from test_check import verify_certificates
from test_hulls import scipy_unargmaxable

tokenizers = pytest.importorskip("tokenizers")
gguf = pytest.importorskip("gguf")


def write_tokenizer(folder, size, seed):
    """A WordLevel tokenizer.json with `size` tokens, some awkward (spaces, quotes, commas, Cyrillic)."""
    words = ["[UNK]", "hello", "wörld", 'quo"te', "com,ma", "привет", " lead", "emoji🙂"]
    words += [f"w{seed}_{i}" for i in range(size - len(words))]
    tokenizer = tokenizers.Tokenizer(tokenizers.models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    return tokenizer


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("classes, dim, seed", [(40, 2, 1), (60, 3, 2), (80, 4, 3)])
def test_model_folder_verdicts_tokens_and_certificates(unargmax, tmp_path, classes, dim, seed, bias):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((classes, dim)).astype(np.float32)
    W[:5] *= 0.3  # a few classes pulled inside the hull
    b = (0.1 * rng.standard_normal(classes)).astype(np.float32) if bias else None
    tensors = {"model.embed_tokens.weight": W + 1, "lm_head.weight": W}
    if bias:
        tensors["lm_head.bias"] = b
    save_file(tensors, str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps({"tie_word_embeddings": False, "vocab_size": classes}))
    tokenizer = write_tokenizer(str(tmp_path), classes, seed)
    certs = tmp_path / "certs.json"
    _, out, _ = unargmax("check", tmp_path, "--unbounded", "--format", "json", "--certificates", certs, "--quiet")
    report = json.loads(out)
    assert report["layer"]["weights_tensor"] == "lm_head.weight"
    assert report["layer"]["bias_tensor"] == ("lm_head.bias" if bias else None)
    assert [c["token"] for c in report["classes"]] == [tokenizer.id_to_token(i) for i in range(classes)]
    got = [c["index"] for c in report["classes"] if c["verdict"] == "unargmaxable"]
    assert got == scipy_unargmaxable(W, b)
    proven_max, proven_unmax = verify_certificates(W, b, json.loads(certs.read_text()), report["domain"])
    assert sorted(proven_unmax) == got and len(proven_max) == classes - len(got)
    unargmax("verify", tmp_path, certs)


def test_csv_quotes_tokens(unargmax, tmp_path):
    W = np.random.default_rng(0).standard_normal((20, 3)).astype(np.float32)
    save_file({"lm_head.weight": W}, str(tmp_path / "model.safetensors"))
    tokenizer = write_tokenizer(str(tmp_path), 20, 0)
    _, out, _ = unargmax("check", tmp_path, "--format", "csv", "--quiet")
    import csv, io
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["token"] for r in rows] == [tokenizer.id_to_token(i) for i in range(20)]


def test_gguf_head_equals_the_reference_dequantizer(unargmax, tmp_path):
    """A Q8_0 tied head: the tool's verdicts are those of gguf's own dequantised matrix."""
    rng = np.random.default_rng(5)
    W = rng.standard_normal((64, 3)).astype(np.float32)
    W = np.repeat(W, 32 // 3 + 1, axis=1)[:, :32] * rng.uniform(0.5, 1.5, (64, 32)).astype(np.float32)
    path = str(tmp_path / "m.gguf")
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_tokenizer_model("llama")
    writer.add_token_list([f"▁t{i}" for i in range(64)])
    quantized = gguf.quants.quantize(W, gguf.GGMLQuantizationType.Q8_0)
    writer.add_tensor("token_embd.weight", quantized, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    reference = gguf.quants.dequantize(quantized, gguf.GGMLQuantizationType.Q8_0)
    certs = tmp_path / "certs.json"
    _, out, _ = unargmax("check", path, "--format", "json", "--certificates", certs, "--quiet")
    report = json.loads(out)
    assert report["layer"]["weights_tensor"] == "token_embd.weight"
    assert [c["token"] for c in report["classes"]] == [f"▁t{i}" for i in range(64)]
    assert report["summary"]["undecided"] == 0
    verify_certificates(reference, None, json.loads(certs.read_text()), report["domain"])
    unargmax("verify", path, certs)


def test_inspect_shows_head_bias_and_vocabulary(unargmax, tmp_path):
    W = np.ones((10, 4), np.float32)
    save_file({"bert.embeddings.word_embeddings.weight": W, "cls.predictions.bias": np.zeros(10, np.float32),
               "cls.seq_relationship.weight": np.ones((2, 4), np.float32)}, str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["BertForPreTraining"]}))
    write_tokenizer(str(tmp_path), 10, 1)
    _, out, _ = unargmax("inspect", tmp_path, "--format", "json")
    info = json.loads(out)
    assert info["head"]["weights"] == "bert.embeddings.word_embeddings.weight"
    assert info["head"]["bias"] == "cls.predictions.bias"
    assert info["vocabulary"]["tokens"] == 10
    assert {t["name"] for t in info["tensors"]} >= {"cls.seq_relationship.weight"}


BAD_HEADERS = {
    "truncated.safetensors": lambda: (100).to_bytes(8, "little") + b'{"a": 1',
    "offsets.safetensors": lambda: header({"lm_head.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 64]}}, 16),
    "dtype.safetensors": lambda: header({"lm_head.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}, 12),
    "garbage.bin": lambda: b"\x00\x01garbage" * 10,
}


def header(entries, data):
    text = json.dumps(entries).encode()
    return len(text).to_bytes(8, "little") + text + b"\x00" * data


@pytest.mark.parametrize("name", sorted(BAD_HEADERS))
def test_bad_model_files_fail_cleanly_without_output(unargmax, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BAD_HEADERS[name]())
    report = tmp_path / "report.json"
    code, out, err = unargmax("check", path, "--output", report, "--quiet", check=False)
    assert code != 0
    assert str(path) in err and "Error" in err
    assert "Traceback" not in err and "Fatal error" not in err
    assert not report.exists()


def test_nan_weights_and_missing_tensor_are_named(unargmax, tmp_path):
    W = np.ones((6, 3), np.float32)
    W[4, 2] = np.inf
    save_file({"lm_head.weight": W}, str(tmp_path / "model.safetensors"))
    code, _, err = unargmax("check", tmp_path, "--quiet", check=False)
    assert code != 0 and "NaN or Inf" in err and "model.safetensors" in err
    code, _, err = unargmax("check", tmp_path, "--weights", "nope.weight", "--quiet", check=False)
    assert code != 0 and "nope.weight" in err


def test_a_pickle_calling_os_system_is_refused_and_nothing_runs(unargmax, tmp_path):
    """A torch.save-shaped zip whose data.pkl asks for os.system: refused by name, no side effect."""
    import pickle
    import zipfile

    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            import os
            return (os.system, (f"touch {marker}",))

    payload = pickle.dumps({"lm_head.weight": Exploit()}, protocol=2)
    model = tmp_path / "pytorch_model.bin"
    with zipfile.ZipFile(model, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", "3\n")
    code, _, err = unargmax("check", model, "--quiet", check=False)
    assert code != 0
    assert "system" in err and str(model) in err
    assert not marker.exists()


def test_token_filters_choose_classes_but_all_classes_compete(unargmax, tmp_path):
    rng = np.random.default_rng(11)
    W = rng.standard_normal((60, 3)).astype(np.float32)
    W[:12] *= 0.4
    save_file({"lm_head.weight": W}, str(tmp_path / "model.safetensors"))
    write_tokenizer(str(tmp_path), 60, 7)
    full = json.loads(unargmax("check", tmp_path, "--unbounded", "--format", "json", "--quiet")[1])
    verdict = {c["index"]: c["verdict"] for c in full["classes"]}
    (tmp_path / "classes.txt").write_text("# a comment\n3\n5-7\n40\n")
    for flags, expected in [
        (["--classes", "3,5-7,40"], [3, 5, 6, 7, 40]),
        (["--classes-file", tmp_path / "classes.txt"], [3, 5, 6, 7, 40]),
        (["--script", "Cyrillic"], [5]),  # "привет"
        (["--classes", "0-10", "--skip-digits-punct"], list(range(11))),
    ]:
        out = json.loads(unargmax("check", tmp_path, "--unbounded", "--format", "json", "--quiet", *flags)[1])
        assert [c["index"] for c in out["classes"]] == expected, flags
        assert all(c["verdict"] == verdict[c["index"]] for c in out["classes"]), flags
        assert out["summary"]["decided_classes"] == len(expected) and out["layer"]["classes"] == 60
    code, _, err = unargmax("check", tmp_path, "--classes", "70", "--quiet", check=False)
    assert code != 0 and "70" in err
    code, _, err = unargmax("check", tmp_path, "--script", "Klingon", "--quiet", check=False)
    assert code != 0 and "Klingon" in err
