#!/usr/bin/env python3
"""Execute the notebooks with nbclient; fail on the first cell error.

    python3 Notebooks/run_notebooks.py              # quick mode (UNARGMAX_QUICK=1), results in a temp dir
    python3 Notebooks/run_notebooks.py --full --write   # full mode, executed notebooks written back (make notebooks)
    python3 Notebooks/run_notebooks.py 02-braid-arrangement.ipynb   # just some of them

The committed notebooks are never touched unless --write is given. The binary is $UNARGMAX or the
one Notebooks/unargmax_cli.py finds; the kernel runs in Notebooks/ so `import unargmax_cli` works.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent


def execute(path: Path, quick: bool, timeout: int) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    if quick:
        os.environ["UNARGMAX_QUICK"] = "1"
    else:
        os.environ.pop("UNARGMAX_QUICK", None)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(HERE)}},
    )
    client.execute()
    return nb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="notebook file names (default: every Notebooks/*.ipynb)")
    parser.add_argument("--full", action="store_true", help="full sizes (default: quick, UNARGMAX_QUICK=1)")
    parser.add_argument("--write", action="store_true", help="write the executed notebooks back in place")
    parser.add_argument("--out", help="keep the executed copies in this directory (default: a temp dir, removed)")
    parser.add_argument("--timeout", type=int, default=None, help="seconds per cell (default 600 quick, 3600 full)")
    args = parser.parse_args()

    paths = [HERE / n if not Path(n).is_absolute() else Path(n) for n in args.notebooks] or sorted(HERE.glob("[0-9]*.ipynb"))
    if not paths:
        print("run_notebooks: no notebooks found", file=sys.stderr)
        return 1
    quick = not args.full
    timeout = args.timeout or (600 if quick else 3600)
    mode = "quick" if quick else "full"
    failures = 0
    with tempfile.TemporaryDirectory(prefix="unargmax-notebooks-") as out:
        for path in paths:
            start = time.perf_counter()
            try:
                nb = execute(path, quick, timeout)
            except CellExecutionError as error:
                failures += 1
                print(f"FAIL {path.name} ({mode}): a cell raised\n{error}", file=sys.stderr)
                continue
            except Exception as error:  # kernel died, timeout, unreadable notebook
                failures += 1
                print(f"FAIL {path.name} ({mode}): {type(error).__name__}: {error}", file=sys.stderr)
                continue
            target = path if args.write else Path(args.out or out) / path.name
            nbformat.write(nb, target)
            size = target.stat().st_size
            print(f"ok   {path.name} ({mode}) {time.perf_counter() - start:6.1f} s, {size / 1024:.0f} KB"
                  + (" — written back" if args.write else ""))
    if failures:
        print(f"run_notebooks: {failures} of {len(paths)} notebook(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
