import ExactArithmetic

/// Turns an LP's multipliers (λ ≥ 0 on some competitors of c) into a certified upper bound on the
/// margin m_c, and into a certificate of unargmaxability when that bound is ≤ 0.
///
/// First in floating point with a rigorous error bound (enough whenever the margin is clearly
/// negative). Where that cannot work — a margin of exactly 0 (layers without bias), or an
/// unbounded domain, which needs Σλ_i (w_c − w_i) = 0 exactly — and rational arithmetic is allowed:
/// the same λ evaluated exactly, then exact multipliers solved on λ's support.
struct MultiplierCertifier {
    let layer: SoftmaxLayer
    let domain: InputDomain
    let useExactArithmetic: Bool
    /// The exact support solve costs about |support|²·(d + 1) integer operations (fraction-free
    /// elimination) on integers that grow to |support| times the entries' width; above this it is
    /// skipped (the caller's exact simplex may still close the class). Any d is served for small
    /// supports (a duplicate row's is 1; 32 classes at d = 4096 are within it). Measured: 2²⁵ let
    /// 240-class supports of a 49152 × 576 head through, each solve taking seconds, called per LP round.
    let supportSolveBudget = 1 << 22

    /// The same certifier limited to floating point (for brackets of classes already decided).
    var withoutExactArithmetic: MultiplierCertifier {
        MultiplierCertifier(layer: layer, domain: domain, useExactArithmetic: false)
    }

    struct Result {
        var upper: Double
        var certificate: Certificate?
    }

    /// Multipliers as an LP reports them: tiny or negative values (solver noise) are dropped.
    static func cleaned(indices: [Int], weights: [Double]) -> (indices: [Int], weights: [Double]) {
        let largest = weights.reduce(0) { max($0, $1) }
        guard largest > 0 else { return ([], []) }
        var kept: (indices: [Int], weights: [Double]) = ([], [])
        for (i, λ) in zip(indices, weights) where λ > 1e-12 * largest {
            kept.indices.append(i)
            kept.weights.append(λ)
        }
        return kept
    }

    func certify(class c: Int, indices: [Int], weights: [Double]) -> Result {
        let (indices, weights) = Self.cleaned(indices: indices, weights: weights)
        guard !indices.isEmpty else { return Result(upper: .infinity, certificate: nil) }
        // Without a bias, with 0 inside the domain, an unargmaxable class has margin exactly 0: no
        // floating-point λ can prove it, and exact multipliers come straight from the support.
        if useExactArithmetic, !layer.hasBias, domain.containsOriginInInterior,
            indices.count <= layer.dimension + 1,
            let certified = certifyOnSupport(c, support: indices)
        {
            return certified
        }
        let bound = RigorousBounds.multiplierUpperBound(
            layer, class: c, indices: indices, weights: weights, domain: domain)
        if bound <= 0 {
            let total = weights.reduce(0, +)
            return Result(
                upper: bound,
                certificate: .multipliers(indices: indices, weights: weights.map { $0 / total }, exact: nil))
        }
        guard useExactArithmetic else { return Result(upper: bound, certificate: nil) }
        let λ = weights.map { Rational(exactly: $0)! }
        if let exact = ExactCertificates.multiplierBound(
            layer, class: c, indices: indices, weights: λ, domain: domain),
            exact.signum <= 0
        {
            let total = λ.reduce(Rational(0), +)
            // GMP's conversion truncates toward zero: a value ≤ 0 stays a valid upper bound.
            return Result(
                upper: exact.doubleValue,
                certificate: .multipliers(
                    indices: indices, weights: weights.map { $0 / weights.reduce(0, +) },
                    exact: λ.map { ($0 / total).description }))
        }
        if let certified = certifyOnSupport(c, support: indices) { return certified }
        return Result(upper: bound, certificate: nil)
    }

    /// Exact multipliers μ ≥ 0, Σμ = 1 with Σμ_i (w_c − w_i) = 0 on `support`, when they exist and
    /// prove the margin ≤ 0.
    func certifyOnSupport(_ c: Int, support: [Int]) -> Result? {
        let n = support.count, d = layer.dimension
        guard n >= 1, n <= d + 1, n * n * (d + 1) <= supportSolveBudget,
            let μ = ExactCertificates.supportMultipliers(layer, class: c, support: support)
        else { return nil }
        // Σμ_i (w_c − w_i) = 0 holds exactly by construction, so the bound is the bias term alone.
        var bound = Rational(0)
        if let bias = layer.bias {
            let bc = Rational(exactly: bias[c])!
            for (k, i) in support.enumerated() where !μ[k].isZero {
                bound = bound + μ[k] * (bc - Rational(exactly: bias[i])!)
            }
        }
        guard bound.signum <= 0 else { return nil }
        let kept = zip(support, μ).filter { !$0.1.isZero }
        return Result(
            upper: bound.doubleValue,
            certificate: .multipliers(
                indices: kept.map(\.0), weights: kept.map { $0.1.doubleValue },
                exact: kept.map { $0.1.description }))
    }
}
