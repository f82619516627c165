#!/usr/bin/env python3
"""Fail if a committed notebook was not executed, or was executed against another `unargmax`.

Every notebook's first code cell prints `unargmax --version: X` (unargmax_cli.show_version()); this
script reads that line from the stored outputs and compares it with the current binary's
`--version` (the binary Notebooks/unargmax_cli.py finds: $UNARGMAX, release, else debug). It also
requires every code cell that has source to have been executed (an execution count) and the
notebook as a whole to carry outputs. Fix a failure with `make notebooks` and commit the result.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import unargmax_cli  # noqa: E402

VERSION_LINE = re.compile(r"^unargmax --version: (.+)$", re.MULTILINE)


def problems(path: Path, current: str) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    found = []
    if not code:
        return ["no code cells"]
    if not any(c.get("outputs") for c in code):
        found.append("no outputs: the notebook was committed unexecuted")
    unexecuted = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip() and not c.get("execution_count")]
    if unexecuted:
        found.append(f"code cells never executed: {unexecuted}")
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        found.append(f"stored error output: {errors[0].get('ename')}: {errors[0].get('evalue')}")
    texts = "".join(o.get("text", "") for o in code[0].get("outputs", []) if o.get("output_type") == "stream")
    match = VERSION_LINE.search(texts)
    if not match:
        found.append("the first code cell's output does not record `unargmax --version: …`")
    elif match.group(1).strip() != current:
        found.append(f"executed against unargmax {match.group(1).strip()}, the current binary is {current}")
    if "mode: quick" in texts:
        found.append("executed in quick mode; commit the full-mode run (`make notebooks`)")
    return found


def main() -> int:
    current = unargmax_cli.version()
    paths = sorted(HERE.glob("[0-9]*.ipynb"))
    if not paths:
        print("check_committed: no notebooks in Notebooks/", file=sys.stderr)
        return 1
    failed = 0
    for path in paths:
        found = problems(path, current)
        if found:
            failed += 1
            for p in found:
                print(f"FAIL {path.name}: {p}", file=sys.stderr)
        else:
            print(f"ok   {path.name} (executed, unargmax {current})")
    if failed:
        print(f"check_committed: {failed} notebook(s) need `make notebooks` (then commit them)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
