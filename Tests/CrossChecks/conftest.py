"""Shared fixtures for the cross-checks: they drive the built `unargmax` binary like a user would."""
import json
import os
import subprocess
import sys

import pytest

sys.set_int_max_str_digits(0)


@pytest.fixture(scope="session")
def unargmax():
    """Run the CLI and return (exit code, stdout, stderr)."""
    binary = os.environ.get("UNARGMAX", os.path.join(os.path.dirname(__file__), "../../.build/debug/unargmax"))
    if not os.path.exists(binary):
        pytest.fail(f"unargmax binary not found at {binary}: run `make test` (it builds first)")

    def run(*args, check=True):
        proc = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=600)
        if check and proc.returncode != 0:
            raise AssertionError(f"unargmax {' '.join(map(str, args))} failed ({proc.returncode}): {proc.stderr}")
        return proc.returncode, proc.stdout, proc.stderr

    return run


@pytest.fixture(scope="session")
def unargmax_json(unargmax):
    def run(*args):
        return json.loads(unargmax(*args, "--format", "json")[1])

    return run
