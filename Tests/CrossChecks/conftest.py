"""Shared fixtures for the cross-checks: they drive the built `unargmax` binary like a user would."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.set_int_max_str_digits(0)

# The cross-checks leave nothing in the temporary directory. pytest's default keeps the `tmp_path`
# directories of the last 3 runs in $TMPDIR/pytest-of-$USER/pytest-N (and the pytest-of-$USER
# folder for good); instead every run gets its own base directory under $TMPDIR, removed when the
# run ends, passed or failed. Pass `--basetemp DIR` to keep a run's files for a look: a base
# directory given on the command line is left alone.
_private_temp_root = None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    global _private_temp_root
    if config.option.basetemp is None:
        _private_temp_root = tempfile.mkdtemp(prefix="unargmax-crosschecks-")
        config.option.basetemp = os.path.join(_private_temp_root, "basetemp")


def pytest_unconfigure(config):
    global _private_temp_root
    if _private_temp_root is not None:
        shutil.rmtree(_private_temp_root)
        _private_temp_root = None


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
