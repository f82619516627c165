"""The research instruments end to end: `unargmax range` against numpy, `check --input-range`
with its certificates re-verified exactly on the per-dimension box, `unargmax repair` re-checked by
`unargmax check`, and `unargmax sweep` resumed after a kill, with its layers checked by scipy."""
import json
from fractions import Fraction

import numpy as np
import pytest

from test_hulls import save_layer, scipy_unargmaxable


def inverted_cdf(values, p):
    return np.quantile(np.asarray(values, dtype=np.float64), p, axis=0, method="inverted_cdf")


@pytest.mark.parametrize(
    "dtype, fortran, quantile",
    [("<f4", False, 0.99), ("<f2", False, 0.999), (">f8", True, 0.9), ("<f8", False, None)],
)
def test_range_matches_numpy(unargmax, tmp_path, dtype, fortran, quantile):
    rng = np.random.default_rng(3)
    a = (rng.standard_t(3, size=(2500, 9)) * 4).astype(dtype)
    if fortran:
        a = np.asfortranarray(a)
    path = tmp_path / "acts.npy"
    np.save(path, a)
    args = ["range", path, "--format", "json", "--per-dimension"]
    if quantile is not None:
        args += ["--quantile", quantile]
    out = json.loads(unargmax(*args)[1])
    a64 = a.astype(np.float64)
    assert (out["rows"], out["dimension"]) == a.shape
    assert out["min"] == a64.min() and out["max"] == a64.max()
    assert out["bounds"]["min"] == a64.min(0).tolist() and out["bounds"]["max"] == a64.max(0).tolist()
    p = np.array(out["percentiles"]) / 100
    assert out["per_dimension_percentiles"]["min"] == inverted_cdf(a64.min(0), p).tolist()
    assert out["per_dimension_percentiles"]["max"] == inverted_cdf(a64.max(0), p).tolist()
    if quantile is not None:
        low, high = inverted_cdf(a64, [1 - quantile, quantile])
        assert out["bounds"]["q_low"] == low.tolist() and out["bounds"]["q_high"] == high.tolist()
        assert out["per_dimension_percentiles"]["q_high"] == inverted_cdf(high, p).tolist()


def test_range_npz_and_errors(unargmax, tmp_path):
    a = np.random.default_rng(1).normal(size=(300, 4))
    np.savez(tmp_path / "two.npz", acts=a, other=np.zeros((2, 2)))
    out = json.loads(unargmax("range", tmp_path / "two.npz", "--array", "acts", "--format", "json")[1])
    assert out["min"] == a.min() and out["max"] == a.max()
    code, stdout, stderr = unargmax("range", tmp_path / "two.npz", check=False)
    assert code != 0 and stdout == "" and "two.npz" in stderr and "--array" in stderr
    np.savez_compressed(tmp_path / "c.npz", a)
    code, stdout, stderr = unargmax("range", tmp_path / "c.npz", "--output", tmp_path / "out.json", check=False)
    assert code != 0 and "compressed" in stderr and not (tmp_path / "out.json").exists()


def verify_on_bounds(W, b, certificates, lower, upper):
    """Exact re-verification of a certificates file on the box lower ≤ x ≤ upper."""
    C, d = W.shape
    Wq = [[Fraction(float(v)) for v in row] for row in W]
    bq = [Fraction(float(v)) for v in b]
    lo, hi = [Fraction(v) for v in lower], [Fraction(v) for v in upper]
    verdicts = {}
    for entry in certificates["classes"]:
        c = entry["index"]
        if "witness" in entry:
            x = [Fraction(v) for v in entry["witness"]]
            assert all(lo[j] <= x[j] <= hi[j] for j in range(d)), f"class {c}: witness outside the box"
            margin = min(
                sum((Wq[c][j] - Wq[i][j]) * x[j] for j in range(d)) + bq[c] - bq[i] for i in range(C) if i != c
            )
            assert margin > 0
            verdicts[c] = "argmaxable"
        else:
            m = entry["multipliers"]
            lam = [Fraction(s) for s in m["exact"]] if "exact" in m else [Fraction(w) for w in m["weights"]]
            assert all(l >= 0 for l in lam) and sum(lam) > 0
            v = [sum(l * (Wq[c][j] - Wq[i][j]) for l, i in zip(lam, m["indices"])) for j in range(d)]
            beta = sum(l * (bq[c] - bq[i]) for l, i in zip(lam, m["indices"]))
            assert beta + sum(max(v[j] * lo[j], v[j] * hi[j]) for j in range(d)) <= 0
            verdicts[c] = "unargmaxable"
    return verdicts


def test_check_input_range(unargmax, tmp_path):
    # Class 1 beats class 0 only where x_0 > 1: argmaxable in the paper's box, not on small activations.
    W, b = np.array([[0, 0], [1, 0], [-1, 0.5]], np.float32), np.array([1, 0, 0], np.float32)
    layer = save_layer(tmp_path / "far.npz", W, b)
    acts = np.random.default_rng(0).uniform(-0.5, 0.5, size=(400, 2)).astype(np.float16)
    np.save(tmp_path / "acts.npy", acts)
    default = json.loads(unargmax("check", layer, "--quiet", "--format", "json")[1])
    assert default["summary"]["unargmaxable"] == 0
    certificates = tmp_path / "proof.json"
    out = json.loads(
        unargmax(
            "check", layer, "--quiet", "--format", "json", "--input-range", tmp_path / "acts.npy",
            "--certificates", certificates,
        )[1]
    )
    a64 = acts.astype(np.float64)
    assert out["domain"] == {"kind": "bounds", "lower": a64.min(0).tolist(), "upper": a64.max(0).tolist()}
    assert [c["verdict"] for c in out["classes"]] == ["argmaxable", "unargmaxable", "unargmaxable"]
    verdicts = verify_on_bounds(W, b, json.loads(certificates.read_text()), a64.min(0), a64.max(0))
    assert verdicts == {0: "argmaxable", 1: "unargmaxable", 2: "unargmaxable"}
    out = json.loads(
        unargmax(
            "check", layer, "--quiet", "--format", "json", "--input-range", tmp_path / "acts.npy",
            "--quantile", "0.95",
        )[1]
    )
    low, high = inverted_cdf(a64, [1 - 0.95, 0.95])
    assert out["domain"]["lower"] == low.tolist() and out["domain"]["upper"] == high.tolist()
    code, _, stderr = unargmax("check", layer, "--quantile", "0.9", check=False)
    assert code != 0 and "--input-range" in stderr
    np.save(tmp_path / "wide.npy", np.zeros((5, 3), np.float32))
    code, _, stderr = unargmax("check", layer, "--input-range", tmp_path / "wide.npy", check=False)
    assert code != 0 and "wide.npy" in stderr and "d = 3" in stderr


@pytest.mark.parametrize("domain", [[], ["--unbounded"]])
def test_repair_then_check(unargmax, tmp_path, domain):
    rng = np.random.default_rng(11)
    W, b = rng.normal(size=(80, 3)).astype(np.float32), rng.normal(size=80).astype(np.float32)
    layer = save_layer(tmp_path / "layer.npz", W, b)
    repaired = tmp_path / "repaired.npz"
    report = json.loads(unargmax("repair", layer, "--output", repaired, "--format", "json", *domain)[1])
    assert report["succeeded"] and len(report["before"]["unargmaxable"]) > 10 and report["after"]["unargmaxable"] == []
    fixed = np.load(repaired)
    assert np.array_equal(fixed["W"], W)
    changed = {c["index"]: c for c in report["changes"]}
    for c in range(80):
        if c in changed:
            assert fixed["b"][c] == np.float32(changed[c]["new_bias"]) and fixed["b"][c] > b[c]
        else:
            assert fixed["b"][c] == b[c]
    check = json.loads(unargmax("check", repaired, "--quiet", "--format", "json", *domain)[1])
    assert check["summary"]["argmaxable"] == 80
    if domain:  # unbounded: scipy's Qhull agrees that nothing is left
        assert scipy_unargmaxable(fixed["W"], fixed["b"]) == []


def test_repair_square_is_tight_and_duplicates_are_reported(unargmax, tmp_path):
    W = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1], [0, 0]], np.float32)
    b = np.array([0, 0, 0, 0, -1], np.float32)
    layer = save_layer(tmp_path / "square.npz", W, b)
    report = json.loads(unargmax("repair", layer, "--output", tmp_path / "r.npz", "--format", "json")[1])
    (change,) = report["changes"]
    assert change["index"] == 4 and change["margin_before"]["upper"] <= 0 and change["new_bias"] > 0
    # Raising by −upper only (the certified lower end of the deficit) leaves class 4 unargmaxable.
    short = b.copy()
    short[4] = np.float32(-1 - change["margin_before"]["upper"])
    short_layer = save_layer(tmp_path / "short.npz", W, short)
    out = json.loads(unargmax("check", short_layer, "--quiet", "--format", "json", "--exact-arithmetic")[1])
    assert out["classes"][4]["verdict"] == "unargmaxable"

    dup = save_layer(tmp_path / "dup.npz", np.array([[1, 0], [-1, 0], [0, 1], [0, -1], [1, 0]], np.float32))
    code, stdout, _ = unargmax("repair", dup, "--output", tmp_path / "d.npz")
    assert code == 0 and "identical rows" in stdout and "cannot fix 4" in stdout
    out = json.loads(unargmax("check", tmp_path / "d.npz", "--quiet", "--format", "json")[1])
    assert [c["verdict"] for c in out["classes"]] == ["argmaxable"] * 4 + ["unargmaxable"]


def test_sweep_resumes_after_a_kill(unargmax, tmp_path):
    args = ["sweep", "--classes", 60, "--dims", "2:4", "--seeds", 2, "--patience", "1,10", "--bias", "--quiet"]
    state = tmp_path / "state.jsonl"
    full = json.loads(unargmax(*args, "--state", state, "--save-layers", tmp_path / "layers")[1])
    lines = state.read_text().splitlines(keepends=True)
    assert len(lines) == 1 + 6
    state.write_text("".join(lines[:4]) + lines[4][:30])  # header, 3 cells, a torn line
    resumed = json.loads(unargmax(*args, "--state", state)[1])

    def untimed(value):
        if isinstance(value, dict):
            return {k: untimed(v) for k, v in value.items() if not k.endswith("seconds")}
        if isinstance(value, list):
            return [untimed(v) for v in value]
        return value

    assert untimed(resumed) == untimed(full)
    assert resumed["cells"][:3] == full["cells"][:3]
    fresh = json.loads(unargmax(*args)[1])
    assert untimed(fresh) == untimed(full)
    for cell in full["cells"]:
        z = np.load(tmp_path / "layers" / f"normal-c60-d{cell['dimension']}-seed{cell['seed']}-bias.npz")
        truth = scipy_unargmaxable(z["W"], z["b"])
        assert cell["unargmaxable"] == cell["qhull_unargmaxable"] == len(truth)
        assert all(s["true_positives"] == len(truth) and s["recall"] == 1 for s in cell["approximate"])
    csv = unargmax(*args, "--format", "csv")[1].splitlines()
    assert csv[0].startswith("classes,dimension,seed") and "p10_precision" in csv[0] and len(csv) == 7
