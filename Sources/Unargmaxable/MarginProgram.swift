import ExactArithmetic
import LinearProgramming

/// Which linear program the exact detector solves for a class c (both have the sign of the margin).
public enum ExactObjective: String, Sendable, CaseIterable {
    /// maximise t s.t. (w_i − w_c)·x + t ≤ b_c − b_i: t* is the margin m_c itself.
    case margin
    /// The paper's variant: maximise r s.t. (w_i − w_c)·x + r‖w_i − w_c‖₂ ≤ b_c − b_i:
    /// r* is the radius of the largest ball inside c's region.
    case chebyshev
}

/// The exact detector for one class: the margin (or Chebyshev) LP over all C − 1 competitors,
/// solved by constraint generation — start from a small working set, check the optimum against
/// every class with one pass over W, add the most violated rows, re-solve warm. An optimum ≤ 0 on
/// a subset already proves c unargmaxable (fewer constraints can only raise it), so most proofs
/// never touch the whole layer. Verdicts come from certificates, never from solver tolerances.
struct MarginProgram {
    let layer: SoftmaxLayer
    let domain: InputDomain
    let objective: ExactObjective
    let exactArithmetic: Bool
    /// Rows added per round of constraint generation.
    let rowsPerRound = 64
    let maxRounds = 500

    struct Outcome {
        var margin = MarginBracket.unknown
        var certificate: Certificate? = nil
    }

    func solve(class c: Int, workingSet initial: [Int]) -> Outcome {
        let d = layer.dimension, C = layer.classes
        guard C > 1 else { return Outcome(margin: MarginBracket(lower: .infinity, upper: .infinity), certificate: .witness(Array(repeating: 0, count: d))) }
        var outcome = Outcome()
        guard let lp = try? LinearProgram(columns: d + 1, direction: .maximize) else { return outcome }
        let wc = layer.weights.row(c).map(Double.init)
        do {
            try lp.setObjective(Array(repeating: 0, count: d) + [1])
            for j in 0..<d {
                switch (domain.lower(j), domain.upper(j)) {
                case let (l?, u?): try lp.setColumnBound(j, .range(l, u))
                default: try lp.setColumnBound(j, .free)
                }
            }
            // Cap t so the LP stays bounded (unbounded domains); reaching the cap still proves t > 0.
            try lp.setColumnBound(d, .upper(1e6))
        } catch { return outcome }

        var inSet = Set<Int>()
        var rows: [Int] = []
        func add(_ i: Int) throws {
            guard i != c, i >= 0, i < C, inSet.insert(i).inserted else { return }
            var coefficients = [Double](repeating: 0, count: d + 1)
            var squared = 0.0
            layer.weights.withUnsafeBufferPointer { w in
                for j in 0..<d {
                    coefficients[j] = Double(w[i * d + j]) - wc[j]
                    squared += coefficients[j] * coefficients[j]
                }
            }
            // Chebyshev rows scale t by ‖w_i − w_c‖; an exact duplicate (norm 0) keeps coefficient 1 so
            // its row still says t ≤ b_c − b_i instead of the infeasible 0 ≤ b_c − b_i < 0.
            coefficients[d] = objective == .margin || squared == 0 ? 1 : squared.squareRoot()
            try lp.addRow(coefficients, .upper(layer.biasValue(c) - layer.biasValue(i)))
            rows.append(i)
        }
        do {
            for i in initial { try add(i) }
            if rows.isEmpty { try add(c == 0 ? 1 : 0) }
        } catch { return outcome }

        var dual = Multipliers(indices: [], weights: [])  // the last dual solution
        var witness: [Double]? = nil                        // the last optimal x
        for _ in 0..<maxRounds {
            let solution = lp.solve()
            guard solution.status == .optimal else { break }
            let t = solution.primal[d]
            let x = Array(solution.primal[0..<d])
            witness = x
            if t <= 0 {
                // Optimum ≤ 0 on a subset: c cannot win. The duals are the proof.
                (outcome.margin.upper, dual) = certifyUpper(c, rows: rows, duals: solution.rowDuals, outcome: &outcome)
                outcome.margin.lower = max(outcome.margin.lower, witnessLower(c, x))
                break
            }
            // Check x against every class; add the most violated constraints.
            let violated = mostViolated(c, x: x, t: t, excluding: inSet)
            if violated.isEmpty {
                let lower = witnessLower(c, x)
                outcome.margin.lower = lower
                if lower > 0 { outcome.certificate = .witness(x) }
                (outcome.margin.upper, dual) = certifyUpper(c, rows: rows, duals: solution.rowDuals, outcome: &outcome, keepCertificate: lower > 0)
                break
            }
            do { for i in violated { try add(i) } } catch { break }
        }
        if outcome.margin.verdict == .undecided, (exactArithmetic || !layer.hasBias || !domain.isBounded) {
            closeExactly(c, dual: dual, witness: witness, program: lp, rows: rows, outcome: &outcome)
        }
        return outcome
    }

    /// A certified upper bound from the LP duals (λ ≥ 0 on the working set); records the
    /// multipliers as the certificate when they prove c unargmaxable.
    struct Multipliers {
        let indices: [Int]
        let weights: [Double]
    }

    private func certifyUpper(_ c: Int, rows: [Int], duals: [Double], outcome: inout Outcome, keepCertificate: Bool = false) -> (Double, Multipliers) {
        var indices: [Int] = [], weights: [Double] = []
        let largest = duals.map { abs($0) }.max() ?? 0
        for (k, i) in rows.enumerated() where duals[k] > 1e-12 * largest {
            indices.append(i)
            weights.append(duals[k])
        }
        let bound = RigorousBounds.multiplierUpperBound(layer, class: c, indices: indices, weights: weights, domain: domain)
        if bound <= 0 && !keepCertificate {
            let total = weights.reduce(0, +)
            outcome.certificate = .multipliers(indices: indices, weights: weights.map { $0 / total }, exact: nil)
        }
        return (bound, Multipliers(indices: indices, weights: weights))
    }

    /// Exact arithmetic for brackets that floating point cannot close.
    /// Upper side: the LP's own multipliers evaluated exactly, then exact multipliers solved on
    /// their support (margin exactly 0, or unbounded inputs needing Σλ(w_c − w_i) = 0 exactly).
    /// Lower side: the LP's optimal x evaluated exactly against every class (O(C·d) rationals, so
    /// only for layers up to 4M weights).
    private func closeExactly(_ c: Int, dual: Multipliers, witness: [Double]?, program: LinearProgram, rows: [Int], outcome: inout Outcome) {
        if outcome.margin.upper > 0, !dual.indices.isEmpty {
            let λ = dual.weights.map { Rational(exactly: $0)! }
            if let bound = ExactCertificates.multiplierBound(layer, class: c, indices: dual.indices, weights: λ, domain: domain), bound.signum <= 0 {
                let total = λ.reduce(Rational(0), +)
                outcome.margin.upper = bound.doubleValue  // GMP truncates toward zero: a value ≤ 0 stays ≤ 0
                outcome.certificate = .multipliers(indices: dual.indices, weights: dual.weights, exact: λ.map { ($0 / total).description })
                return
            }
            // The floating-point support first; if the float basis was not exactly optimal (near-
            // degenerate data), GLPK's exact simplex finds the exactly optimal basis, whose active rows
            // are the support.
            func certify(on support: [Int]) -> Bool {
                guard !support.isEmpty, support.count <= layer.dimension + 1, layer.dimension <= 256,
                      let μ = ExactCertificates.supportMultipliers(layer, class: c, support: support),
                      let bound = ExactCertificates.multiplierBound(layer, class: c, indices: support, weights: μ, domain: domain),
                      bound.signum <= 0 else { return false }
                let kept = zip(support, μ).filter { !$0.1.isZero }
                outcome.margin.upper = bound.doubleValue
                outcome.certificate = .multipliers(indices: kept.map(\.0), weights: kept.map { $0.1.doubleValue }, exact: kept.map { $0.1.description })
                return true
            }
            if certify(on: dual.indices) { return }
            if layer.dimension <= 256, program.solveExactly().status == .optimal,
               certify(on: program.activeRows().map { rows[$0] }) { return }
        }
        if outcome.margin.lower <= 0, let x = witness, exactArithmetic, layer.classes * layer.dimension <= 1 << 22,
           let margin = ExactCertificates.witnessMargin(layer, class: c, witness: x, domain: domain), margin.signum > 0 {
            outcome.margin.lower = margin.doubleValue  // truncation toward zero keeps it a lower bound
            outcome.certificate = .witness(x)
        }
    }

    private func witnessLower(_ c: Int, _ x: [Double]) -> Double {
        RigorousBounds.witnessLowerBound(layer, class: c, witness: x, domain: domain).bound
    }

    /// Classes outside the working set whose constraint x violates, most violated first.
    private func mostViolated(_ c: Int, x: [Double], t: Double, excluding set: Set<Int>) -> [Int] {
        let d = layer.dimension
        var violations: [(Double, Int)] = []
        let tolerance = 1e-9 * (1 + abs(t))
        layer.weights.withUnsafeBufferPointer { w in
            let wc = w.baseAddress! + c * d
            for i in 0..<layer.classes where i != c && !set.contains(i) {
                let wi = w.baseAddress! + i * d
                var g = layer.biasValue(c) - layer.biasValue(i), squared = 0.0
                for j in 0..<d {
                    let a = Double(wc[j]) - Double(wi[j])
                    g += a * x[j]
                    squared += a * a
                }
                let required = objective == .margin || squared == 0 ? t : t * squared.squareRoot()
                if g < required - tolerance { violations.append((g - required, i)) }
            }
        }
        violations.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        return violations.prefix(rowsPerRound).map(\.1)
    }
}
