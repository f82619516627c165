"""Shared by the notebooks: find the `unargmax` binary, run it, parse its JSON, and size the work.

The binary is `$UNARGMAX` when set, else `../.build/release/unargmax` relative to this folder,
else the debug build. `UNARGMAX_QUICK=1` asks the notebooks for small sizes (the `make test` run).
Scratch files go to one temporary directory per notebook, removed by `cleanup()` in its last cell.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
QUICK = os.environ.get("UNARGMAX_QUICK", "") not in ("", "0")


def find_binary() -> Path:
    candidates = []
    if os.environ.get("UNARGMAX"):
        candidates.append(Path(os.environ["UNARGMAX"]))
    candidates += [REPO / ".build" / "release" / "unargmax", REPO / ".build" / "debug" / "unargmax"]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path.absolute()
    raise FileNotFoundError(
        "unargmax not found; build it (`swift build -c release --product unargmax`) or set UNARGMAX. Tried: "
        + ", ".join(map(str, candidates))
    )


UNARGMAX = find_binary()
_scratch: tempfile.TemporaryDirectory | None = None


def scratch(name: str) -> Path:
    """A path inside this notebook's temporary directory."""
    global _scratch
    if _scratch is None:
        _scratch = tempfile.TemporaryDirectory(prefix="unargmax-notebook-")
    return Path(_scratch.name) / name


def cleanup() -> None:
    global _scratch
    if _scratch is not None:
        _scratch.cleanup()
        _scratch = None


def run(*args, ok=(0,), timeout=3600) -> subprocess.CompletedProcess:
    """Run `unargmax ARGS…`; raise with its stderr unless the exit code is in `ok`."""
    argv = [str(UNARGMAX), *map(str, args)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr.strip()}")
    return proc


def text(*args, **kw) -> str:
    return run(*args, **kw).stdout


def as_json(*args, **kw):
    """Run a command that prints JSON (`--format json`) and parse it."""
    return json.loads(run(*args, **kw).stdout)


def timed_json(*args, **kw):
    """(parsed JSON, wall-clock seconds of the whole process)."""
    start = time.perf_counter()
    result = as_json(*args, **kw)
    return result, time.perf_counter() - start


def version() -> str:
    return run("--version").stdout.strip()


def show_version() -> None:
    """The first cell of every notebook prints this line; Notebooks/check_committed.py reads it back."""
    print(f"unargmax --version: {version()}")
    print(f"binary: {UNARGMAX.relative_to(REPO) if UNARGMAX.is_relative_to(REPO) else UNARGMAX}")
    print(f"mode: {'quick (UNARGMAX_QUICK=1)' if QUICK else 'full'}")


def load_safetensors(path: Path) -> dict:
    """A minimal safetensors reader (F32, F16, BF16) so the notebooks need no extra package."""
    import numpy as np

    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        buf = data[start:end]
        if info["dtype"] == "F32":
            arr = np.frombuffer(buf, dtype="<f4")
        elif info["dtype"] == "F16":
            arr = np.frombuffer(buf, dtype="<f2").astype(np.float32)
        elif info["dtype"] == "BF16":
            arr = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{name}: dtype {info['dtype']} not handled here")
        out[name] = arr.reshape(info["shape"]).copy()
    return out
