import ExactArithmetic

/// Exact (rational) evaluation of certificates: no rounding anywhere. Float32 weights, Double
/// witnesses and Double multipliers are all dyadic rationals, so the checks are exact.
///
/// This is deliberately separate from the detectors' own floating-point bounds: it is the
/// independent checker for certificates files, and the exact-arithmetic mode's last word.
public enum ExactCertificates {
    static func rational(_ x: Float) -> Rational { Rational(exactly: x)! }  // layers are validated finite
    static func rational(_ x: Double) -> Rational { Rational(exactly: x)! }

    /// min_{i≠c} g_i(x) exactly (nil when x is outside the domain or not finite). O(C·d) rationals:
    /// meant for checking, not for the hot path.
    public static func witnessMargin(_ layer: SoftmaxLayer, class c: Int, witness x: [Double], domain: InputDomain)
        -> Rational?
    {
        guard x.count == layer.dimension, x.allSatisfy(\.isFinite), domain.contains(x) else { return nil }
        let d = layer.dimension
        let xs = x.map(rational)
        var best: Rational? = nil
        layer.weights.withUnsafeBufferPointer { w in
            let wc = (0..<d).map { rational(w[c * d + $0]) }
            let bc = layer.bias.map { rational($0[c]) } ?? 0
            for i in 0..<layer.classes where i != c {
                var s = bc - (layer.bias.map { rational($0[i]) } ?? 0)
                for j in 0..<d where w[i * d + j] != w[c * d + j] {
                    s = s + (wc[j] - rational(w[i * d + j])) * xs[j]
                }
                if best == nil || s < best! { best = s }
            }
        }
        return best
    }

    /// The exact upper bound on the margin given multipliers (normalised exactly by their sum):
    /// (β + max_{x∈X} v·x) / Σλ. nil when it is +∞ (unbounded domain and v ≠ 0) or λ is invalid.
    public static func multiplierBound(
        _ layer: SoftmaxLayer, class c: Int, indices: [Int], weights λ: [Rational], domain: InputDomain
    ) -> Rational? {
        guard indices.count == λ.count, !λ.isEmpty, λ.allSatisfy({ $0.signum >= 0 }),
            indices.allSatisfy({ (0..<layer.classes).contains($0) && $0 != c })
        else { return nil }
        let total = λ.reduce(Rational(0), +)
        guard total.signum > 0 else { return nil }
        let d = layer.dimension
        var bound = Rational(0)
        let bc = layer.bias.map { rational($0[c]) } ?? 0
        for (k, i) in indices.enumerated() {
            bound = bound + λ[k] * (bc - (layer.bias.map { rational($0[i]) } ?? 0))
        }
        var infinite = false
        layer.weights.withUnsafeBufferPointer { w in
            for j in 0..<d {
                var v = Rational(0)
                for (k, i) in indices.enumerated() where w[i * d + j] != w[c * d + j] {
                    v = v + λ[k] * (rational(w[c * d + j]) - rational(w[i * d + j]))
                }
                if v.isZero { continue }
                guard let l = domain.lower(j), let u = domain.upper(j) else {
                    infinite = true
                    continue
                }
                bound = bound + Swift.max(v * rational(l), v * rational(u))
            }
        }
        return infinite ? nil : bound / total
    }

    /// Exact multipliers on a support: μ ≥ 0 with Σ μ_i (w_c − w_i) = 0 and Σ μ_i = 1, i ∈ support,
    /// by Gaussian elimination over the rationals. Needed when the margin is exactly 0 (no-bias
    /// layers) or the domain is unbounded, where a floating-point λ can never prove v = 0.
    /// Returns nil if no such μ exists on this support. Cost O((d+1)·|support|²) rational operations.
    public static func supportMultipliers(_ layer: SoftmaxLayer, class c: Int, support: [Int]) -> [Rational]? {
        let d = layer.dimension, n = support.count
        guard n >= 1 else { return nil }
        // Float32 differences are exact in Double unless the exponents lie far apart: then integers
        // (fraction-free elimination), else the rationals.
        var exactInDouble = true
        let rows: [[Double]] = layer.weights.withUnsafeBufferPointer { w in
            (0..<d).map { j in
                support.map { i in
                    // 24-bit significands whose exponents differ by ≤ 28 subtract within 53 bits.
                    let a = w[c * d + j], b = w[i * d + j]
                    if a != 0 && b != 0 && abs(Int(a.exponent) - Int(b.exponent)) > 28 { exactInDouble = false }
                    return Double(a) - Double(b)
                } + [0]
            }
        }
        if exactInDouble {
            guard let solution = Rational.dyadicBasicSolution(rows + [Array(repeating: 1, count: n) + [1]]),
                solution.signs.allSatisfy({ $0 >= 0 })
            else { return nil }
            return solution.values
        }
        // Rows: d coordinates and the normalisation; columns: support, then the right-hand side.
        var m: [[Rational]] = layer.weights.withUnsafeBufferPointer { w in
            (0..<d).map { j in support.map { i in rational(w[c * d + j]) - rational(w[i * d + j]) } + [0] }
        }
        m.append(Array(repeating: Rational(1), count: n) + [1])
        guard let μ = Rational.basicSolution(m) else { return nil }
        return μ.allSatisfy({ $0.signum >= 0 }) ? μ : nil
    }
}
