"""An independent exact count of feasible rankings, sharing no code or method with the Swift tool.

The Swift tool uses power series modulo word primes (FLINT) and the Chinese remainder theorem.
Here: the coefficients e_0..e_D of prod_{i<C} (1 + i t), truncated at t^D, by a balanced product
tree whose polynomial products use Kronecker substitution on Python's own big integers.
"""
from __future__ import annotations

import math
import sys

try:  # GMP's FFT multiplication when available; Python's own Karatsuba otherwise (same result, slower).
    from gmpy2 import mpz as _big
except ImportError:  # pragma: no cover
    _big = int


def _multiply_truncated(a: list[int], b: list[int], degree: int) -> list[int]:
    """(a * b) mod t^(degree+1) for polynomials with non-negative integer coefficients."""
    a, b = a[: degree + 1], b[: degree + 1]
    if len(a) < 8 or len(b) < 8:
        out = [0] * min(len(a) + len(b) - 1, degree + 1)
        for i, x in enumerate(a):
            if x:
                for j, y in enumerate(b[: degree + 1 - i]):
                    out[i + j] += x * y
        return out
    # Kronecker substitution: pack coefficients into one integer with slots wide enough for any product.
    slot = max(max(a).bit_length(), 1) + max(max(b).bit_length(), 1) + min(len(a), len(b)).bit_length() + 1
    slot = (slot + 7) // 8 * 8  # byte-aligned slots: packing and unpacking become byte copies
    width = slot // 8

    def pack(p: list[int]) -> int:
        return int.from_bytes(b"".join(c.to_bytes(width, "little") for c in p), "little")

    product = int(_big(pack(a)) * _big(pack(b)))
    raw = product.to_bytes((product.bit_length() + 7) // 8 + width, "little")
    n = min(len(a) + len(b) - 1, degree + 1)
    return [int.from_bytes(raw[i * width : (i + 1) * width], "little") for i in range(n)]


def truncated_rising_product(classes: int, degree: int) -> list[int]:
    """e_0 .. e_min(degree, classes-1) of 1, 2, ..., classes-1."""
    layer = [[1, i] for i in range(1, classes)] or [[1]]
    while len(layer) > 1:
        nxt = [_multiply_truncated(layer[k], layer[k + 1], degree) for k in range(0, len(layer) - 1, 2)]
        if len(layer) % 2:
            nxt.append(layer[-1])
        layer = nxt
    e = layer[0][: degree + 1]
    return e + [0] * (degree + 1 - len(e))


def count(classes: int, dimension: int, bias: bool) -> dict:
    """The same fields as `unargmax count --format json`."""
    permutations = math.factorial(classes)
    if classes == 1 or dimension >= classes - 1:
        return {"regions": permutations, "bounded_regions": 0, "permutations": permutations}
    e = truncated_rising_product(classes, dimension)
    if bias:
        regions = sum(e[: dimension + 1])
        bounded = abs(sum(x if k % 2 == 0 else -x for k, x in enumerate(e[: dimension + 1])))
    else:
        regions = 2 * sum(e[k] for k in range(dimension) if (dimension - 1 - k) % 2 == 0)
        bounded = 0
    return {"regions": regions, "bounded_regions": bounded, "permutations": permutations}


if __name__ == "__main__":
    c, d, b = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "bias"
    sys.set_int_max_str_digits(0)
    result = count(c, d, b)
    print({k: (str(v)[:20] + "…", len(str(v))) for k, v in result.items()})
