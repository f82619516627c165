"""Tests of compare_reports.py on real reports of the bundled layer (run first by run_slurm_check.sh):

    UNARGMAX=.build/release/unargmax python3 -m pytest -q -p no:cacheprovider Tests/Slurm/test_compare_reports.py
"""
import json
import os
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
LAYER = os.path.join(ROOT, "Examples", "random-2000x6-bias.npz")
sys.path.insert(0, HERE)
import compare_reports  # noqa: E402


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="unargmax-compare-") as path:  # nothing stays in $TMPDIR
        yield path


@pytest.fixture(scope="module")
def unargmax():
    binary = os.environ.get("UNARGMAX", os.path.join(ROOT, ".build", "release", "unargmax"))
    if not os.path.exists(binary):
        pytest.fail(f"unargmax binary not found at {binary}: set UNARGMAX or run `make release`")
    return lambda *args: subprocess.run([binary, *map(str, args)], check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def report(unargmax, workdir):
    path = os.path.join(workdir, "full.json")
    unargmax("check", LAYER, "--format", "json", "--quiet", "--output", path)
    with open(path) as f:
        return json.load(f)


def run(workdir, expected, actual, *flags):
    paths = []
    for name, value in (("expected.json", expected), ("actual.json", actual)):
        paths.append(os.path.join(workdir, name))
        with open(paths[-1], "w") as f:
            json.dump(value, f)
    proc = subprocess.run([sys.executable, os.path.join(HERE, "compare_reports.py"), *paths, *flags],
                          capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def copy(report):
    return json.loads(json.dumps(report))


def test_only_timing_may_differ(workdir, report):
    other = copy(report)
    other["summary"]["seconds"] += 12.5
    assert run(workdir, report, other) == (0, f"equal (strict (all fields but summary.seconds)): "
                                              f"{workdir}/actual.json and {workdir}/expected.json\n")


def test_strict_names_field_and_class(workdir, report):
    other = copy(report)
    other["classes"][7]["steps"] += 1
    other["classes"][9]["margin"]["lower"] -= 1e-12
    status, out = run(workdir, report, other)
    assert status == 1
    assert f"classes[].steps differs on 1 of {len(report['classes'])} classes: class 7: " in out
    assert "classes[].margin.lower differs on 1 of" in out and "class 9: " in out
    assert run(workdir, report, other, "--verdicts-only")[0] == 0  # search details only


def test_verdicts_and_summary_are_compared_in_both_modes(workdir, report):
    other = copy(report)
    flipped = next(c for c in other["classes"] if c["verdict"] == "argmaxable")
    flipped["verdict"] = "unargmaxable"
    other["summary"]["argmaxable"] -= 1
    for flags in ((), ("--verdicts-only",)):
        status, out = run(workdir, report, other, *flags)
        assert status == 1
        assert f"class {flipped['index']}: \"argmaxable\" ≠ \"unargmaxable\"" in out
        assert f"summary.argmaxable: {report['summary']['argmaxable']} ≠ " in out
    other = copy(report)
    other["layer"]["digest"] = "0" * 64
    del other["classes"][-1]
    status, out = run(workdir, report, other, "--verdicts-only")
    assert status == 1 and "layer.digest: " in out
    assert f"classes: {len(report['classes'])} ≠ {len(report['classes']) - 1} entries" in out


def test_one_shard_merged_is_strictly_the_unsharded_run(unargmax, workdir, report):
    shard, merged = os.path.join(workdir, "shard-0.json"), os.path.join(workdir, "merged.json")
    unargmax("check", LAYER, "--shard", "0/1", "--format", "json", "--quiet", "--output", shard)
    unargmax("merge", shard, "-o", merged)
    with open(merged) as f:
        assert compare_reports.compare(report, json.load(f)) == []


def test_certificates_bit_for_bit(unargmax, workdir, report):
    import numpy as np

    first, second = os.path.join(workdir, "c1.npz"), os.path.join(workdir, "c2.npz")
    for path in (first, second):
        unargmax("check", LAYER, "--format", "json", "--quiet", "--classes", "0-99", "--certificates", path)
    a, b = compare_reports.load_certificates(first), compare_reports.load_certificates(second)
    assert compare_reports.compare_certificates(a, b) == []  # the same run twice
    b["witnesses"] = b["witnesses"].copy()
    b["witnesses"][3, 1] = np.nextafter(b["witnesses"][3, 1], np.inf)  # one ulp in one witness
    assert compare_reports.compare_certificates(a, b) == ["certificates witnesses: 1 of "
                                                          f"{len(a['witnesses'])} entries differ (positions [3])"]
    del b["meta"]
    assert "certificates meta: only in the expected file" in compare_reports.compare_certificates(a, b)


def test_unreadable_input_is_named(workdir, report):
    missing = os.path.join(workdir, "missing.json")
    good = os.path.join(workdir, "good.json")
    with open(good, "w") as f:
        json.dump(report, f)
    script = os.path.join(HERE, "compare_reports.py")
    proc = subprocess.run([sys.executable, script, good, missing], capture_output=True, text=True)
    assert proc.returncode == 2 and f"{missing}: not a readable JSON report" in proc.stderr
    with open(missing, "w") as f:
        json.dump({"schema": "x"}, f)
    proc = subprocess.run([sys.executable, script, good, missing], capture_output=True, text=True)
    assert proc.returncode == 2 and f"{missing}: not a report" in proc.stderr and "no classes list" in proc.stderr
