"""Help texts carry no hard line breaks inside sentences.

ArgumentParser wraps abstracts, discussions and option help to the terminal itself; a newline typed
into the Swift string shows up as a ragged break at any other width. In Swift multi-line string
literals a prose line must therefore end in `\\` (line continuation) unless a paragraph ends there
(blank line next) or indented example lines follow. Two checks:

- the sources: in every `discussion:`/`abstract:`/`help:` multi-line literal under Sources/unargmax,
  a prose line without `\\` followed by another prose line is a hard break;
- the output: at COLUMNS=1000 nothing wraps, so a discussion prose line followed directly by
  another prose line, or an option whose help takes more than one line, is a hard break.
"""
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CLI_SOURCES = os.path.join(ROOT, "Sources", "unargmax")


def help_literals(source):
    """(line number, [lines]) of each multi-line string literal passed as discussion/abstract/help."""
    lines = source.split("\n")
    i = 0
    while i < len(lines):
        if re.search(r'\b(discussion|abstract|help)\s*:\s*"""\s*$', lines[i]):
            start, body = i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != '"""' and not lines[i].strip().startswith('"""'):
                body.append(lines[i])
                i += 1
            closing = lines[i] if i < len(lines) else ""
            indent = len(closing) - len(closing.lstrip())
            yield start, [line[indent:] if line[:indent].strip() == "" else line for line in body]
        i += 1


def hard_breaks_in_literal(body):
    """Indices of prose lines that end without `\\` while the next line continues the paragraph."""
    found = []
    for k in range(len(body) - 1):
        line, following = body[k], body[k + 1]
        prose = line.strip() != "" and not line.startswith(" ")
        continues = following.strip() != "" and not following.startswith(" ")
        if prose and continues and not line.endswith("\\"):
            found.append(k)
    return found


def test_hard_break_detector():
    body = ["First line of a sentence", "that goes on.", "", "  unargmax example"]
    assert hard_breaks_in_literal(body) == [0]
    assert hard_breaks_in_literal(["Joined \\", "properly.", "", "  example", "  example"]) == []


def swift_files():
    for directory, _, files in os.walk(CLI_SOURCES):
        for name in sorted(files):
            if name.endswith(".swift"):
                yield os.path.join(directory, name)


def test_no_hard_breaks_in_help_strings():
    problems = []
    for path in swift_files():
        with open(path, encoding="utf-8") as f:
            source = f.read()
        for start, body in help_literals(source):
            for k in hard_breaks_in_literal(body):
                problems.append(f"{os.path.relpath(path, ROOT)}:{start + k + 1}: {body[k].strip()!r} "
                                "breaks a paragraph; end it with `\\` (line continuation)")
    assert not problems, "\n".join(problems)


def help_paths(unargmax):
    import generate_cli_reference as g

    _, root, _ = unargmax("--help")
    return [[]] + [[name] for name in g.subcommands(root)]


@pytest.fixture(scope="module")
def wide_helps(unargmax):
    import subprocess
    import sys

    sys.path.insert(0, os.path.join(ROOT, "Documentation"))
    binary = os.environ.get("UNARGMAX", os.path.join(ROOT, ".build", "debug", "unargmax"))
    env = dict(os.environ, COLUMNS="1000")
    result = {}
    for path in help_paths(unargmax):
        args = [binary, "help", *path] if path else [binary, "--help"]
        result[" ".join(["unargmax", *path])] = subprocess.run(
            args, capture_output=True, text=True, env=env, check=True).stdout
    return result


def test_no_hard_breaks_in_help_output(wide_helps):
    problems = []
    for command, text in wide_helps.items():
        lines = text.split("\n")
        usage = next(i for i, line in enumerate(lines) if line.startswith("USAGE:"))
        head = lines[:usage]  # OVERVIEW line and the discussion
        for k in range(len(head) - 1):
            if head[k].strip() and not head[k].startswith(" ") and head[k + 1].strip() and \
                    not head[k + 1].startswith(" "):
                problems.append(f"{command}: discussion breaks after {head[k]!r}")
        section = None
        for k, line in enumerate(lines[usage:], usage):
            if re.match(r"^[A-Z ]+:", line):
                section = line.split(":")[0]
                continue
            if section in ("ARGUMENTS", "OPTIONS") and re.match(r"^ {26}\S", line):
                previous = lines[k - 1]
                # One continuation line is allowed only after a name too long to share its line.
                if re.match(r"^ {26}\S", previous) or re.match(r"^  \S.*\S {2,}\S", previous):
                    problems.append(f"{command}: option help breaks before {line.strip()!r}")
    assert not problems, "\n".join(problems)
