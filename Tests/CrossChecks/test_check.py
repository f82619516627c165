"""`unargmax check` end to end: verdicts against scipy's Qhull, certificates re-verified in exact
rational arithmetic by this independent Python checker, thread-count independence, bad input."""
import json
import os
from fractions import Fraction

import numpy as np
import pytest

from test_hulls import save_layer, scipy_unargmaxable


def verify_certificates(W, b, certificates, domain):
    """Exact re-verification (fractions of the exact binary values): witness → margin > 0;
    multipliers → upper bound ≤ 0. Returns the sets of proven argmaxable / unargmaxable classes."""
    C, d = W.shape
    Wq = [[Fraction(float(v)) for v in row] for row in W]
    bq = [Fraction(float(v)) for v in b] if b is not None else [Fraction(0)] * C
    radius = Fraction(domain["radius"]) if domain["kind"] == "box" else None
    proven_max, proven_unmax = set(), set()
    for entry in certificates["classes"]:
        c = entry["index"]
        if "witness" in entry:
            x = [Fraction(v) for v in entry["witness"]]
            assert radius is None or all(abs(v) <= radius for v in x), f"class {c}: witness outside the box"
            margin = min(sum((Wq[c][j] - Wq[i][j]) * x[j] for j in range(d)) + bq[c] - bq[i] for i in range(C) if i != c)
            assert margin > 0, f"class {c}: witness margin {float(margin)} is not positive"
            proven_max.add(c)
        else:
            m = entry["multipliers"]
            lam = [Fraction(s) for s in m["exact"]] if "exact" in m else [Fraction(w) for w in m["weights"]]
            assert all(l >= 0 for l in lam) and sum(lam) > 0 and c not in m["indices"]
            total = sum(lam)
            v = [sum(l * (Wq[c][j] - Wq[i][j]) for l, i in zip(lam, m["indices"])) for j in range(d)]
            beta = sum(l * (bq[c] - bq[i]) for l, i in zip(lam, m["indices"]))
            if radius is None:
                assert all(x == 0 for x in v), f"class {c}: unbounded domain needs Σλ(w_c − w_i) = 0 exactly"
                bound = beta / total
            else:
                bound = (beta + radius * sum(abs(x) for x in v)) / total
            assert bound <= 0, f"class {c}: multiplier bound {float(bound)} is positive"
            proven_unmax.add(c)
    return proven_max, proven_unmax


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("classes, dim, seed", [(60, 2, 1), (120, 3, 2), (150, 5, 3), (80, 8, 4)])
def test_verdicts_and_certificates(unargmax, tmp_path, classes, dim, seed, bias):
    layer = tmp_path / "layer.npz"
    flags = ["--bias"] if bias else []
    unargmax("random", "--classes", classes, "--dim", dim, "--seed", seed, *flags, "--save", layer)
    certs = tmp_path / "certs.json"
    _, out, _ = unargmax("check", layer, "--unbounded", "--format", "json", "--certificates", certs, "--quiet")
    report = json.loads(out)
    with np.load(layer) as z:
        W, b = z["W"], (z["b"] if bias else None)
    expected = scipy_unargmaxable(W, b)
    got = [c["index"] for c in report["classes"] if c["verdict"] == "unargmaxable"]
    assert report["schema"] == "unargmaxable.report/1"
    assert report["summary"]["undecided"] == 0
    assert got == expected
    proven_max, proven_unmax = verify_certificates(W, b, json.loads(certs.read_text()), report["domain"])
    assert proven_unmax == set(expected) and proven_max == set(range(classes)) - set(expected)


def test_box_domain_certificates(unargmax, tmp_path):
    layer = tmp_path / "layer.npz"
    unargmax("random", "--classes", 200, "--dim", 6, "--seed", 5, "--bias", "--save", layer)
    certs = tmp_path / "certs.json"
    _, out, _ = unargmax("check", layer, "--box", 2, "--format", "json", "--certificates", certs, "--quiet")
    report = json.loads(out)
    assert report["domain"] == {"kind": "box", "radius": 2.0}
    with np.load(layer) as z:
        proven_max, proven_unmax = verify_certificates(z["W"], z["b"], json.loads(certs.read_text()), report["domain"])
    verdicts = {c["index"]: c["verdict"] for c in report["classes"]}
    assert proven_max == {c for c, v in verdicts.items() if v == "argmaxable"}
    assert proven_unmax == {c for c, v in verdicts.items() if v == "unargmaxable"}
    # A small box can only remove argmaxable classes compared with unbounded inputs.
    _, out, _ = unargmax("check", layer, "--unbounded", "--format", "json", "--quiet")
    unbounded = {c["index"] for c in json.loads(out)["classes"] if c["verdict"] == "unargmaxable"}
    assert unbounded <= proven_unmax


@pytest.mark.parametrize("classes, dim, seed, flags", [(500, 6, 8, ["--bias"]), (12000, 8, 5, ["--bias"]),
                                                      (6000, 16, 3, [])])
def test_threads_do_not_change_results(unargmax, tmp_path, classes, dim, seed, flags):
    # OpenBLAS splits one product over its threads and rounds the splits' edges differently: the
    # 12000 x 8 layer had 860 classes with other margin bounds under 1 and 2 threads until every
    # product was cut into row groups fixed by the shapes alone.
    layer = tmp_path / "layer.npz"
    unargmax("random", "--classes", classes, "--dim", dim, "--seed", seed, *flags, "--save", layer)
    outputs = []
    for threads in (1, 2):
        _, out, _ = unargmax("check", layer, "--threads", threads, "--format", "json", "--quiet", "--chunk-size", 3000)
        report = json.loads(out)
        report["summary"].pop("seconds")
        outputs.append(report)
    assert outputs[0] == outputs[1]


def test_output_file_and_formats(unargmax, tmp_path):
    layer = tmp_path / "layer.npz"
    unargmax("random", "--classes", 50, "--dim", 3, "--seed", 1, "--save", layer)
    report = tmp_path / "report.csv"
    _, out, _ = unargmax("check", layer, "--format", "csv", "--output", report, "--quiet")
    assert out == ""
    lines = report.read_text().splitlines()
    assert lines[0] == "index,verdict,steps,margin_lower,margin_upper,stage" and len(lines) == 51
    _, text, _ = unargmax("check", layer, "--quiet")
    assert "unargmaxable:" in text


def test_bad_input_leaves_no_output(unargmax, tmp_path):
    bad = tmp_path / "bad.npz"
    W = np.ones((4, 2), np.float32)
    W[2, 0] = np.inf
    np.savez(bad, W=W)
    out_file = tmp_path / "report.json"
    code, out, err = unargmax("check", bad, "--output", out_file, check=False)
    assert code != 0 and not out_file.exists() and "bad.npz" in err and "Traceback" not in err
    code, _, err = unargmax("check", tmp_path / "missing.npz", check=False)
    assert code != 0 and "No such file" in err


def test_prevention(unargmax):
    # Prevented layers have no unargmaxable class; raw random layers in low dimension do.
    assert unargmax("prevent", "--classes", 300, "--dim", 3, check=False)[0] == 0
    assert unargmax("prevent", "--classes", 300, "--dim", 3, "--bias", check=False)[0] == 0
    assert unargmax("prevent", "--classes", 300, "--dim", 3, "--do-not-prevent", check=False)[0] != 0
    assert unargmax("prevent", "--classes", 300, "--dim", 3, "--bias", "--do-not-prevent", check=False)[0] != 0


def test_random_reports_precision_and_recall(unargmax_json):
    report = unargmax_json("random", "--classes", 300, "--dim", 8, "--seed", 3, "--patience", 50)
    exact = report["detectors"]["exact"]
    assert exact["precision"] == 1.0 and exact["recall"] == 1.0
    approx = report["detectors"]["approximate"]
    assert approx["recall"] == 1.0 and 0 < approx["precision"] <= 1.0


def test_rankings_enumeration_matches_count(unargmax, tmp_path):
    for bias in ([], ["--bias"]):
        layer = tmp_path / "small.npz"
        unargmax("random", "--classes", 6, "--dim", 2, "--seed", 4, *bias, "--save", layer, "--no-detectors")
        _, out, _ = unargmax("rankings", layer, "--enumerate")
        lines = out.strip().splitlines()
        expected = unargmax("count", "--classes", 6, "--dim", 2, "--bias" if bias else "--no-bias", "--format", "json")[1]
        import json as _json
        regions = int(_json.loads(expected)["regions"])
        assert len(lines) - 1 == regions and lines[-1].startswith(f"{regions} feasible rankings of 720")
        # Each listed ranking is realised by the witness that --check reports.
        first = lines[0].replace(" < ", ",")
        _, check, _ = unargmax("rankings", layer, "--check", first)
        assert check.startswith("feasible")


def test_verify_accepts_real_and_rejects_tampered_certificates(unargmax, tmp_path):
    layer = tmp_path / "layer.npz"
    unargmax("random", "--classes", 300, "--dim", 5, "--seed", 6, "--bias", "--save", layer, "--no-detectors")
    certs = tmp_path / "certs.json"
    unargmax("check", layer, "--certificates", certs, "--quiet")
    for extra in ([], ["--exact"]):
        code, out, _ = unargmax("verify", layer, certs, *extra, check=False)
        assert code == 0 and "every certificate holds" in out
    data = json.loads(certs.read_text())
    witnesses = [e for e in data["classes"] if "witness" in e]
    multipliers = [e for e in data["classes"] if "multipliers" in e]
    assert witnesses and multipliers
    # A witness moved to another class proves nothing for it.
    tampered = json.loads(certs.read_text())
    a, b = witnesses[0]["index"], witnesses[1]["index"]
    for e in tampered["classes"]:
        if e["index"] == a:
            e["witness"] = witnesses[1]["witness"]
    bad = tmp_path / "bad-witness.json"
    bad.write_text(json.dumps(tampered))
    code, out, _ = unargmax("verify", layer, bad, check=False)
    assert code == 1 and f"class {a}" in out
    # Multipliers resting on a single argmaxable competitor do not bound the margin below 0.
    tampered = json.loads(certs.read_text())
    c = multipliers[0]["index"]
    for e in tampered["classes"]:
        if e["index"] == c:
            e["multipliers"] = {"indices": [b], "weights": [1.0]}
    bad = tmp_path / "bad-multipliers.json"
    bad.write_text(json.dumps(tampered))
    code, out, _ = unargmax("verify", layer, bad, check=False)
    assert code == 1 and f"class {c}" in out
    # Malformed files are refused with the file's name.
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "unargmaxable.certificates/1", "domain": ')
    code, _, err = unargmax("verify", layer, broken, check=False)
    assert code != 0 and "broken.json" in err and "Traceback" not in err
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    code, _, err = unargmax("verify", layer, deep, check=False)
    assert code != 0 and "nested deeper" in err


@pytest.mark.parametrize("dim, domain", [(4, ["--unbounded"]), (6, ["--box", "1"])])
def test_interior_heavy_layers_take_the_containment_route(unargmax, tmp_path, dim, domain):
    """Mostly interior classes (the probe sends them to containment rounds): 120 extreme points, 2880
    convex combinations and duplicates of both kinds, shuffled.
    Verdicts equal Qhull's and every certificate checks exactly."""
    rng = np.random.default_rng(dim)
    extreme = rng.normal(size=(120, dim))
    extreme /= np.linalg.norm(extreme, axis=1, keepdims=True)
    picks = rng.integers(0, 120, (2880, 3))
    weights = rng.exponential(size=(2880, 3))
    inside = 0.97 * np.einsum("ik,ikd->id", weights / weights.sum(1, keepdims=True), extreme[picks])
    W = np.vstack([extreme, inside, extreme[:5], inside[:5]]).astype(np.float32)
    W = W[rng.permutation(len(W))]
    layer = tmp_path / "layer.npz"
    np.savez(layer, W=W)
    certs = tmp_path / "certs.json"
    _, out, _ = unargmax("check", layer, *domain, "--format", "json", "--certificates", certs, "--quiet")
    report = json.loads(out)
    expected = scipy_unargmaxable(W, None)
    assert report["summary"]["undecided"] == 0
    assert [c["index"] for c in report["classes"] if c["verdict"] == "unargmaxable"] == expected
    assert report["summary"]["argmaxable"] == 115  # the five duplicated vertices tie with their copies
    proven_max, proven_unmax = verify_certificates(W, None, json.loads(certs.read_text()), report["domain"])
    assert proven_unmax == set(expected) and proven_max == set(range(len(W))) - set(expected)
    # Containment settles the interior: margins exactly 0, no braid-reflect steps for most classes.
    interior = [c for c in report["classes"] if c["verdict"] == "unargmaxable"]
    assert all(c["margin"]["upper"] == 0 for c in interior)
    assert sum(c["steps"] == 0 for c in report["classes"]) > 2500


def test_output_to_devices_and_pipes_is_written_into_not_replaced(unargmax, tmp_path):
    """`--output /dev/null` once replaced /dev/null with a regular file when run as root (the atomic
    rename); devices and pipes are now written into."""
    import stat
    import threading

    layer = tmp_path / "layer.npz"
    unargmax("random", "--classes", 40, "--dim", 3, "--seed", 1, "--save", layer)
    unargmax("check", layer, "--quiet", "--output", "/dev/null", "--certificates", "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo).read()))
    reader.start()
    unargmax("check", layer, "--quiet", "--format", "json", "--output", fifo)
    reader.join(timeout=60)
    assert json.loads(received[0])["summary"]["decided_classes"] == 40
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
