"""Counts against brute-force enumeration: for a random layer, test every one of the |C|! rankings for
feasibility with an LP (scipy's HiGHS) and count those that some input realises."""
import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

import independent_counts


def ranking_is_feasible(W, b, ranking):
    """Is there x with y_{r0} < y_{r1} < ... (strictly)? Maximise the smallest gap t (capped at 1):
    the ranking is feasible iff t* > 0. Without a bias the regions are cones, so a box on x loses nothing."""
    d = W.shape[1]
    rows, rhs = [], []
    for lo, hi in zip(ranking, ranking[1:]):
        # t - (w_hi - w_lo)·x <= b_hi - b_lo
        rows.append(np.concatenate([-(W[hi] - W[lo]), [1.0]]))
        rhs.append(b[hi] - b[lo])
    bounds = [(-1e4, 1e4)] * d + [(None, 1.0)]
    result = linprog(c=np.concatenate([np.zeros(d), [-1.0]]), A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
    assert result.status == 0, result.message
    return -result.fun > 1e-9


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("classes, dim", [(3, 1), (4, 1), (4, 2), (5, 2), (5, 3), (6, 2), (6, 3), (6, 4)])
def test_enumerated_regions_equal_the_count(unargmax_json, classes, dim, bias):
    rng = np.random.default_rng(100 * classes + dim)
    W = rng.normal(size=(classes, dim))
    b = rng.normal(size=classes) if bias else np.zeros(classes)
    feasible = sum(ranking_is_feasible(W, b, r) for r in itertools.permutations(range(classes)))
    got = unargmax_json("count", "--classes", classes, "--dim", dim, "--bias" if bias else "--no-bias")
    assert int(got["regions"]) == feasible == independent_counts.count(classes, dim, bias)["regions"]
