"""The results database on a real PostgreSQL server (Documentation/Results.md). Skipped unless
UNARGMAX_TEST_POSTGRES_URL names a server: `make test-postgres` runs these through
Tests/PostgreSQL/run_with_server.sh, which starts a throwaway Debian postgresql and deletes it afterwards."""
import json
import os
import subprocess
import urllib.parse
import uuid

import pytest

from test_results import BINARY, MODEL, query, random_layer

SERVER = os.environ.get("UNARGMAX_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not SERVER, reason="UNARGMAX_TEST_POSTGRES_URL is not set (make test-postgres)")

# Columns that differ between two runs of the same check (when and where it ran), and the ids.
RUN_TIME = {"started", "finished", "seconds", "host", "run", "model_id"}


def psql(url, sql):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atc", sql], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def database():
    """A fresh database on the server, dropped afterwards."""
    name = "unargmax_" + uuid.uuid4().hex[:12]
    psql(SERVER, f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(SERVER)
    yield urllib.parse.urlunsplit(parts._replace(path="/" + name))
    psql(SERVER, f"DROP DATABASE {name} WITH (FORCE)")


def comparable(rows):
    return [{k: v for k, v in row.items() if k not in RUN_TIME} for row in rows]


def test_same_runs_give_the_same_tables_as_sqlite(unargmax, tmp_path, database):
    sqlite = tmp_path / "results.sqlite"
    layer = random_layer(tmp_path, 31, classes=300, dim=4)
    for db in (sqlite, database):
        unargmax("check", MODEL, "--quiet", "--db", db)
        unargmax("check", layer, "--quiet", "--db", db, "--unbounded")
        _, _, err = unargmax("check", MODEL, "--quiet", "--db", db)
        assert "already holds this run" in err
    assert "postgres@" in err and "already holds" in err
    assert psql(database, "SELECT COUNT(*) FROM runs").strip() == "2"
    assert psql(database, "SELECT MAX(version) FROM schema_version").strip() == "2"
    for table in ["experiments", "models", "classes"]:
        for args in [(), ("--model", "TINY")]:
            a, b = query(unargmax, sqlite, table, *args), query(unargmax, database, table, *args)
            assert len(a) == len(b) > 0
            assert comparable(a) == comparable(b), table
    a = query(unargmax, sqlite, "classes", "--verdict", "unargmaxable")
    b = query(unargmax, database, "classes", "--verdict", "unargmaxable")
    assert comparable(a) == comparable(b) and len(a) >= 5
    assert [r["token"] for r in b if r["model"] == "tiny-bert-mlm"] == [
        "never", "silent", "hidden", "impossible", "unreachable"]
    # CSV and text come from the same table.
    assert query(unargmax, database, "models", fmt="csv").splitlines()[0].startswith("model_id,name,path,digest")


def test_concurrent_writers_lose_nothing(tmp_path, database):
    layers = [random_layer(tmp_path, seed) for seed in (41, 42, 43, 44)]
    reports = [tmp_path / f"r{k}.json" for k in range(len(layers))]
    processes = [subprocess.Popen([BINARY, "check", str(layer), "--quiet", "--threads", "1", "--db", database,
                                   "--format", "json", "--output", str(report)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for layer, report in zip(layers, reports)]
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    for report_path in reports:
        report = json.loads(report_path.read_text())
        digest = report["layer"]["digest"]
        stored = psql(database, "SELECT c.class_index || ':' || c.verdict FROM classes c JOIN runs r ON r.id = c.run_id"
                                f" WHERE r.layer_digest = '{digest}' ORDER BY c.class_index").split()
        assert stored == [f"{c['index']}:{c['verdict']}" for c in report["classes"]]
    assert psql(database, "SELECT COUNT(*) FROM runs").strip() == "4"


def test_merge_records_on_the_server(unargmax, tmp_path, database):
    layer = random_layer(tmp_path, 51, classes=200, dim=4)
    shards = []
    for i in range(2):
        shards.append(tmp_path / f"s{i}.json")
        unargmax("check", layer, "--quiet", "--shard", f"{i}/2", "--format", "json", "--output", shards[-1])
    unargmax("merge", *shards, "-o", tmp_path / "merged.json", "--db", database)
    _, _, err = unargmax("check", layer, "--quiet", "--db", database)
    assert "already holds this run (run 1" in err
    merged = json.loads((tmp_path / "merged.json").read_text())
    rows = query(unargmax, database, "classes")
    assert [(r["class_index"], r["verdict"]) for r in rows] == [(c["index"], c["verdict"]) for c in merged["classes"]]


def test_a_database_that_is_not_ours(unargmax, tmp_path, database):
    psql(database, "CREATE TABLE runs (id integer)")
    code, _, err = unargmax("results", "experiments", "--db", database, check=False)
    assert code != 0 and "not a results database of unargmax" in err
    missing = urllib.parse.urlunsplit(urllib.parse.urlsplit(SERVER)._replace(path="/no_such_database"))
    code, _, err = unargmax("results", "experiments", "--db", missing, check=False)
    assert code != 0 and "cannot connect" in err and "no_such_database" in err
