import ExactArithmetic

/// The formulas of I. J. Good and T. N. Tideman, "Stirling numbers and a geometric structure from
/// voting theory" (J. Combin. Theory A 23, 1977), for M points ("candidates", here: classes) in
/// general position in a P-dimensional space, ranked by distance from a voter restricted to an
/// R-dimensional flat (0 ≤ R ≤ P ≤ M − 1).
///
/// With their notation S_m^n = coefficient of xⁿ in (1 + x)(1 + 2x)…(1 + (m−1)x) = c(m, m − n) and
/// T_m^n = S₂(m, m − n):
///
///     N(R, P, M) = T_M^{P−R} · Σ_{ν=0}^{R} S_{M−P+R}^ν                  (all regions, eq. 1)
///     B(R, P, M) = T_M^{P−R} · Σ_{ν=0}^{R} (−1)^{P−ν} S_{M−P+R}^ν       (bounded regions, eq. 2)
///
/// Outside 0 ≤ R ≤ P ≤ M − 1 every ranking is realised: N = M!, B = 0.
/// A softmax layer with bias and d input features is the case R = P = d, M = |C|.
public enum GoodTideman {
    /// Total number of regions N(R, P, M).
    public static func regions(r: Int, p: Int, m: Int) -> BigInt {
        guard 0 <= r, r <= p, p <= m - 1 else { return BigInt.factorial(max(m, 0)) }
        return secondKindFactor(p - r, m) * BigInt.sum((0...r).map { s($0, m - p + r) })
    }

    /// Number of bounded regions B(R, P, M); the sign convention of the paper is kept, so the
    /// value is the signed sum (its magnitude is the count; it is non-negative for R = P).
    public static func boundedRegions(r: Int, p: Int, m: Int) -> BigInt {
        guard 0 <= r, r <= p, p <= m - 1 else { return 0 }
        let alternating = BigInt.sum((0...r).map { nu in (p - nu) % 2 == 0 ? s(nu, m - p + r) : -s(nu, m - p + r) })
        return secondKindFactor(p - r, m) * alternating
    }

    /// S_m^n = c(m, m − n).
    static func s(_ n: Int, _ m: Int) -> BigInt { StirlingNumbers.firstKind(m, m - n) }

    /// T_m^n = S₂(m, m − n).
    static func secondKindFactor(_ n: Int, _ m: Int) -> BigInt { StirlingNumbers.secondKind(m, m - n) }
}
