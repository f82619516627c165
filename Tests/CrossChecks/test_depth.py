"""`unargmax depth` and `unargmax sigmoid` end to end: rank depths against a brute force over subsets
with scipy's linprog, every certificate in the JSON re-verified in exact Python fractions, the
sigmoid verdicts against a linprog decision per label set, and bad input."""
import itertools
import json
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import linprog

from test_hulls import save_layer


def strict_margin(W, b, c, kept, radius):
    """max t s.t. (w_i − w_c)·x + t ≤ b_c − b_i for i in kept, |x_j| ≤ radius (None: free), t ≤ 1."""
    C, d = W.shape
    if not kept:
        return 1.0
    A = np.array([np.append(W[i] - W[c], 1.0) for i in kept], dtype=float)
    rhs = np.array([b[c] - b[i] for i in kept], dtype=float)
    bounds = [(-radius, radius) if radius is not None else (None, None)] * d + [(None, 1.0)]
    res = linprog(np.append(np.zeros(d), -1.0), A_ub=A, b_ub=rhs, bounds=bounds, method="highs")
    return -res.fun if res.status == 0 else -np.inf


def brute_force_depth(W, b, c, radius):
    """The smallest S such that some x puts every class outside S ∪ {c} strictly below c."""
    C = W.shape[0]
    others = [i for i in range(C) if i != c]
    for size in range(len(others) + 1):
        for S in itertools.combinations(others, size):
            kept = [i for i in others if i not in S]
            if strict_margin(W, b, c, kept, radius) > 1e-7:
                return size
    return len(others)


def exact_layer(W, b):
    C = W.shape[0]
    Wq = [[Fraction(float(v)) for v in row] for row in W]
    bq = [Fraction(float(v)) for v in b] if b is not None else [Fraction(0)] * C
    return Wq, bq


def check_depth_certificates(W, b, entry, radius):
    """Exact re-check of one class: the witness's beaters and every proof of the lower bound."""
    Wq, bq = exact_layer(W, b)
    C, d = W.shape
    c = entry["index"]
    x = [Fraction(v) for v in entry["witness"]["input"]]
    assert radius is None or all(abs(v) <= radius for v in x)
    yc = sum(Wq[c][j] * x[j] for j in range(d)) + bq[c]
    beaters = {i for i in range(C) if i != c and sum(Wq[i][j] * x[j] for j in range(d)) + bq[i] >= yc}
    assert beaters <= set(entry["witness"]["beaters"])
    assert entry["depth"]["upper"] == len(entry["witness"]["beaters"])
    lower = entry["lower_certificate"]
    supports = []
    for proof in lower["proofs"]:
        lam = [Fraction(s) for s in proof["exact"]]
        assert all(l >= 0 for l in lam) and sum(lam) > 0 and c not in proof["indices"]
        v = [sum(l * (Wq[c][j] - Wq[i][j]) for l, i in zip(lam, proof["indices"])) for j in range(d)]
        beta = sum(l * (bq[c] - bq[i]) for l, i in zip(lam, proof["indices"]))
        if radius is None:
            assert all(t == 0 for t in v)
            bound = beta
        else:
            bound = beta + Fraction(radius) * sum(abs(t) for t in v)
        assert bound <= 0
        supports.append(set(proof["indices"]))
    k = lower["bound"]
    if k == 0:
        return
    if lower["kind"] == "disjoint":
        assert len(supports) >= k and all(not (s & t) for s, t in itertools.combinations(supports, 2))
    elif lower["kind"] == "fractional":
        alpha = [Fraction(a) for a in lower["packing"]]
        for i in set().union(*supports):
            assert sum(a for a, s in zip(alpha, supports) if i in s) <= 1
        assert k - 1 < sum(alpha)
    else:  # transversal: no k − 1 classes meet every support
        universe = sorted(set().union(*supports))
        for T in itertools.combinations(universe, k - 1):
            assert any(not (s & set(T)) for s in supports)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("domain", ["box", "unbounded"])
@pytest.mark.parametrize("classes, dim, seed", [(8, 2, 1), (10, 3, 2), (9, 4, 3)])
def test_depth_against_brute_force(unargmax, tmp_path, classes, dim, seed, bias, domain):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((classes, dim)).astype(np.float32)
    b = rng.standard_normal(classes).astype(np.float32) if bias else None
    path = save_layer(tmp_path / "layer.npz", W, b)
    flags = ["--box", "3"] if domain == "box" else ["--unbounded"]
    _, out, _ = unargmax("depth", path, *flags, "--format", "json", "--threads", "1")
    report = json.loads(out)
    assert report["schema"] == "unargmaxable.depth/1"
    radius = 3 if domain == "box" else None
    bb = b.astype(float) if bias else np.zeros(classes)
    histogram = {}
    for entry in report["classes"]:
        c = entry["index"]
        truth = brute_force_depth(W.astype(float), bb, c, radius)
        assert entry["depth"] == {"lower": truth, "upper": truth}, f"class {c}"
        assert entry["top_k_reachable_from"] == truth + 1
        check_depth_certificates(W, b, entry, radius)
        histogram[str(truth)] = histogram.get(str(truth), 0) + 1
    assert report["histogram"] == histogram


def test_regular_polygon_centre(unargmax, tmp_path):
    n = 7
    angles = 2 * np.pi * np.arange(n) / n
    W = np.vstack([np.stack([np.cos(angles), np.sin(angles)], axis=1), [[0.0, 0.0]]]).astype(np.float32)
    path = save_layer(tmp_path / "polygon.npz", W)
    _, out, _ = unargmax("depth", path, "--unbounded", "--format", "json")
    centre = json.loads(out)["classes"][n]
    assert centre["depth"] == {"lower": n // 2, "upper": n // 2}
    _, csv, _ = unargmax("depth", path, "--unbounded", "--format", "csv", "--max-k", "2")
    assert csv.splitlines()[0] == "index,depth_lower,depth_upper,top_k_reachable_from"


def sigmoid_feasible(W, b, S, radius):
    """Some x with y_i ≥ t (i in S), y_j ≤ −t (others), t > 0: strict feasibility of the label set (in
    general position every feasible set is strictly feasible, except the empty set at x = 0 without bias)."""
    C, d = W.shape
    if not S and not np.any(b):
        return True
    rows, rhs = [], []
    for i in range(C):
        if i in S:
            rows.append(np.append(-W[i], 1.0))
            rhs.append(b[i])
        else:
            rows.append(np.append(W[i], 1.0))
            rhs.append(-b[i])
    bounds = [(-radius, radius) if radius is not None else (-1, 1)] * d + [(None, 1.0)]
    res = linprog(
        np.append(np.zeros(d), -1.0), A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs"
    )
    return res.status == 0 and -res.fun > 1e-9


@pytest.mark.parametrize("bias", [False, True])
def test_sigmoid_sets(unargmax, tmp_path, bias):
    rng = np.random.default_rng(5)
    C, d = 7, 3
    W = rng.standard_normal((C, d)).astype(np.float32)
    b = rng.standard_normal(C).astype(np.float32) if bias else None
    path = save_layer(tmp_path / "sig.npz", W, b)
    flags = ["--unbounded"] if not bias else ["--box", "2"]
    _, out, _ = unargmax("sigmoid", path, "--k", "2", *flags, "--format", "json", "--threads", "1")
    report = json.loads(out)
    Wq, bq = exact_layer(W, b)
    radius = None if not bias else 2
    bb = b.astype(float) if bias else np.zeros(C)
    assert len(report["sets"]) == 1 + C + C * (C - 1) // 2
    by_labels = {tuple(e["labels"]): e for e in report["sets"]}
    for entry in report["sets"]:
        S = set(entry["labels"])
        assert entry["feasible"] == sigmoid_feasible(W.astype(float), bb, S, radius), entry["labels"]
        if entry["feasible"]:
            x = [Fraction(v) for v in entry["witness"]]
            for i in range(C):
                y = sum(Wq[i][j] * x[j] for j in range(d)) + bq[i]
                assert (y > 0) == (i in S)
        else:
            cert = entry["certificate"]
            if "same_as" in cert:  # a smaller set's certificate, which must apply to this set too
                cert = by_labels[tuple(cert["same_as"])]["certificate"]
                assert "same_as" not in cert
            terms = [(i, Fraction(s)) for i, s in zip(cert["positive"]["indices"], cert["positive"]["exact"])]
            terms += [(i, -Fraction(s)) for i, s in zip(cert["negative"]["indices"], cert["negative"]["exact"])]
            assert all(i in S for i in cert["positive"]["indices"])
            assert not any(i in S for i in cert["negative"]["indices"])
            v = [sum(l * Wq[i][j] for i, l in terms) for j in range(d)]
            beta = sum(l * bq[i] for i, l in terms)
            bound = beta + (Fraction(radius) * sum(abs(t) for t in v) if radius is not None else 0)
            if radius is None:
                assert all(t == 0 for t in v)
            if cert["positive"]["indices"]:
                assert bound <= 0
            else:
                assert bound < 0
    if not bias:
        count = report["count"]
        assert count["enumeration_complete"] is True
        assert int(count["general_position"]) == 2 * sum(
            int(np.round(np.prod([(C - 1 - k) / (k + 1) for k in range(i)]))) for i in range(d)
        )


def test_bad_input(unargmax, tmp_path):
    missing = tmp_path / "missing.npz"
    code, out, err = unargmax("depth", missing, check=False)
    assert code != 0 and out == "" and str(missing) in err
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    code, out, err = unargmax("sigmoid", broken, check=False)
    assert code != 0 and out == "" and str(broken) in err
