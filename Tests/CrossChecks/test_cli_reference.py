"""Documentation/CLI.md is generated from the tool's `--help`; this fails, with a diff, when the
committed file no longer matches what the binary prints (run `make cli-reference` and commit)."""
import difflib
import os
import sys

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "Documentation")
sys.path.insert(0, DOCS)

import generate_cli_reference  # noqa: E402


def binary_path():
    return os.environ.get("UNARGMAX", generate_cli_reference.DEFAULT_BINARY)


def test_cli_reference_is_up_to_date(unargmax, tmp_path):
    fresh = tmp_path / "CLI.md"
    generate_cli_reference.main(["--binary", binary_path(), "--output", str(fresh)])
    with open(os.path.join(DOCS, "CLI.md"), encoding="utf-8") as f:
        committed = f.read()
    generated = fresh.read_text(encoding="utf-8")
    if committed != generated:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(True), generated.splitlines(True), "Documentation/CLI.md (committed)",
                "Documentation/CLI.md (from --help)"))
        raise AssertionError("Documentation/CLI.md is out of date: run `make cli-reference`.\n" + diff)


def test_every_subcommand_is_documented(unargmax):
    """Discovery from `unargmax --help`: every listed subcommand gets its own section."""
    _, root, _ = unargmax("--help")
    names = generate_cli_reference.subcommands(root)
    assert "check" in names and "count" in names
    with open(os.path.join(DOCS, "CLI.md"), encoding="utf-8") as f:
        text = f.read()
    for name in names:
        assert f"\n## unargmax {name}\n" in text, f"`unargmax {name}` is missing from Documentation/CLI.md"


def test_subcommand_parser():
    text = "OVERVIEW: x\n\nSUBCOMMANDS:\n  count                   Count.\n  check (default)         Check.\n" \
        "  a-very-long-subcommand-name\n                          Wrapped.\n\n  See 'unargmax help <subcommand>'.\n"
    assert generate_cli_reference.subcommands(text) == ["count", "check", "a-very-long-subcommand-name"]
