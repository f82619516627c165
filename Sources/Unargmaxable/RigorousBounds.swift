import Foundation

/// Certified bounds on a class's margin from floating-point evaluation plus a rigorous bound on
/// the rounding error (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1: a sum of n
/// products in any order has |error| ≤ γ_n Σ|terms|, γ_n = n u / (1 − n u)).
///
/// Weights and biases are Float32 and witnesses Double; all of them are exact in Double, so the
/// only errors are those of the Double arithmetic, bounded here and subtracted (or added), plus an
/// absolute 2⁻¹⁰²² per operation for underflow (even with denormals flushed to zero).
enum RigorousBounds {
    static let unitRoundoff = 0x1p-53

    static func gamma(_ n: Int, unitRoundoff u: Double = unitRoundoff) -> Double {
        let nu = Double(n) * u
        return nu / (1 - nu)
    }

    /// A certified lower bound on min_{i≠c} g_i(x), g_i(x) = (w_c − w_i)·x + (b_c − b_i);
    /// −∞ if x is outside the domain. O(C·d).
    static func witnessLowerBound(_ layer: SoftmaxLayer, class c: Int, witness x: [Double], domain: InputDomain) -> (
        bound: Double, runnerUp: Int
    ) {
        guard domain.contains(x), layer.classes > 1 else { return (layer.classes > 1 ? -.infinity : .infinity, c) }
        let d = layer.dimension
        let g = gamma(d + 2) * 1.01  // 1% covers the rounding of the bound's own evaluation
        var best = Double.infinity, runnerUp = c
        layer.weights.withUnsafeBufferPointer { w in
            let wc = w.baseAddress! + c * d
            for i in 0..<layer.classes where i != c {
                let wi = w.baseAddress! + i * d
                let biasDifference = layer.biasValue(c) - layer.biasValue(i)
                // Two interleaved sums (the bound holds for any order of summation, γ_{d+2} counts
                // every addition), so the additions do not wait on each other's latency.
                var s = (biasDifference, 0.0), magnitude = (abs(biasDifference), 0.0), differences = (0.0, 0.0)
                var j = 0
                while j + 2 <= d {
                    let a0 = Double(wc[j]) - Double(wi[j]), a1 = Double(wc[j + 1]) - Double(wi[j + 1])
                    let term0 = a0 * x[j], term1 = a1 * x[j + 1]
                    s.0 += term0
                    s.1 += term1
                    magnitude.0 += abs(term0)
                    magnitude.1 += abs(term1)
                    differences.0 += abs(a0)
                    differences.1 += abs(a1)
                    j += 2
                }
                if j < d {
                    let a = Double(wc[j]) - Double(wi[j])
                    s.0 += a * x[j]
                    magnitude.0 += abs(a * x[j])
                    differences.0 += abs(a)
                }
                let sum = s.0 + s.1, magnitudeSum = magnitude.0 + magnitude.1
                let differenceSum = differences.0 + differences.1
                let lower = sum - g * magnitudeSum - 0x1p-1022 * (Double(2 * d + 4) + differenceSum)
                if lower < best {
                    best = lower
                    runnerUp = i
                }
            }
        }
        return (best.isNaN ? -.infinity : best, runnerUp)
    }

    /// A certified upper bound on the margin from multipliers λ ≥ 0 (any positive total):
    /// m_c ≤ (β + max_{x∈X} v·x) / Σλ with v = Σλ_i (w_c − w_i), β = Σλ_i (b_c − b_i).
    /// For an unbounded domain a float evaluation cannot prove v = 0, so it returns +∞ unless λ
    /// sits on exact duplicates of w_c (then v = 0 exactly).
    static func multiplierUpperBound(
        _ layer: SoftmaxLayer, class c: Int, indices: [Int], weights λ: [Double], domain: InputDomain
    ) -> Double {
        guard !indices.isEmpty, λ.allSatisfy({ $0 >= 0 && $0.isFinite }) else { return .infinity }
        let d = layer.dimension, n = indices.count
        let total = λ.reduce(0, +)
        guard total > 0 else { return .infinity }
        let g = gamma(n + 2) * 1.01
        var beta = 0.0, betaMagnitude = 0.0, largestBiasDifference = 0.0
        var nonzeroTerms = 0  // products that might underflow (exact zeros cannot)
        for (k, i) in indices.enumerated() {
            largestBiasDifference = max(largestBiasDifference, abs(layer.biasValue(c) - layer.biasValue(i)))
            if layer.biasValue(c) != layer.biasValue(i) { nonzeroTerms += 1 }
            let term = λ[k] * (layer.biasValue(c) - layer.biasValue(i))
            beta += term
            betaMagnitude += abs(term)
        }
        let betaUpper = beta + g * betaMagnitude
        var directional = 0.0, directionalMagnitude = 0.0  // upper bound on max_{x∈X} v·x
        var exactlyZero = true, largestDifference = 0.0, largestBound = 1.0
        layer.weights.withUnsafeBufferPointer { w in
            for j in 0..<d {
                var v = 0.0, magnitude = 0.0
                for (k, i) in indices.enumerated() {
                    let difference = Double(w[c * d + j]) - Double(w[i * d + j])
                    if difference != 0 {
                        exactlyZero = false
                        nonzeroTerms += 1
                    }
                    largestDifference = max(largestDifference, abs(difference))
                    let term = λ[k] * difference
                    v += term
                    magnitude += abs(term)
                }
                let error = g * magnitude
                guard let l = domain.lower(j), let u = domain.upper(j) else {
                    if magnitude != 0 { directional = .infinity }
                    continue
                }
                largestBound = max(largestBound, abs(l), abs(u))
                // max over x_j ∈ [l, u] of v_j x_j, for every v_j within [v − error, v + error].
                let term = max((v - error) * l, (v + error) * l, (v - error) * u, (v + error) * u)
                directional += term
                directionalMagnitude += abs(term)
            }
        }
        if !domain.isBounded && !exactlyZero { return .infinity }
        let raw = betaUpper + directional
        let underflow =
            nonzeroTerms == 0
            ? 0
            : 0x1p-1022 * Double(4 * nonzeroTerms + d + 4) * (1 + largestDifference + largestBiasDifference)
                * (1 + largestBound)
        let numerator = raw + gamma(d + 2) * 1.01 * (abs(betaUpper) + directionalMagnitude) + underflow
        guard numerator.isFinite else { return .infinity }
        // Divide by a lower or upper bound on Σλ, whichever makes the quotient larger.
        let totalError = gamma(n) * total
        return numerator <= 0
            ? numerator / (total + totalError) : numerator / max(total - totalError, .leastNormalMagnitude)
    }
}
