import LogitKernels

/// A rigorous bound on the error of Float32 logits ŷ_i = fl(fl(w_i·x) + b_i) computed by any
/// sgemm, in any summation order, with or without FMA, even with denormals flushed to zero:
///
///     |ŷ_i − (w_i·x + b_i)| ≤ γ_{d+1} (‖w_i‖₂ ‖x‖₂ + |b_i|) + η(x)
///
/// (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1, with Cauchy–Schwarz on
/// Σ|w_ik x_k|), where γ_n = n u / (1 − n u), u = 2⁻²⁴, carries a 1 % margin for the rounding of
/// the bound's own Double evaluation, and η(x) bounds what underflow (gradual or flushed) can add:
/// 2⁻¹²⁶ per product, input and partial sum. The bound only holds when no partial sum can
/// overflow, which `rowScale` checks from ‖w_i‖₂‖x‖₂ + |b_i| ahead of the GEMM's result.
struct Float32LogitErrors: @unchecked Sendable {
    /// ‖w_i‖₂ rounded up, and |b_i|.
    let norms: [Double]
    let absBias: [Double]
    let maxNorm: Double
    let maxAbsBias: Double
    /// Σ_i ‖w_i‖₁ would be exact but costs a pass; √d · max ‖w_i‖₂ bounds every ‖w_i‖₁.
    let maxL1Norm: Double
    let gamma: Double
    let dimension: Int

    /// With `extraGamma`, every class's error grows by extraGamma ‖w_i‖₂ ‖x‖₂ (and underflow by
    /// 2⁻¹²⁶ ‖x‖₁): the rounding of rows that stand in for others (see `CenteredLayer`).
    init(_ layer: SoftmaxLayer, extraGamma: Double = 0) {
        let d = layer.dimension
        norms = layer.weights.withUnsafeBufferPointer { w in
            (0..<layer.classes).map { i in
                var s = 0.0
                for k in 0..<d { s += Double(w[i * d + k]) * Double(w[i * d + k]) }
                return s.squareRoot() * (1 + 1e-12)  // round the norm up
            }
        }
        absBias = layer.bias.map { $0.map { abs(Double($0)) } } ?? Array(repeating: 0, count: layer.classes)
        maxNorm = norms.max() ?? 0
        maxAbsBias = absBias.max() ?? 0
        maxL1Norm = maxNorm * Double(d).squareRoot() * (1 + 1e-12)
        gamma = RigorousBounds.gamma(d + 1, unitRoundoff: 0x1p-24) * 1.01 + extraGamma
        dimension = d
    }

    /// Per-input error parameters: E_i = perNorm·‖w_i‖ + gamma·|b_i| + absolute. Nil when some
    /// partial sum might overflow Float32 (then the GEMM's output proves nothing).
    func rowScale(_ x: UnsafeBufferPointer<Float>) -> RowErrorScale? {
        var squared = 0.0, l1 = 0.0
        for v in x {
            squared += Double(v) * Double(v)
            l1 += abs(Double(v))
        }
        let xNorm = squared.squareRoot() * (1 + 1e-12)
        let largest = (maxNorm * xNorm + maxAbsBias) * (1 + 4 * gamma)
        guard largest.isFinite, largest < Double(Float.greatestFiniteMagnitude) / 2 else { return nil }
        let absolute = 0x1p-126 * (3 * Double(dimension) + 3 + 2 * l1 + maxL1Norm) * 1.01
        return RowErrorScale(perNorm: gamma * xNorm, gamma: gamma, absolute: absolute)
    }

    @inline(__always) func bound(_ i: Int, _ scale: RowErrorScale) -> Double {
        scale.perNorm * norms[i] + scale.gamma * absBias[i] + scale.absolute
    }

    @inline(__always) func largestBound(_ scale: RowErrorScale) -> Double {
        scale.perNorm * maxNorm + scale.gamma * maxAbsBias + scale.absolute
    }
}

struct RowErrorScale {
    let perNorm: Double
    let gamma: Double
    let absolute: Double
}

/// One row of Float32 logits at an input x (the GEMM's W x, the bias added here): its argmax,
/// and certified lower bounds on the margins of the argmax and of an owner class c.
///
/// One tight pass keeps the two largest logits; margins are first certified with the largest
/// error bound of any class (enough almost always), and only when that is too loose and the owner
/// leads is a second pass made with each class's own bound.
struct LogitScan {
    /// The largest logit's class; ties go to the owner (the search does not reflect on a tie).
    var argmax = -1
    /// A certified lower bound on y_a − max_{i≠a} y_i for a = `argmax` (> 0 proves a wins at x).
    var argmaxMargin = -Double.infinity
    /// The argmax's strongest competitor.
    var argmaxRunnerUp = -1
    /// The owner's strongest competitor, and a certified lower bound on min_{i≠c} (y_c − y_i).
    var runnerUp = -1
    var ownerMargin = -Double.infinity

    init() {}

    init(
        row y: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>, owner c: Int,
        x: UnsafeBufferPointer<Float>, errors: Float32LogitErrors
    ) {
        let count = y.count
        guard count > 1 else {
            argmax = 0
            argmaxMargin = .infinity
            ownerMargin = .infinity
            return
        }
        var top = unargmax_top_two(first_value: -.infinity, first_index: -1, second_value: -.infinity, second_index: -1)
        let hasBias = !bias.isEmpty
        unargmax_top_two_scan(y.baseAddress, hasBias ? bias.baseAddress : nil, 0, count, &top)
        var first = (value: top.first_value, index: top.first_index)
        let second = (value: top.second_value, index: top.second_index)
        if first.index < 0 { first.index = 0 }  // only with non-finite logits, which prove nothing below
        let own = hasBias ? y[c] + bias[c] : y[c]
        argmax = own == first.value ? c : first.index
        let competitor = first.index == c ? second : first
        runnerUp = competitor.index >= 0 ? competitor.index : (c == 0 ? 1 : 0)
        argmaxRunnerUp = argmax == c ? runnerUp : second.index
        guard let scale = errors.rowScale(x), first.value.isFinite, second.value.isFinite || second.index < 0 else {
            return
        }
        let widest = errors.largestBound(scale)

        var ownLower = Double(own) - errors.bound(c, scale)
        var margin = ownLower - (Double(competitor.value) + widest)
        if margin <= 0 && argmax == c {
            var strongestUpper = -Double.infinity
            for i in 0..<count where i != c {
                let v = hasBias ? y[i] + bias[i] : y[i]
                strongestUpper = Swift.max(strongestUpper, Double(v) + errors.bound(i, scale))
            }
            margin = ownLower - strongestUpper
        }
        ownerMargin = Self.shaved(margin)
        if argmax == c {
            argmaxMargin = ownerMargin
        } else {
            ownLower = Double(first.value) - errors.bound(first.index, scale)
            argmaxMargin = Self.shaved(ownLower - (Double(second.value) + widest))
        }
    }

    /// The subtraction that formed a margin rounds too: shave a relative 1e-15 off a positive
    /// result (the error terms it subtracts are far larger than Double's own rounding).
    static func shaved(_ margin: Double) -> Double {
        guard margin.isFinite || margin == -.infinity else { return -.infinity }
        return margin > 0 ? margin * (1 - 1e-15) : margin
    }
}
