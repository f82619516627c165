"""The results database (Documentation/Results.md): `unargmax check --db` and `merge --db` record runs in
SQLite, `unargmax results` queries them; checked against the JSON report, the certificates file and
Python's own sqlite3."""
import csv
import hashlib
import io
import json
import os
import sqlite3
import subprocess

import jsonschema
import numpy as np
import pytest

BINARY = os.environ.get("UNARGMAX", os.path.join(os.path.dirname(__file__), "../../.build/debug/unargmax"))
MODEL = os.path.join(os.path.dirname(__file__), "../../Examples/tiny-bert-mlm")


def random_layer(directory, seed, classes=500, dim=4):
    """A seeded N(0, 1) layer with a bias, written by numpy."""
    path = directory / f"layer-{seed}-{classes}x{dim}.npz"
    rng = np.random.default_rng(seed)
    np.savez(path, W=rng.standard_normal((classes, dim)).astype("f4"), b=rng.standard_normal(classes).astype("f4"))
    return path


SCHEMA = os.path.join(os.path.dirname(__file__), "../../Documentation/schemas/results.schema.json")


def query(unargmax, db, *args, fmt="json"):
    """`unargmax results ARGS` on `db`; JSON output is parsed and checked against its schema."""
    _, out, _ = unargmax("results", *args, "--db", db, "--format", fmt)
    if fmt != "json":
        return out
    rows = json.loads(out)
    with open(SCHEMA, encoding="utf-8") as f:
        jsonschema.validate(rows, json.load(f), cls=jsonschema.Draft202012Validator)
    return rows


def test_check_records_once_and_results_match_the_report(unargmax, tmp_path):
    db = tmp_path / "results.sqlite"
    certificates = tmp_path / "certificates.json"
    _, out, err = unargmax("check", MODEL, "--format", "json", "--quiet", "--db", db, "--certificates", certificates)
    report = json.loads(out)
    assert "already" not in err
    _, _, err = unargmax("check", MODEL, "--quiet", "--db", db)
    assert "already holds this run" in err and str(db) in err

    # Python's sqlite3: one model, one run, every class.
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
        assert connection.execute("SELECT COUNT(*) FROM models").fetchone()[0] == 1
        assert connection.execute("SELECT COUNT(*) FROM classes").fetchone()[0] == len(report["classes"])
        assert connection.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 2
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    experiments = query(unargmax, db, "experiments")
    assert len(experiments) == 1
    run = experiments[0]
    summary = report["summary"]
    for key in ["argmaxable", "unargmaxable", "undecided"]:
        assert run[key] == summary[key]
    assert run["decided"] == summary["decided_classes"]
    assert run["model"] == "tiny-bert-mlm"
    assert run["digest"] == report["layer"]["digest"]
    assert run["classes"] == report["layer"]["classes"] and run["dimension"] == report["layer"]["dimension"]
    assert json.loads(run["options"]) == report["options"]
    assert run["shard"] is None
    assert run["tool_version"] == report["generator"]
    assert run["seconds"] == pytest.approx(summary["seconds"])

    models = query(unargmax, db, "models")
    assert [m["name"] for m in models] == ["tiny-bert-mlm"] and models[0]["runs"] == 1
    assert models[0]["weights_tensor"] == report["layer"]["weights_tensor"]
    assert models[0]["bias_tensor"] == report["layer"]["bias_tensor"]
    assert models[0]["vocabulary_source"] == report["layer"]["vocabulary"]["source"]
    assert models[0]["path"] == os.path.realpath(MODEL)

    # Every class as in the report, and the certificate digests are those of the certificates file's entries.
    classes = query(unargmax, db, "classes")
    assert [c["class_index"] for c in classes] == [c["index"] for c in report["classes"]]
    for row, entry in zip(classes, report["classes"]):
        assert row["token"] == entry["token"] and row["verdict"] == entry["verdict"]
        assert row["margin_lower"] == entry["margin"]["lower"] and row["margin_upper"] == entry["margin"]["upper"]
        assert row["steps"] == entry["steps"] and row["stage"] == entry["stage"]
    digests = {c["class_index"]: c["certificate_digest"] for c in classes}
    entries = json.loads(certificates.read_text())["classes"]
    assert len(entries) == len(classes)
    for entry in entries:
        assert digests[entry["index"]] == hashlib.sha256(json.dumps(entry).encode()).hexdigest()

    # The unargmaxable class ids and tokens, in all three formats.
    wanted = [(c["index"], c["token"]) for c in report["classes"] if c["verdict"] == "unargmaxable"]
    assert len(wanted) == 5
    rows = query(unargmax, db, "classes", "--verdict", "unargmaxable", "--model", "TINY-bert")
    assert [(r["class_index"], r["token"]) for r in rows] == wanted
    unargmax("results", "classes", "--verdict", "unargmaxable", "--db", db, "--format", "csv", "-o", tmp_path / "u.csv")
    text = (tmp_path / "u.csv").read_bytes().decode()
    assert text.endswith("\r\n") and text.count("\r\n") == 6
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(int(r["class_index"]), r["token"]) for r in parsed] == wanted
    assert [r["certificate_digest"] for r in parsed] == [r["certificate_digest"] for r in rows]
    table = query(unargmax, db, "classes", "--verdict", "unargmaxable", fmt="text").splitlines()
    assert table[0].split() == list(rows[0].keys())
    assert [line.split()[2:4] for line in table[2:-1]] == [[str(i), t] for i, t in wanted]
    assert table[-1] == "(5 rows)"
    assert query(unargmax, db, "classes", "--model", "no-such-model") == []


def test_csv_and_json_agree_on_every_table(unargmax, tmp_path):
    db = tmp_path / "r.sqlite"
    layer = random_layer(tmp_path, 5, classes=200, dim=4)
    unargmax("check", layer, "--quiet", "--db", db)
    unargmax("check", MODEL, "--quiet", "--db", db, "--unbounded")
    for table in ["experiments", "models", "classes"]:
        rows = query(unargmax, db, table)
        parsed = list(csv.DictReader(io.StringIO(query(unargmax, db, table, fmt="csv"), newline="")))
        assert len(parsed) == len(rows) > 0
        for a, b in zip(rows, parsed):
            assert list(a.keys()) == list(b.keys())
            for key, value in a.items():
                if value is None:
                    assert b[key] == ""
                elif isinstance(value, float):
                    assert float(b[key]) == value
                else:
                    assert b[key] == str(value)
    # Sorted by unargmaxable count, most first.
    counts = [r["unargmaxable"] for r in query(unargmax, db, "experiments")]
    assert counts == sorted(counts, reverse=True) and len(counts) == 2


def test_two_processes_write_one_database_at_once(unargmax, tmp_path):
    db = tmp_path / "shared.sqlite"
    layers = [random_layer(tmp_path, seed) for seed in (11, 12, 13)]
    reports = [tmp_path / f"report-{k}.json" for k in range(len(layers))]
    processes = [subprocess.Popen([BINARY, "check", str(layer), "--quiet", "--threads", "1", "--db", str(db),
                                   "--format", "json", "--output", str(report)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for layer, report in zip(layers, reports)]
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    with sqlite3.connect(db) as connection:
        runs = connection.execute(
            "SELECT r.id, r.layer_digest, r.decided_classes, r.unargmaxable FROM runs r ORDER BY r.id").fetchall()
        assert len(runs) == 3
        for report_path in reports:
            report = json.loads(report_path.read_text())
            (run_id, _, decided, unargmaxable), = [r for r in runs if r[1] == report["layer"]["digest"]]
            assert decided == len(report["classes"]) == 500
            assert unargmaxable == report["summary"]["unargmaxable"]
            stored = connection.execute(
                "SELECT class_index, verdict FROM classes WHERE run_id = ? ORDER BY class_index", (run_id,)).fetchall()
            assert stored == [(c["index"], c["verdict"]) for c in report["classes"]]


def test_shards_merge_and_the_unsharded_run_are_recognised(unargmax, tmp_path):
    db = tmp_path / "r.sqlite"
    layer = random_layer(tmp_path, 7, classes=300, dim=4)
    shards = []
    for i in range(2):
        shard = tmp_path / f"shard-{i}.json"
        unargmax("check", layer, "--quiet", "--shard", f"{i}/2", "--format", "json", "--output", shard,
                 "--certificates", tmp_path / f"certs-{i}.json", "--db", db)
        shards.append(shard)
    _, _, err = unargmax("merge", *shards, "-o", tmp_path / "merged.json", "--certificates-in",
                         tmp_path / "certs-0.json", tmp_path / "certs-1.json", "--certificates-out",
                         tmp_path / "certs.json", "--db", db)
    assert "recorded as run 3" in err
    experiments = query(unargmax, db, "experiments")
    assert sorted(r["shard"] or "" for r in experiments) == ["", "0/2", "1/2"]
    merged = json.loads((tmp_path / "merged.json").read_text())
    rows = query(unargmax, db, "classes")
    assert [r["class_index"] for r in rows if r["run"] == 3] == [c["index"] for c in merged["classes"]]
    digests = {r["class_index"]: r["certificate_digest"] for r in rows if r["run"] == 3}
    for entry in json.loads((tmp_path / "certs.json").read_text())["classes"]:
        assert digests[entry["index"]] == hashlib.sha256(json.dumps(entry).encode()).hexdigest()
    # The unsharded run has the same layer, options and (no) shard as the merged one: recognised.
    _, _, err = unargmax("check", layer, "--quiet", "--db", db)
    assert "already holds this run (run 3" in err
    assert len(query(unargmax, db, "experiments")) == 3


def test_bad_databases_fail_with_one_line_and_write_nothing(unargmax, tmp_path):
    layer = random_layer(tmp_path, 9, classes=50, dim=3)
    missing = tmp_path / "missing.sqlite"
    code, out, err = unargmax("results", "experiments", "--db", missing, check=False)
    assert code != 0 and out == "" and str(missing) in err and "no such results database" in err
    assert not missing.exists()

    text = tmp_path / "notes.txt"
    text.write_text("not a database at all\n" * 300)
    report = tmp_path / "report.json"
    code, _, err = unargmax("check", layer, "--quiet", "--db", text, "--output", report, check=False)
    assert code != 0 and "not an SQLite database" in err and str(text) in err
    assert len(err.strip().splitlines()) == 1 and "Fatal error" not in err
    assert not report.exists()

    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    code, _, err = unargmax("results", "models", "--db", other, check=False)
    assert code != 0 and "not a results database of unargmax" in err

    newer = tmp_path / "newer.sqlite"
    unargmax("check", layer, "--quiet", "--db", newer)
    with sqlite3.connect(newer) as connection:
        connection.execute("INSERT INTO schema_version VALUES (7, 'x', 'from the future')")
    code, _, err = unargmax("check", layer, "--quiet", "--db", newer, "--output", report, check=False)
    assert code != 0 and "schema version 7 is newer" in err and not report.exists()

    for url, problem in [("postgresql://me:hunter2@127.0.0.1:1/results", "cannot connect"),
                         ("postgresql://host:port/db", "cannot connect"),
                         ("mysql://localhost/db", "not a database location")]:
        code, _, err = unargmax("check", layer, "--quiet", "--db", url, "--output", report, check=False)
        assert code != 0 and problem in err and "hunter2" not in err, err
        assert not report.exists()

    code, _, err = unargmax("results", "classes", "--db", newer, "--verdict", "maybe", check=False)
    assert code != 0 and "--verdict must be" in err
    code, _, err = unargmax("results", "models", "--db", newer, "--verdict", "unargmaxable", check=False)
    assert code != 0 and "--verdict applies to" in err
