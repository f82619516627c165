"""Studies at scale (Documentation/Scale.md): the layer digest and options in reports, sharded runs
merged with `unargmax merge`, and resumable runs with `--journal` killed with SIGKILL at random points."""
import hashlib
import json
import os
import random
import subprocess
import time

import numpy as np
import pytest

from schemas import validate
from test_check import verify_certificates


def without_seconds(report):
    report = json.loads(json.dumps(report))
    report["summary"].pop("seconds")
    return report


def verdicts(report):
    return [(c["index"], c["verdict"]) for c in report["classes"]]


@pytest.fixture(scope="module")
def layer(tmp_path_factory):
    path = tmp_path_factory.mktemp("scale") / "layer.npz"
    subprocess.run(
        [os.environ.get("UNARGMAX", os.path.join(os.path.dirname(__file__), "../../.build/debug/unargmax")),
         "random", "--classes", "3000", "--dim", "6", "--seed", "3", "--bias", "--save", str(path)],
        check=True, capture_output=True)
    return path


def test_digest_and_options(unargmax, tmp_path, layer):
    _, out, _ = unargmax("check", layer, "--format", "json", "--quiet", "--classes", "0-99", "--patience", 20)
    report = validate("report", out)
    with np.load(layer) as z:
        W, b = z["W"], z["b"]
    expected = hashlib.sha256(W.astype("<f4").tobytes() + b.astype("<f4").tobytes()).hexdigest()
    assert report["layer"]["digest"] == expected
    assert report["options"] == {
        "domain": {"kind": "box", "radius": 100.0}, "approx": "braid-reflect", "exact": "margin", "patience": 20,
        "exact_arithmetic": False, "ignore_bias": False, "filters": report["summary"]["filters"], "interiority": False,
        "chunk_size": 4096,
    }
    assert len(report["options"]["filters"]) == 1
    assert "shard" not in report
    _, out, _ = unargmax("check", layer, "--format", "json", "--quiet", "--classes", "0-99", "--ignore-bias")
    report = validate("report", out)
    assert report["layer"]["digest"] == hashlib.sha256(W.astype("<f4").tobytes()).hexdigest()
    assert report["options"]["ignore_bias"] is True


def test_three_shards_merge(unargmax, tmp_path, layer):
    # 3000 classes in chunks of 700: five chunks, shard i deciding chunks i and i + 3.
    _, out, _ = unargmax("check", layer, "--format", "json", "--quiet", "--certificates", tmp_path / "full.json",
                         "--chunk-size", 700)
    full = json.loads(out)
    shards = []
    for i in range(3):
        path = tmp_path / f"shard-{i}.json"
        certs = tmp_path / f"certs-{i}.{'npz' if i == 1 else 'json'}"  # JSON and .npz mix
        unargmax("check", layer, "--shard", f"{i}/3", "--format", "json", "--output", path, "--quiet",
                 "--certificates", certs, "--chunk-size", 700, "--threads", 1 if i == 2 else 2)
        shard = validate("report", path.read_text())
        assert shard["shard"] == {"index": i, "count": 3}
        assert [c["index"] for c in shard["classes"]] == [c for c in range(3000) if (c // 700) % 3 == i]
        shards.append(path)
    merged_path, certs_out = tmp_path / "merged.json", tmp_path / "merged-certs.json"
    unargmax("merge", shards[2], shards[0], shards[1], "-o", merged_path, "--certificates-in",
             *[tmp_path / f"certs-{i}.{'npz' if i == 1 else 'json'}" for i in range(3)],
             "--certificates-out", certs_out)
    merged = validate("report", merged_path.read_text())
    # The unsharded run exactly: every class's steps, stage, bracket, and every certificate.
    assert "shard" not in merged
    assert without_seconds(merged) == without_seconds(full)
    assert json.loads(certs_out.read_text()) == json.loads((tmp_path / "full.json").read_text())
    # The merged certificates prove every merged verdict (exact rational re-verification).
    with np.load(layer) as z:
        proven_max, proven_unmax = verify_certificates(z["W"], z["b"], json.loads(certs_out.read_text()),
                                                       merged["domain"])
    assert proven_max == {c for c, v in verdicts(merged) if v == "argmaxable"}
    assert proven_unmax == {c for c, v in verdicts(merged) if v == "unargmaxable"}
    # .npz out: the same certificates in the binary layout.
    unargmax("merge", *shards, "--certificates-in", *[tmp_path / f"certs-{i}.{'npz' if i == 1 else 'json'}"
                                                      for i in range(3)],
             "--certificates-out", tmp_path / "merged-certs.npz", "-o", tmp_path / "merged2.json")
    with np.load(tmp_path / "merged-certs.npz") as z:
        assert sorted(z["witness_classes"].tolist() + z["multiplier_classes"].tolist()) == sorted(
            proven_max | proven_unmax)
    # ... and exactly the archive the unsharded run writes (the shards' archives are read entry by entry).
    unargmax("check", layer, "--quiet", "--certificates", tmp_path / "full.npz", "--chunk-size", 700)
    with np.load(tmp_path / "merged-certs.npz") as merged_npz, np.load(tmp_path / "full.npz") as full_npz:
        assert sorted(merged_npz.files) == sorted(full_npz.files)
        for name in full_npz.files:
            assert merged_npz[name].dtype == full_npz[name].dtype and np.array_equal(merged_npz[name], full_npz[name])
    # One shard of one is the unsharded run exactly.
    unargmax("check", layer, "--shard", "0/1", "--format", "json", "--output", tmp_path / "one.json", "--quiet",
             "--chunk-size", 700)
    _, out, _ = unargmax("merge", tmp_path / "one.json")
    assert without_seconds(json.loads(out)) == without_seconds(full)


def test_merge_refuses_mismatched_shards(unargmax, tmp_path, layer):
    def shard(name, spec, *flags, source=layer):
        path = tmp_path / name
        unargmax("check", source, "--shard", spec, "--format", "json", "--output", path, "--quiet",
                 "--classes", "0-299", *flags)
        return path

    s0, s1, s2 = shard("s0.json", "0/3"), shard("s1.json", "1/3"), shard("s2.json", "2/3")
    other_options = shard("p1.json", "1/3", "--patience", "7")
    other = tmp_path / "other.npz"
    unargmax("random", "--classes", 3000, "--dim", 6, "--seed", 99, "--bias", "--save", other)
    other_layer = shard("o1.json", "1/3", source=other)
    out = tmp_path / "merged.json"
    cases = [
        ((s0, other_options, s2), "other options"),
        ((s0, other_layer, s2), "another layer"),
        ((s0, s2), "missing shard 1/3"),
        ((s0, s1, s1, s2), "also given"),
        ((s0, shard("q1.json", "1/4"), s2), "one of 3"),
        ((s0, shard("c1.json", "1/3", "--chunk-size", "50"), s2), "other options"),
    ]
    for files, message in cases:
        code, _, err = unargmax("merge", *files, "-o", out, check=False)
        assert code != 0 and message in err, err
        assert not out.exists()
    code, _, err = unargmax("merge", s0, s1, s2, "-o", out, "--certificates-in", tmp_path / "none.json",
                            tmp_path / "none.json", tmp_path / "none.json", "--certificates-out", tmp_path / "c.json", check=False)
    assert code != 0 and "none.json" in err and not out.exists()
    unargmax("merge", s0, s1, s2, "-o", out)
    assert validate("report", out.read_text())["summary"]["decided_classes"] == 300


def test_killed_journaled_runs_resume_to_the_same_report(unargmax, tmp_path, layer):
    binary = os.environ.get("UNARGMAX", os.path.join(os.path.dirname(__file__), "../../.build/debug/unargmax"))

    def command(name, threads):
        return [binary, "check", str(layer), "--format", "json", "--quiet", "--chunk-size", "250",
                "--journal", str(tmp_path / f"{name}.journal"), "--output", str(tmp_path / f"{name}.json"),
                "--certificates", str(tmp_path / f"{name}-certs.json"), "--threads", str(threads)]

    subprocess.run(command("reference", 1), check=True, timeout=600)
    reference = json.loads((tmp_path / "reference.json").read_text())
    rng = random.Random(2026)
    kills = 0
    for attempt in range(30):
        proc = subprocess.Popen(command("killed", 2), stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.3, 1.5))
        if proc.poll() is not None:
            assert proc.returncode == 0, proc.stderr.read()
            break
        proc.kill()  # SIGKILL
        proc.wait()
        kills += 1
        assert not (tmp_path / "killed.json").exists()
    else:
        subprocess.run(command("killed", 2), check=True, timeout=600)
    assert kills >= 2
    resumed = validate("report", (tmp_path / "killed.json").read_text())
    assert without_seconds(resumed) == without_seconds(reference)
    assert json.loads((tmp_path / "killed-certs.json").read_text()) == json.loads(
        (tmp_path / "reference-certs.json").read_text())
    # A run without a journal (same chunk size) is the same run.
    plain = tmp_path / "plain.json"
    subprocess.run([binary, "check", str(layer), "--format", "json", "--quiet", "--chunk-size", "250", "--output",
                    str(plain)], check=True, timeout=600)
    assert without_seconds(json.loads(plain.read_text())) == without_seconds(reference)
    # Run again on the complete journal: nothing left to decide, the same report.
    subprocess.run(command("killed", 1), check=True, timeout=600)
    assert without_seconds(json.loads((tmp_path / "killed.json").read_text())) == without_seconds(reference)


def test_journal_of_other_options_or_layer_is_refused(unargmax, tmp_path, layer):
    journal = tmp_path / "run.journal"
    unargmax("check", layer, "--classes", "0-99", "--journal", journal, "--quiet")
    before = journal.read_bytes()
    code, _, err = unargmax("check", layer, "--classes", "0-99", "--journal", journal, "--patience", 3,
                            "--output", tmp_path / "r.json", check=False)
    assert code != 0 and str(journal) in err and "other options" in err
    assert not (tmp_path / "r.json").exists()
    other = tmp_path / "other.npz"
    unargmax("random", "--classes", 100, "--dim", 4, "--seed", 1, "--save", other)
    code, _, err = unargmax("check", other, "--classes", "0-99", "--journal", journal, check=False)
    assert code != 0 and "another layer" in err
    assert journal.read_bytes() == before
    # A damaged journal is refused: every journaled verdict is re-verified before it enters a report.
    lines = before.decode().split("\n")
    for k, line in enumerate(lines[1:], 1):
        entry = json.loads(line) if line else {}
        if "witness" in (entry.get("certificate") or {}):
            entry["certificate"]["witness"] = [0.0] * len(entry["certificate"]["witness"])
            lines[k] = json.dumps(entry)
            break
    damaged = tmp_path / "damaged.journal"
    damaged.write_text("\n".join(lines))
    code, _, err = unargmax("check", layer, "--classes", "0-99", "--journal", damaged, check=False)
    assert code != 0 and f"class {entry['index']}" in err and "does not prove argmaxable" in err, err
    # A journal cut inside a chunk (a kill mid-write) loses only that chunk.
    journal.write_bytes(before[: len(before) - 40])
    _, out, _ = unargmax("check", layer, "--classes", "0-99", "--journal", journal, "--quiet", "--format", "json")
    assert validate("report", out)["summary"]["decided_classes"] == 100
