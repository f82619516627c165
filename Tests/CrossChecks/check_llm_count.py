"""Digit-for-digit check of the Llama-3-sized counts (|C| = 128256, d = 4096) against the independent
implementation. Too slow for `make test` (~2.5 min per case in Python with gmpy2); run with
`make crosscheck-llm`. Measured 2026-11-24 on the 2-core dev machine: Python 163 s / 151 s,
unargmax 7.2 s / 6.1 s (bias / no bias), all digits equal (27 555 / 27 549 digits)."""
import json
import os
import subprocess
import sys
import time

import independent_counts

sys.set_int_max_str_digits(0)
binary = os.environ.get("UNARGMAX", os.path.join(os.path.dirname(__file__), "../../.build/release/unargmax"))
failures = 0
for bias in (True, False):
    start = time.time()
    reference = independent_counts.count(128256, 4096, bias)
    python_seconds = time.time() - start
    start = time.time()
    args = [binary, "count", "--classes", "128256", "--dim", "4096", "--bias" if bias else "--no-bias", "--format", "json"]
    got = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    tool_seconds = time.time() - start
    equal = all(str(reference[k]) == got[k] for k in ("regions", "bounded_regions", "permutations"))
    failures += not equal
    print(f"bias={bias}: independent {python_seconds:.1f} s, unargmax {tool_seconds:.1f} s, "
          f"{len(got['regions'])} digits, equal={equal}")
sys.exit(1 if failures else 0)
