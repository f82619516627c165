"""`make bench-llm`: `unargmax check` on a generated LLM-sized BF16 head against numpy's GEMM in the same run.

Issue 11's targets: the whole check with certificates in at most 1.2x one Float32 W @ W.T of the same shape
(numpy, in row blocks written into one reused buffer: numpy's OpenBLAS crashes on one product with more than
2^31 entries, and blocks are the stricter baseline anyway), and peak memory at most 1.5x the Float32 weights.

    python3 Tests/Benchmarks/bench_llm_head.py UNARGMAX [--classes 128256] [--dim 4096] [--folder .models]
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np


def load_bf16(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        (name, info), = [(k, v) for k, v in header.items() if k != "__metadata__"]
        raw = np.fromfile(f, dtype="<u2")
    return (raw.astype("<u4") << 16).view("<f4").reshape(info["shape"])


def numpy_gram_seconds(W):
    C = W.shape[0]
    block = max(8, min(1024, (64 << 20) // C))
    out = np.empty((block, C), dtype=np.float32)
    start = time.perf_counter()
    for first in range(0, C, block):
        rows = min(block, C - first)
        np.matmul(W[first:first + rows], W.T, out=out[:rows])
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("unargmax")
    parser.add_argument("--classes", type=int, default=128256)
    parser.add_argument("--dim", type=int, default=4096)
    parser.add_argument("--folder", default=".models")
    args = parser.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    head = os.path.join(args.folder, f"llm-head-{args.classes}x{args.dim}-bf16.safetensors")
    if not os.path.exists(head):
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "make_llm_head.py"), head,
                        "--classes", str(args.classes), "--dim", str(args.dim)], check=True)
    W = load_bf16(head)
    float32_bytes = W.nbytes
    numpy_seconds = numpy_gram_seconds(W)
    import numpy.__config__  # noqa: F401  (the BLAS numpy links, for the record)
    del W
    with tempfile.TemporaryDirectory() as scratch:
        report, certificates = os.path.join(scratch, "report.json"), os.path.join(scratch, "certs.npz")
        start = time.perf_counter()
        run = subprocess.run(["/usr/bin/time", "-f", "%M", args.unargmax, "check", head, "--quiet", "--format", "json",
                              "--output", report, "--certificates", certificates],
                             capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if run.returncode != 0:
            sys.exit(f"unargmax check failed: {run.stderr.strip()}")
        peak = int(run.stderr.strip().splitlines()[-1]) * 1024
        summary = json.load(open(report))["summary"]
        certificate_bytes = os.path.getsize(certificates)
    print(f"generated head {args.classes} x {args.dim} BF16 ({head})")
    print(f"numpy W @ W.T (Float32, row blocks)        {numpy_seconds:9.1f} s")
    print(f"unargmax check --certificates .npz          {seconds:9.1f} s   {seconds / numpy_seconds:.2f}x numpy's GEMM"
          f"   (target <= 1.2x)")
    print(f"peak memory {peak / 2**30:.2f} GiB = {peak / float32_bytes:.2f}x the Float32 weights (target <= 1.5x); "
          f"certificates {certificate_bytes / 2**20:.0f} MiB")
    print(f"verdicts: {summary['argmaxable']} argmaxable, {summary['unargmaxable']} unargmaxable, "
          f"{summary['undecided']} undecided")


if __name__ == "__main__":
    main()
