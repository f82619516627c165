"""Real outputs of the CLI validate against the committed JSON Schemas (Documentation/schemas/), and the
schemas are strict enough to reject what the CLI does not write. Beyond the schemas, the numbers in a
document agree with each other (summary counts, certificate shapes)."""
import copy
import json
import os

import jsonschema
import pytest

from schemas import KINDS, validate

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
MODEL = os.path.join(ROOT, "Examples", "tiny-bert-mlm")


def check_report(report, certificates=None):
    validate("report", report)
    verdicts = [c["verdict"] for c in report["classes"]]
    summary = report["summary"]
    for verdict in ("argmaxable", "unargmaxable", "undecided"):
        assert summary[verdict] == verdicts.count(verdict)
    assert summary["decided_classes"] == len(report["classes"]) <= report["layer"]["classes"]
    indices = [c["index"] for c in report["classes"]]
    assert indices == sorted(set(indices)) and all(i < report["layer"]["classes"] for i in indices)
    for c in report["classes"]:
        lower, upper = c["margin"]["lower"], c["margin"]["upper"]
        if lower is not None and upper is not None:
            assert lower <= upper
        assert (c["stage"] == "none") == (c["verdict"] == "undecided")
    if certificates is not None:
        validate("certificates", certificates)
        assert certificates["domain"] == report["domain"] and certificates["bias"] == report["layer"]["bias"]
        decided = {c["index"]: c["verdict"] for c in report["classes"] if c["verdict"] != "undecided"}
        assert [e["index"] for e in certificates["classes"]] == sorted(decided)
        for entry in certificates["classes"]:
            if "witness" in entry:
                assert decided[entry["index"]] == "argmaxable"
                assert len(entry["witness"]) == report["layer"]["dimension"]
            else:
                assert decided[entry["index"]] == "unargmaxable"
                m = entry["multipliers"]
                assert len(m["indices"]) == len(m["weights"]) == len(m.get("exact", m["weights"]))
                assert entry["index"] not in m["indices"]


@pytest.fixture(scope="module")
def layers(unargmax, tmp_path_factory):
    folder = tmp_path_factory.mktemp("layers")
    made = {}
    for name, flags in (("bias", ["--bias"]), ("nobias", [])):
        path = folder / f"{name}.npz"
        unargmax("random", "--classes", 120, "--dim", 3, "--seed", 7, *flags, "--save", path)
        made[name] = path
    return made


@pytest.mark.parametrize("layer", ["bias", "nobias"])
@pytest.mark.parametrize(
    "flags",
    [[], ["--unbounded"], ["--box", "5"], ["--exact-arithmetic", "--unbounded"], ["--exact", "chebyshev"],
     ["--approx", "none"], ["--classes", "0-9,50"]],
    ids=["box100", "unbounded", "box5", "exact-arithmetic", "chebyshev", "lp-only", "class-list"])
def test_check_on_random_layers(unargmax, layers, tmp_path, layer, flags):
    certs = tmp_path / "certs.json"
    _, out, _ = unargmax("check", layers[layer], *flags, "--format", "json", "--certificates", certs, "--quiet")
    report, certificates = json.loads(out), json.loads(certs.read_text())
    check_report(report, certificates)
    assert report["layer"]["bias"] == (layer == "bias")
    assert "token" not in report["classes"][0] and "weights_tensor" not in report["layer"]
    if "--classes" in flags:
        assert report["summary"]["decided_classes"] == 11 and report["summary"]["filters"]
    if "--exact-arithmetic" in flags:
        assert any("exact" in e["multipliers"] for e in certificates["classes"] if "multipliers" in e)


def test_undecided_classes_have_null_margins(unargmax, layers, tmp_path):
    """With both stages off nothing is decided: null (infinite) bounds, no certificates."""
    certs = tmp_path / "certs.json"
    _, out, _ = unargmax("check", layers["bias"], "--approx", "none", "--exact", "none", "--format", "json",
                         "--certificates", certs, "--quiet")
    report = json.loads(out)
    check_report(report, json.loads(certs.read_text()))
    assert report["summary"]["undecided"] == 120
    assert report["classes"][0]["margin"] == {"lower": None, "upper": None}


def test_check_on_the_bundled_model(unargmax, tmp_path):
    certs = tmp_path / "certs.json"
    _, out, _ = unargmax("check", MODEL, "--format", "json", "--certificates", certs, "--quiet")
    report = json.loads(out)
    check_report(report, json.loads(certs.read_text()))
    layer = report["layer"]
    assert layer["weights_tensor"] and layer["bias_tensor"] and layer["vocabulary"]["tokens"] == layer["classes"]
    assert all(isinstance(c["token"], str) for c in report["classes"])
    assert report["summary"]["unargmaxable"] == 5


def test_check_on_the_bundled_model_with_token_filters(unargmax, tmp_path):
    certs = tmp_path / "certs.json"
    _, out, _ = unargmax("check", MODEL, "--skip-digits-punct", "--script", "Latin", "--unbounded",
                         "--format", "json", "--certificates", certs, "--quiet")
    report = json.loads(out)
    check_report(report, json.loads(certs.read_text()))
    assert len(report["summary"]["filters"]) == 2
    assert report["summary"]["decided_classes"] < report["layer"]["classes"]


def test_inspect(unargmax, layers):
    for target in (MODEL, os.path.join(MODEL, "model.safetensors"), layers["bias"], layers["nobias"]):
        _, out, _ = unargmax("inspect", target, "--format", "json")
        document = validate("inspect", out)
        head = document["head"]
        assert head["has_bias"] == (head["bias"] is not None or target == layers["bias"])
    folder = validate("inspect", unargmax("inspect", MODEL, "--format", "json")[1])
    assert folder["config"]["model_type"] == "bert" and folder["vocabulary"]["encoding"] == "WordPiece"
    assert any(t["name"] == folder["head"]["weights"] for t in folder["tensors"])


@pytest.mark.parametrize("args", [
    ["--classes", 4, "--dim", 2, "--no-bias"], ["--classes", 4, "--dim", 2, "--bias"],
    ["--classes", 1, "--dim", 1], ["--classes", 3000, "--dim", 40, "--bias"],
    ["--table", "--max-classes", 6, "--max-dim", 4, "--no-bias"], ["--table", "--max-classes", 3, "--max-dim", 5]])
def test_count(unargmax, args):
    _, out, _ = unargmax("count", *args, "--format", "json")
    document = validate("count", out)
    if "--table" in args:
        assert [r["classes"] for r in document["rows"]] == list(range(1, len(document["rows"]) + 1))
        assert all(len(r["regions"]) == len(document["dimensions"]) for r in document["rows"])
    else:
        assert int(document["bounded_regions"]) + int(document["unbounded_regions"]) == int(document["regions"])
        assert int(document["regions"]) <= int(document["permutations"])


def test_the_schemas_are_strict(unargmax, layers, tmp_path):
    """Each schema rejects an unknown key, a wrong type and a missing key."""
    certs = tmp_path / "certs.json"
    _, out, _ = unargmax("check", layers["bias"], "--format", "json", "--certificates", certs, "--quiet")
    documents = {
        "report": json.loads(out), "certificates": json.loads(certs.read_text()),
        "inspect": json.loads(unargmax("inspect", MODEL, "--format", "json")[1]),
        "count": json.loads(unargmax("count", "--classes", 5, "--dim", 2, "--format", "json")[1]),
    }
    assert set(documents) == set(KINDS)
    for kind, document in documents.items():
        validate(kind, document)
        extra = copy.deepcopy(document)
        extra["unexpected"] = 1
        missing = copy.deepcopy(document)
        del missing[next(iter(missing))]
        for broken in (extra, missing):
            with pytest.raises(jsonschema.ValidationError):
                validate(kind, broken)
    bad = copy.deepcopy(documents["report"])
    bad["classes"][0]["verdict"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        validate("report", bad)
    bad = copy.deepcopy(documents["certificates"])
    entry = next(e for e in bad["classes"] if "multipliers" in e)
    entry["multipliers"]["weights"][0] = -1.0
    with pytest.raises(jsonschema.ValidationError):
        validate("certificates", bad)
    with pytest.raises(ValueError):
        validate("nonsense", {})
