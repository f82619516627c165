#!/usr/bin/env python3
"""List lines longer than 120 columns (UTF-8 bytes) in the tracked Swift files.

    python3 Tests/check_line_length.py     # exit 1 if any are listed, as path:line:length

`make lint` runs it. swift-format keeps code within its `lineLength` of 120 but cannot break string
literals or long comments, so this catches those. Lengths count UTF-8 bytes, as byte-counting tools do
(`×`, `≥` or `—` count as two or three), so no tool sees a line over 120.
"""

import subprocess
import sys

LIMIT = 120


def main() -> int:
    files = subprocess.run(
        ["git", "ls-files", "-z", "*.swift"], capture_output=True, text=True, check=True
    ).stdout.split("\0")
    offenders = []
    for path in filter(None, files):
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle.read().split("\n"), 1):
                if len(line.encode()) > LIMIT:
                    offenders.append(f"{path}:{number}:{len(line.encode())}")
    for offender in offenders:
        print(offender)
    if offenders:
        print(f"{len(offenders)} line(s) longer than {LIMIT} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
