"""`check --interiority` against scipy (Qhull distances from ConvexHull.equations, margins and Chebyshev
radii from HiGHS LPs) and `regions` against brute-force LP enumeration of every ranking, with the Farkas
certificates re-checked in exact Python fractions."""
import itertools
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.spatial import ConvexHull

from test_count_enumeration import ranking_is_feasible
import independent_counts


def save_layer(path, W, b=None):
    arrays = {"W": np.asarray(W, dtype=np.float32)}
    if b is not None:
        arrays["b"] = np.asarray(b, dtype=np.float32)
    np.savez(path, **arrays)
    return str(path)


def hull_distance(W, b, c):
    """max over facets of n·p + o (scipy's unit normals, ≤ 0 inside) for class c against the others;
    with a bias: the lifted point against the others' upper facets and the vertical facets over conv{w_i}."""
    others = [i for i in range(len(W)) if i != c]
    base = ConvexHull(W[others])
    distance = np.max(base.equations[:, :-1] @ W[c] + base.equations[:, -1])
    if b is None:
        return distance
    lifted = np.hstack([W[others], b[others, None]])
    hull = ConvexHull(lifted)
    upper = hull.equations[hull.equations[:, -2] > 1e-12]
    point = np.concatenate([W[c], [b[c]]])
    return max(distance, np.max(upper[:, :-1] @ point + upper[:, -1]))


def margin(W, b, c, radius):
    """max t with (w_i − w_c)·x + t ≤ b_c − b_i, |x_j| ≤ radius."""
    C, d = W.shape
    others = [i for i in range(C) if i != c]
    A = np.hstack([W[others] - W[c], np.ones((len(others), 1))])
    result = linprog(
        np.concatenate([np.zeros(d), [-1.0]]), A_ub=A, b_ub=b[c] - b[others],
        bounds=[(-radius, radius)] * d + [(None, None)], method="highs")
    assert result.status == 0, result.message
    return -result.fun


def chebyshev(W, b, c, radius):
    """max r with (w_i − w_c)·x + r‖w_i − w_c‖ ≤ b_c − b_i and x_j ± r inside the box."""
    C, d = W.shape
    others = [i for i in range(C) if i != c]
    a = W[others] - W[c]
    rows = [np.concatenate([a[k], [np.linalg.norm(a[k])]]) for k in range(len(others))]
    rhs = list(b[c] - b[others])
    for j in range(d):
        for sign in (1.0, -1.0):
            rows.append(np.concatenate([sign * np.eye(d)[j], [1.0]]))
            rhs.append(radius)
    result = linprog(
        np.concatenate([np.zeros(d), [-1.0]]), A_ub=np.array(rows), b_ub=np.array(rhs),
        bounds=[(None, None)] * d + [(0, None)], method="highs")
    assert result.status == 0, result.message
    return -result.fun


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("classes, dim, seed", [(14, 2, 1), (20, 3, 2), (24, 4, 3), (30, 5, 4)])
def test_check_interiority_against_scipy(unargmax_json, tmp_path, classes, dim, seed, bias):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(classes, dim)).astype(np.float32).astype(np.float64)
    b = rng.normal(size=classes).astype(np.float32).astype(np.float64) if bias else None
    path = save_layer(tmp_path / "layer.npz", W, b)
    radius = 5.0
    report = unargmax_json("check", path, "--interiority", "--box", radius, "--quiet")
    bb = b if b is not None else np.zeros(classes)
    assert len(report["classes"]) == classes
    for entry in report["classes"]:
        c, depth = entry["index"], entry["interiority"]
        assert depth["verdict"] == entry["verdict"]
        lower, upper = depth["margin"]["lower"], depth["margin"]["upper"]
        m = margin(W, bb, c, radius)
        assert lower - 1e-6 <= m <= upper + 1e-6, (c, lower, m, upper)
        # Bias increase: max(0, −m) bracketed by [max(0, −upper), max(0, −lower)].
        assert depth["bias_increase"]["lower"] == max(0.0, -upper)
        assert depth["bias_increase"]["upper"] == max(0.0, -lower)
        assert depth["hull_distance"] == pytest.approx(hull_distance(W, b, c), abs=1e-6)
        if entry["verdict"] == "argmaxable":
            ball = depth["chebyshev"]
            r = chebyshev(W, bb, c, radius)
            assert ball["radius"] == pytest.approx(r, rel=1e-6, abs=1e-9)
            assert 0 <= ball["certified_radius"] <= ball["radius"] * (1 + 1e-9)
            assert depth["weight_scaling"]["status"] == depth["weight_shrinking"]["status"] == "not_needed"
            assert depth["hull_distance"] > 0 or bias  # without bias: a vertex is outside the others' hull
        else:
            assert depth["chebyshev"] is None
            assert depth["weight_scaling"]["status"] in ("bracket", "never")
            scaled = W.copy()

            def margin_at(factor):
                scaled[c] = (factor * W[c]).astype(np.float32)
                return margin(scaled, bb, c, radius)

            s = depth["weight_scaling"]
            if s["status"] == "bracket":
                assert 1 <= s["lower"] <= s["upper"]
                assert margin_at(s["lower"]) <= 1e-7
                if s["upper"] is not None:
                    assert margin_at(s["upper"]) > -1e-7
            shrink = depth["weight_shrinking"]
            assert shrink["status"] in ("bracket", "none")
            if shrink["status"] == "none":
                assert margin_at(0.0) <= 1e-7
            else:
                assert margin_at(shrink["lower"]) > -1e-7 and margin_at(shrink["upper"]) <= 1e-7


def test_check_interiority_csv_keeps_the_columns(unargmax, tmp_path):
    rng = np.random.default_rng(7)
    path = save_layer(tmp_path / "layer.npz", rng.normal(size=(10, 2)))
    header = unargmax("check", path, "--interiority", "--quiet", "--format", "csv")[1].splitlines()[0]
    assert header.startswith("index,verdict,steps,margin_lower,margin_upper,stage,")
    assert header.endswith("chebyshev_radius,chebyshev_certified_radius,hull_distance")


def recession_is_trivial(W, ranking):
    """Is {v : (w_{π(k+1)} − w_{π(k)})·v ≥ 0 for all k} = {0}? Maximise ±v_j over it within |v| ≤ 1."""
    d = W.shape[1]
    A = np.array([W[hi] - W[lo] for lo, hi in zip(ranking, ranking[1:])])
    for j in range(d):
        for sign in (1.0, -1.0):
            result = linprog(-sign * np.eye(d)[j], A_ub=-A, b_ub=np.zeros(len(A)), bounds=[(-1, 1)] * d, method="highs")
            if -result.fun > 1e-9:
                return False
    return True


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("classes, dim", [(4, 1), (5, 2), (6, 2), (6, 3)])
def test_regions_against_brute_force(unargmax_json, tmp_path, classes, dim, bias):
    rng = np.random.default_rng(10 * classes + dim)
    W = rng.normal(size=(classes, dim)).astype(np.float32).astype(np.float64)
    b = rng.normal(size=classes).astype(np.float32).astype(np.float64) if bias else None
    path = save_layer(tmp_path / "layer.npz", W, b)
    got = unargmax_json("regions", path)
    bb = b if b is not None else np.zeros(classes)
    brute = {r for r in itertools.permutations(range(classes)) if ranking_is_feasible(W, bb, r)}
    listed = {tuple(entry["ranking"]) for entry in got["rankings"]}
    assert listed == brute
    assert got["feasible"] == len(brute) == got["formula"]["regions"]
    assert got["undetermined"] == 0
    expected = independent_counts.count(classes, dim, bias)
    assert got["formula"]["regions"] == expected["regions"]
    for entry in got["rankings"]:
        y = W @ np.array(entry["witness"]) + bb
        assert list(np.argsort(y, kind="stable")) == entry["ranking"]
        assert entry["bounded"] == (bias and recession_is_trivial(W, entry["ranking"]))
    assert got["bounded"] == got["formula"]["bounded_regions"]
    assert got["argmaxable"] == sorted({entry["ranking"][-1] for entry in got["rankings"]})


def test_ranking_certificates_check_in_fractions(unargmax_json, tmp_path):
    rng = np.random.default_rng(3)
    W = rng.normal(size=(6, 2)).astype(np.float32)
    b = rng.normal(size=6).astype(np.float32)
    path = save_layer(tmp_path / "layer.npz", W, b)
    seen = {True: 0, False: 0}
    for ranking in itertools.islice(itertools.permutations(range(6)), 0, 720, 7):
        got = unargmax_json("regions", path, "--ranking", ",".join(map(str, ranking)))
        assert got["ranking"] == list(ranking)
        seen[got["feasible"]] += 1
        if got["feasible"]:
            y = [sum(Fraction(float(W[i, j])) * Fraction(x) for j, x in enumerate(got["witness"])) + Fraction(float(b[i]))
                 for i in range(6)]
            assert all(y[lo] < y[hi] for lo, hi in zip(ranking, ranking[1:]))
        else:
            lam = [Fraction(text) for text in got["farkas"]]
            assert all(v >= 0 for v in lam) and any(v > 0 for v in lam)
            pairs = list(zip(ranking, ranking[1:]))
            for j in range(2):
                assert sum(l * (Fraction(float(W[hi, j])) - Fraction(float(W[lo, j]))) for l, (lo, hi) in zip(lam, pairs)) == 0
            assert sum(l * (Fraction(float(b[hi])) - Fraction(float(b[lo]))) for l, (lo, hi) in zip(lam, pairs)) <= 0
    assert seen[True] > 0 and seen[False] > 0


def test_regions_refuses_bad_input_cleanly(unargmax, tmp_path):
    missing = tmp_path / "missing.npz"
    code, out, err = unargmax("regions", missing, check=False)
    assert code != 0 and out == "" and "missing.npz" in err
    path = save_layer(tmp_path / "big.npz", np.ones((11, 2)))
    code, out, err = unargmax("regions", path, check=False)
    assert code != 0 and out == "" and "big.npz" in err
