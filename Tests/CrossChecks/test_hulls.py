"""`unargmax random` / `unargmax hull` against scipy's Qhull (an independent wrapper, options and code path)."""
import json

import numpy as np
import pytest
from scipy.spatial import ConvexHull


def scipy_unargmaxable(W, b=None):
    """Ground truth from scipy: no bias — rows that are not hull vertices; bias — lifted rows (w, b)
    that are not vertices of an upper facet. Exact duplicates are unargmaxable, both copies."""
    W = np.asarray(W, dtype=np.float64)
    points = W if b is None else np.hstack([W, np.asarray(b, dtype=np.float64)[:, None]])
    hull = ConvexHull(points)
    if b is None:
        argmaxable = set(hull.vertices.tolist())
    else:
        upper = hull.equations[:, -2] > 1e-12  # outward normal's last coordinate points up
        argmaxable = set(np.unique(hull.simplices[upper]).tolist())
    _, inverse, counts = np.unique(points, axis=0, return_inverse=True, return_counts=True)
    duplicated = {i for i in range(len(points)) if counts[inverse.reshape(-1)[i]] > 1}
    argmaxable -= duplicated
    return sorted(set(range(len(points))) - argmaxable)


def save_layer(path, W, b=None):
    arrays = {"W": np.asarray(W, dtype=np.float32)}
    if b is not None:
        arrays["b"] = np.asarray(b, dtype=np.float32)
    np.savez(path, **arrays)
    return str(path)


CASES = [(c, d, seed) for d in range(2, 9) for (c, seed) in [(12 + 6 * d, 1), (40, 2), (25 + 10 * d, 3)]]


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("classes, dim, seed", CASES)
def test_random_layers_agree_with_scipy(unargmax_json, tmp_path, classes, dim, seed, bias):
    path = tmp_path / "layer.npz"
    flags = ["--bias"] if bias else []
    report = unargmax_json("random", "--classes", classes, "--dim", dim, "--seed", seed, *flags, "--save", path)
    with np.load(path) as layer:
        W = layer["W"]
        b = layer["b"] if bias else None
        assert W.shape == (classes, dim) and W.dtype == np.float32
        assert ("b" in layer.files) == bias
    expected = scipy_unargmaxable(W, b)
    hull = unargmax_json("hull", path, *flags)
    assert hull["unargmaxable"] == expected
    assert sorted(hull["vertices"] + hull["unargmaxable"]) == list(range(classes))
    assert (hull["classes"], hull["dimension"], hull["bias"]) == (classes, dim, bias)
    assert report["qhull"]["unargmaxable"] == expected


def test_seeds_are_reproducible(unargmax, tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    unargmax("random", "--classes", 30, "--dim", 4, "--seed", 9, "--save", a)
    unargmax("random", "--classes", 30, "--dim", 4, "--seed", 9, "--save", b)
    with np.load(a) as x, np.load(b) as y:
        assert np.array_equal(x["W"], y["W"])


def test_square_with_centre(unargmax_json, tmp_path):
    path = save_layer(tmp_path / "sq.npz", [[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]])
    assert unargmax_json("hull", path)["unargmaxable"] == [4]


def test_paper_figure_1(unargmax_json, tmp_path):
    # Four classes in d = 2, one of them inside the triangle of the other three.
    path = save_layer(tmp_path / "fig1.npz", [[0, 2], [-2, -1], [2, -1], [0.1, 0.2]])
    assert unargmax_json("hull", path)["unargmaxable"] == [3]


def test_duplicates_and_collinear_points(unargmax_json, tmp_path):
    # Rows 1 and 4 are identical: under the strict definition neither can be the unique argmax.
    # Row 5 lies on the segment between rows 0 and 2: on the boundary, but not a vertex.
    W = [[0, 0], [3, 1], [4, 0], [0, 4], [3, 1], [2, 0]]
    path = save_layer(tmp_path / "dup.npz", W)
    assert unargmax_json("hull", path)["unargmaxable"] == [1, 4, 5]


def test_bias_lifts_an_interior_point_out(unargmax_json, tmp_path):
    # The centre of the square is unargmaxable without bias; a large bias makes it win near x = 0.
    W = [[1, 0], [-1, 0], [0, 1], [0, -1], [0, 0]]
    path = save_layer(tmp_path / "lift.npz", W, [0, 0, 0, 0, 5])
    assert unargmax_json("hull", path)["unargmaxable"] == [4]
    assert unargmax_json("hull", path, "--bias")["unargmaxable"] == []
    path = save_layer(tmp_path / "sink.npz", W, [0, 0, 0, 0, -5])
    assert unargmax_json("hull", path, "--bias")["unargmaxable"] == [4]


def test_high_dimension_is_refused_without_force(unargmax, tmp_path):
    rng = np.random.default_rng(0)
    path = save_layer(tmp_path / "d10.npz", rng.normal(size=(30, 10)))
    code, out, err = unargmax("hull", path, check=False)
    assert code != 0 and "--force" in err and out == ""
    code, out, _ = unargmax("hull", path, "--force", "--format", "json")
    assert code == 0 and json.loads(out)["dimension"] == 10


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "No such file"),
        (b"not a zip at all", "not a valid .npz"),
        (b"PK\x03\x04truncated", "not a valid .npz"),
        (b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f4'", "truncated"),
    ],
)
def test_bad_files_are_refused_clearly(unargmax, tmp_path, content, message):
    path = tmp_path / "bad.npz"
    if content is not None:
        path.write_bytes(content)
    code, out, err = unargmax("hull", path, check=False)
    assert code != 0 and out == ""
    assert str(path) in err and message in err
    assert "Traceback" not in err and "Fatal error" not in err


def test_nan_weights_are_refused(unargmax, tmp_path):
    path = save_layer(tmp_path / "nan.npz", [[0, 0], [1, np.nan], [0, 1]])
    code, _, err = unargmax("hull", path, check=False)
    assert code != 0 and "nan.npz" in err and ("NaN" in err or "finite" in err)


def test_plot_writes_svg(unargmax, tmp_path):
    svg = tmp_path / "hull.svg"
    unargmax("random", "--classes", 20, "--dim", 2, "--seed", 1, "--plot", svg)
    text = svg.read_text()
    assert text.startswith("<svg") and text.count("<circle") == 20 and "<line" in text
    svg3 = tmp_path / "hull3.svg"
    unargmax("random", "--classes", 20, "--dim", 3, "--seed", 1, "--bias", "--plot", svg3)
    assert svg3.read_text().count("<circle") == 20
