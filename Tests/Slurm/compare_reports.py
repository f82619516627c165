#!/usr/bin/env python3
"""Compares two JSON reports of `unargmax check` (e.g. a merged sharded run and one unsharded run).

Strict (the default): the whole reports must be equal except the timing fields (`summary.seconds`);
every difference is listed by path, and differences inside `classes` are grouped by field with the
classes they occur on. `--verdicts-only`: the layer, domain, options and summary counts must be equal,
and class by class the index, token and verdict; steps, stages and margin brackets may differ.

`--certificates EXPECTED ACTUAL`: also the two certificates files (`.npz` from `--certificates x.npz`),
array by array, bit for bit.

Exit status: 0 equal, 1 different, 2 unreadable input (with a message naming the file).
"""
import argparse
import json
import sys
from collections import defaultdict

TIMING_FIELDS = [("summary", "seconds")]
VERDICT_FIELDS = ("index", "token", "verdict")


def refuse(message):
    print(f"compare_reports: {message}", file=sys.stderr)
    sys.exit(2)


def load(path):
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError) as error:
        refuse(f"{path}: not a readable JSON report ({error})")
    if not isinstance(report, dict) or not isinstance(report.get("classes"), list):
        refuse(f"{path}: not a report of `unargmax check --format json` (no classes list)")
    return report


def without_timing(report):
    report = json.loads(json.dumps(report))
    for *parents, leaf in TIMING_FIELDS:
        node = report
        for key in parents:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(leaf, None)
    return report


def differences(a, b, path=""):
    """Yields (path, a, b) for every leaf where a and b differ (a missing side is the string '<absent>')."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            yield from differences(a.get(key, "<absent>"), b.get(key, "<absent>"), f"{path}.{key}" if path else key)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{path}[{i}]")
    elif a != b or type(a) is not type(b):
        yield path, a, b


def class_field(path):
    """'classes[17].margin.lower' → (17, 'margin.lower'); None outside the classes list."""
    if not path.startswith("classes["):
        return None
    index, _, rest = path[len("classes["):].partition("]")
    return int(index), rest.lstrip(".") or "(the whole class)"


def compare(expected, actual, verdicts_only=False, show=10):
    """Returns the list of lines describing every difference (empty when the reports are equal)."""
    expected, actual = without_timing(expected), without_timing(actual)
    lines = []
    for key in [k for k in expected if k != "classes"] + [k for k in actual if k not in expected]:
        for path, x, y in differences(expected.get(key, "<absent>"), actual.get(key, "<absent>"), key):
            lines.append(f"{path}: {json.dumps(x)} ≠ {json.dumps(y)}")
    a, b = expected["classes"], actual["classes"]
    if len(a) != len(b):
        lines.append(f"classes: {len(a)} ≠ {len(b)} entries")
        return lines
    if verdicts_only:
        a = [{k: c.get(k) for k in VERDICT_FIELDS} for c in a]
        b = [{k: c.get(k) for k in VERDICT_FIELDS} for c in b]
    by_field = defaultdict(list)  # field → [(class index, expected, actual)]
    for path, x, y in differences(a, b, "classes"):
        position, field = class_field(path) or (None, path)
        by_field[field].append((expected["classes"][position].get("index", position), x, y))
    for field, cases in sorted(by_field.items(), key=lambda item: -len(item[1])):
        shown = ", ".join(f"class {c}: {json.dumps(x)} ≠ {json.dumps(y)}" for c, x, y in cases[:show])
        more = f", … ({len(cases) - show} more)" if len(cases) > show else ""
        lines.append(f"classes[].{field} differs on {len(cases)} of {len(a)} classes: {shown}{more}")
    return lines


def load_certificates(path):
    import numpy as np  # only for --certificates

    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError) as error:
        refuse(f"{path}: not a readable .npz certificates file ({error})")


def compare_certificates(expected, actual, show=10):
    """Lines describing every array of two .npz certificates files that differs (empty when equal)."""
    lines = []
    for name in list(expected) + [k for k in actual if k not in expected]:
        a, b = expected.get(name), actual.get(name)
        if a is None or b is None:
            lines.append(f"certificates {name}: only in the {'actual' if a is None else 'expected'} file")
        elif a.dtype != b.dtype or a.shape != b.shape:
            lines.append(f"certificates {name}: {a.dtype}{list(a.shape)} ≠ {b.dtype}{list(b.shape)}")
        elif a.tobytes() != b.tobytes():
            rows = [i for i in range(len(a)) if a[i].tobytes() != b[i].tobytes()] if a.ndim else [0]
            lines.append(f"certificates {name}: {len(rows)} of {len(a) if a.ndim else 1} entries differ "
                         f"(positions {rows[:show]}{' …' if len(rows) > show else ''})")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("expected", help="the reference report (e.g. the unsharded run)")
    parser.add_argument("actual", help="the report compared with it (e.g. the merged shards)")
    parser.add_argument("--verdicts-only", action="store_true",
                        help="compare layer, options, summary and verdicts; not steps, stages, brackets")
    parser.add_argument("--certificates", nargs=2, metavar=("EXPECTED", "ACTUAL"),
                        help="also compare these two .npz certificates files, bit for bit")
    parser.add_argument("--show", type=int, default=10, help="classes listed per differing field (default 10)")
    args = parser.parse_args(argv)
    lines = compare(load(args.expected), load(args.actual), args.verdicts_only, args.show)
    mode = "verdicts" if args.verdicts_only else "strict (all fields but summary.seconds)"
    if args.certificates:
        lines += compare_certificates(*map(load_certificates, args.certificates), show=args.show)
        mode += f"; certificates {args.certificates[1]} against {args.certificates[0]}"
    if lines:
        print(f"DIFFERENT ({mode}): {args.actual} against {args.expected}")
        for line in lines:
            print(f"  {line}")
        return 1
    print(f"equal ({mode}): {args.actual} and {args.expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
