"""`unargmax count` against an independent exact implementation (product tree + Kronecker substitution)."""
import random

import pytest

import independent_counts


@pytest.mark.parametrize("bias", [True, False])
def test_llm_sized_count_matches_digit_for_digit(unargmax_json, bias):
    # A Transformer-base MT shape: the Swift tool's multi-modular series path against exact integers.
    got = unargmax_json("count", "--classes", 32000, "--dim", 512, "--bias" if bias else "--no-bias")
    ref = independent_counts.count(32000, 512, bias)
    assert got["regions"] == str(ref["regions"])
    assert got["bounded_regions"] == str(ref["bounded_regions"])
    assert got["permutations"] == str(ref["permutations"])
    assert got["bias"] is bias and got["classes"] == 32000 and got["dimension"] == 512


def test_random_shapes_match(unargmax_json):
    rng = random.Random(7)
    for _ in range(25):
        c = rng.randint(1, 3000)
        d = rng.randint(0, min(c + 2, 300))
        bias = rng.random() < 0.5
        got = unargmax_json("count", "--classes", c, "--dim", d, "--bias" if bias else "--no-bias")
        ref = independent_counts.count(c, d, bias)
        assert (got["regions"], got["bounded_regions"]) == (str(ref["regions"]), str(ref["bounded_regions"])), (c, d, bias)


@pytest.mark.parametrize("bias", [True, False])
def test_table_json_matches_cells(unargmax_json, bias):
    table = unargmax_json("count", "--table", "--max-classes", 12, "--max-dim", 9, "--bias" if bias else "--no-bias")
    assert table["bias"] is bias and len(table["rows"]) == 12
    for row in table["rows"]:
        c = row["classes"]
        assert len(row["regions"]) == 9
        for d, cell in enumerate(row["regions"], start=1):
            assert cell == str(independent_counts.count(c, d, bias)["regions"]), (c, d)


def test_table_formats(unargmax):
    _, csv, _ = unargmax("count", "--table", "--max-classes", 4, "--max-dim", 3, "--no-bias", "--format", "csv")
    assert csv.splitlines() == ["classes,d=1,d=2,d=3", "1,1,1,1", "2,2,2,2", "3,2,6,6", "4,2,12,24"]
    _, latex, _ = unargmax("count", "--table", "--max-classes", 4, "--max-dim", 3, "--format", "latex")
    assert "\\begin{tabular}" in latex and "4 & 7 & 18 & \\textbf{24}" in latex


@pytest.mark.parametrize(
    "args, message",
    [
        (["count", "--classes", 0, "--dim", 3], "--classes"),
        (["count", "--classes", 5], "--dim"),
        (["count", "--classes", 5, "--dim", -1], "--dim"),
        (["count", "--classes", 5, "--dim", 2, "--format", "csv"], "--table"),
        (["count", "--classes", "many", "--dim", 2], "classes"),
        (["count", "--classes", 1000000, "--dim", 100000], "minutes"),
        (["count", "--classes", 6000000, "--dim", 2], "digits"),
    ],
)
def test_bad_arguments_are_refused_clearly(unargmax, args, message):
    code, out, err = unargmax(*args, check=False)
    assert code != 0 and out == ""
    assert message in err and "Traceback" not in err and "Fatal error" not in err


@pytest.mark.parametrize("classes, dim", [(32000, 512), (700, 699), (5, 2)])
def test_both_cases_in_one_pass(unargmax_json, classes, dim):
    both = unargmax_json("count", "--classes", classes, "--dim", dim, "--both")
    assert [entry["bias"] for entry in both] == [True, False]
    for entry in both:
        ref = independent_counts.count(classes, dim, entry["bias"])
        assert (entry["regions"], entry["bounded_regions"]) == (str(ref["regions"]), str(ref["bounded_regions"]))
