"""The binary certificates layout (schema unargmaxable.certificates/2, an .npz) read by numpy alone and
re-verified exactly by the independent checker of test_check.py; verify accepts it, rejects tampering."""
import json

import numpy as np
import pytest

from test_check import verify_certificates
from test_hulls import save_layer


def read_archive(path):
    """The documented layout, read with numpy only, as the JSON checker's dictionary."""
    z = np.load(path)
    meta = json.loads(bytes(z["meta"]).decode())
    assert meta["schema"] == "unargmaxable.certificates/2"
    d = meta["dimension"]
    # float32 when every witness is a float32 (the detectors round theirs and re-certify), else float64.
    assert z["witnesses"].shape == (len(z["witness_classes"]), d) and z["witnesses"].dtype in (np.float32, np.float64)
    witnesses = z["witnesses"].astype(np.float64)
    classes = [{"index": int(c), "witness": row.tolist()} for c, row in zip(z["witness_classes"], witnesses)]
    offsets, lines = z["multiplier_offsets"], bytes(z["multiplier_exact"]).decode().split("\n")
    assert offsets[0] == 0 and offsets[-1] == len(z["multiplier_indices"]) == len(z["multiplier_weights"])
    for r, c in enumerate(z["multiplier_classes"]):
        lo, hi = offsets[r], offsets[r + 1]
        m = {"indices": z["multiplier_indices"][lo:hi].tolist(), "weights": z["multiplier_weights"][lo:hi].tolist()}
        if all(lines[lo:hi]):
            m["exact"] = lines[lo:hi]
        classes.append({"index": int(c), "multipliers": m})
    return meta, {"classes": classes}


@pytest.mark.parametrize("bias, domain", [(False, ["--unbounded"]), (True, ["--unbounded"]), (True, ["--box", 3])])
def test_archive_certificates_verify_exactly(unargmax, tmp_path, bias, domain):
    rng = np.random.default_rng(3)
    W = rng.standard_normal((120, 4))
    W[:10] *= 0.3
    b = 0.2 * rng.standard_normal(120) if bias else None
    layer = save_layer(tmp_path / "layer.npz", W, b)
    archive, json_certs = tmp_path / "certs.npz", tmp_path / "certs.json"
    _, out, _ = unargmax("check", layer, *domain, "--format", "json", "--certificates", archive, "--quiet")
    unargmax("check", layer, *domain, "--certificates", json_certs, "--quiet")
    report = json.loads(out)
    meta, certificates = read_archive(archive)
    with np.load(layer) as z:
        W32, b32 = z["W"], (z["b"] if bias else None)
    proven_max, proven_unmax = verify_certificates(W32, b32, certificates, meta["domain"])
    expected = {c["index"] for c in report["classes"] if c["verdict"] == "unargmaxable"}
    assert proven_unmax == expected and len(proven_max) + len(proven_unmax) == 120
    # The same certificates as the JSON file.
    from_json = {c["index"]: c for c in json.loads(json_certs.read_text())["classes"]}
    for entry in certificates["classes"]:
        assert entry == from_json[entry["index"]]
    unargmax("verify", layer, archive)


def test_tampered_archive_is_rejected(unargmax, tmp_path):
    rng = np.random.default_rng(4)
    layer = save_layer(tmp_path / "layer.npz", rng.standard_normal((60, 3)))
    archive = tmp_path / "certs.npz"
    unargmax("check", layer, "--certificates", archive, "--quiet")
    z = dict(np.load(archive))
    z["witnesses"] = z["witnesses"][::-1].copy()  # every witness now belongs to another class
    np.savez(tmp_path / "bad.npz", **z)
    code, out, _ = unargmax("verify", layer, tmp_path / "bad.npz", check=False)
    assert code == 1 and "FAILED" in out
    z = dict(np.load(archive))
    z["multiplier_offsets"] = z["multiplier_offsets"][:-1]
    np.savez(tmp_path / "broken.npz", **z)
    code, _, err = unargmax("verify", layer, tmp_path / "broken.npz", check=False)
    assert code != 0 and "broken.npz" in err
