import ExactArithmetic
import LinearProgramming
import Unargmaxable

/// Decides "some x ∈ X has y_i(x) > 0 for i ∈ P and y_j(x) ≤ 0 for j ∈ N" by LPs with constraint
/// generation over N, returning only verdicts whose certificates check exactly:
///
/// 1. maximise t s.t. y_i ≥ t (P), y_j ≤ −t (N): t* > 0 gives a witness with strict signs;
/// 2. maximise t s.t. y_i ≥ t (P), y_j ≤ 0 (N): t* ≤ 0 gives multipliers (the duals) for a Farkas
///    certificate, made exact on their support when floating point cannot show an exact 0.
struct SignConditionProgram {
    let layer: SoftmaxLayer
    let domain: InputDomain
    let rowsPerRound = 64
    let maxRounds = 300

    /// The domain searched: without a bias the regions are cones, so on R^d the box |x_j| ≤ 1 suffices.
    var searched: InputDomain { !layer.hasBias && domain == .unbounded ? .box(radius: 1) : domain }

    func bias(_ i: Int) -> Double { Double(layer.bias?[i] ?? 0) }

    func logit(_ i: Int, _ x: [Double]) -> Double {
        let d = layer.dimension
        return layer.weights.withUnsafeBufferPointer { w in
            var y = bias(i)
            for j in 0..<d { y += Double(w[i * d + j]) * x[j] }
            return y
        }
    }

    func decide(positive: [Int], negative: [Int]) -> LabelSetVerdict {
        let d = layer.dimension
        if positive.isEmpty && negative.isEmpty {
            let centre = (0..<d).map { j in
                searched.lowerLimit(j).map { l in min(max(0, l), searched.upperLimit(j)!) } ?? 0
            }
            return .feasible(witness: centre)
        }
        // Stage 1: strict on both sides.
        let strict = solve(positive: positive, negative: negative, strictNegatives: true)
        if let (x, t, _) = strict.optimum {
            if t > 0, let verdict = witness(x, positive, negative) { return verdict }
            if positive.isEmpty {
                if t >= 0, let verdict = witness(x, positive, negative) { return verdict }
                if t < 0, let verdict = certificate(strict, positive: [], negative: negative) { return verdict }
                return .undecided
            }
        }
        guard !positive.isEmpty else { return .undecided }
        let relaxed = solve(positive: positive, negative: negative, strictNegatives: false)
        switch relaxed.status {
        case .optimal:
            let (x, t, _) = relaxed.optimum!
            if t > 0, let verdict = witness(x, positive, negative) { return verdict }
            // t ≤ 0, or a t > 0 within the solver's tolerance whose input does not check: try a proof.
            return certificate(relaxed, positive: positive, negative: negative) ?? .undecided
        case .infeasible:
            // No input keeps the negatives ≤ 0 at all: a certificate on N alone.
            let alone = solve(positive: [], negative: negative, strictNegatives: true)
            if let (_, t, _) = alone.optimum, t < 0 {
                return certificate(alone, positive: [], negative: negative) ?? .undecided
            }
            return .undecided
        default:
            return .undecided
        }
    }

    /// The witness if it checks exactly (also tried with coordinates below 1e-12 set to 0, for
    /// layers without bias where the answer sits on a hyperplane through the origin).
    private func witness(_ x: [Double], _ positive: [Int], _ negative: [Int]) -> LabelSetVerdict? {
        let scale = x.reduce(0) { max($0, abs($1)) }
        for candidate in [x, x.map { abs($0) <= 1e-12 * max(1, scale) ? 0 : $0 }] {
            if SigmoidVerifier.check(
                witness: candidate, layer: layer, positive: positive, negative: negative, domain: domain) == nil
            {
                return .feasible(witness: candidate)
            }
        }
        return nil
    }

    struct Solved {
        var status: LinearProgramSolution.Status
        var optimum: (x: [Double], t: Double, duals: [Double])?
        var rows: [(label: Int, positive: Bool)]
        var program: LinearProgram?
    }

    private func solve(positive: [Int], negative: [Int], strictNegatives: Bool) -> Solved {
        let d = layer.dimension
        var result = Solved(status: .failed(.wrongThread), optimum: nil, rows: [], program: nil)
        guard let lp = try? LinearProgram(columns: d + 1, direction: .maximize) else { return result }
        result.program = lp
        var inSet = Set<Int>()
        do {
            try lp.setObjective(Array(repeating: 0, count: d) + [1])
            for j in 0..<d {
                switch (searched.lowerLimit(j), searched.upperLimit(j)) {
                case let (l?, u?): try lp.setColumnBound(j, l == u ? .fixed(l) : .range(l, u))
                default: try lp.setColumnBound(j, .free)
                }
            }
            try lp.setColumnBound(d, .upper(1))
            var row = [Double](repeating: 0, count: d + 1)
            func add(_ i: Int, positive: Bool) throws {
                layer.weights.withUnsafeBufferPointer { w in
                    for j in 0..<d { row[j] = (positive ? -1 : 1) * Double(w[i * d + j]) }
                }
                row[d] = positive || strictNegatives ? 1 : 0
                try lp.addRow(row, .upper(positive ? bias(i) : -bias(i)))
                result.rows.append((i, positive))
            }
            for i in positive { try add(i, positive: true) }
            let initial: [Int]
            if negative.count <= 256 {
                initial = negative
            } else {
                var x0 = [Double](repeating: 0, count: d)
                for i in positive { for j in 0..<d { x0[j] += Double(layer.weights[i, j]) } }
                let norm = x0.reduce(0) { max($0, abs($1)) }
                if norm > 0 { x0 = x0.map { $0 / norm } }
                x0 = x0.indices.map { j in
                    min(max(x0[j], searched.lowerLimit(j) ?? -1), searched.upperLimit(j) ?? 1)
                }
                initial = negative.map { (logit($0, x0), $0) }.sorted { $0 > $1 }.prefix(32).map(\.1)
            }
            for j in initial {
                inSet.insert(j)
                try add(j, positive: false)
            }
            for _ in 0..<maxRounds {
                let solution = lp.solve()
                result.status = solution.status
                guard solution.status == .optimal else { return result }
                let x = (0..<d).map { j in
                    min(
                        max(solution.primal[j], searched.lowerLimit(j) ?? -.infinity),
                        searched.upperLimit(j) ?? .infinity)
                }
                let t = solution.primal[d]
                let limit = strictNegatives ? -t : 0
                var violated: [(Double, Int)] = []
                for j in negative where !inSet.contains(j) {
                    let y = logit(j, x)
                    if y > limit + 1e-9 * (1 + abs(limit)) { violated.append((-y, j)) }
                }
                if violated.isEmpty {
                    result.optimum = (x, t, solution.rowDuals)
                    return result
                }
                for (_, j) in violated.sorted(by: { $0 < $1 }).prefix(rowsPerRound) {
                    inSet.insert(j)
                    try add(j, positive: false)
                }
            }
        } catch { return result }
        result.status = .failed(.iterationLimit)
        return result
    }

    /// A Farkas certificate from an optimum's duals, checked exactly; if floating point cannot make
    /// it exact, exact multipliers on the duals' support, then on the exact simplex's active rows.
    private func certificate(_ solved: Solved, positive: [Int], negative: [Int]) -> LabelSetVerdict? {
        if let verdict = dualCertificate(solved, positive: positive, negative: negative) { return verdict }
        if !positive.isEmpty, let verdict = cancellingCertificate(positive: positive, negative: negative) {
            return verdict
        }
        return nil
    }

    /// Checks multipliers exactly; the verdict when they prove the condition infeasible.
    private func verdict(_ entries: [(label: Int, positive: Bool, weight: Rational)], positive: [Int], negative: [Int])
        -> LabelSetVerdict?
    {
        let kept = entries.filter { !$0.weight.isZero }
        let certificate = FarkasCertificate(
            positive: kept.filter(\.positive).map(\.label), positiveWeights: kept.filter(\.positive).map(\.weight),
            negative: kept.filter { !$0.positive }.map(\.label),
            negativeWeights: kept.filter { !$0.positive }.map(\.weight))
        return SigmoidVerifier.check(
            certificate, layer: layer, positive: positive, negative: negative, domain: domain) == nil
            ? .infeasible(certificate) : nil
    }

    /// Multipliers that cancel the weights exactly, found by the LP in the multipliers themselves:
    /// c ≥ 0, Σ_P c_i w_i − Σ_N c_j w_j = 0, Σ_P c_i = 1, minimising Σ_P c_i b_i − Σ_N c_j b_j. A basic
    /// solution has at most d + 1 non-zeros, solved again exactly on that support. This is the proof
    /// needed without a bias (the combination must vanish exactly) and for unbounded inputs.
    func cancellingCertificate(positive: [Int], negative: [Int]) -> LabelSetVerdict? {
        let d = layer.dimension
        let labels = positive.map { ($0, true) } + negative.map { ($0, false) }
        guard let lp = try? LinearProgram(columns: labels.count, direction: .minimize) else { return nil }
        do {
            try lp.setObjective(labels.map { $0.1 ? bias($0.0) : -bias($0.0) })
            for k in labels.indices { try lp.setColumnBound(k, .lower(0)) }
            for j in 0..<d {
                try lp.addRow(labels.map { (($0.1 ? 1 : -1) * Double(layer.weights[$0.0, j])) }, .fixed(0))
            }
            try lp.addRow(labels.map { $0.1 ? 1 : 0 }, .fixed(1))
        } catch { return nil }
        for exact in [false, true] {
            let solution = exact ? lp.solveExactly() : lp.solve(method: .primalSimplex)
            guard solution.status == .optimal else { continue }
            let support = labels.indices.filter { (try? lp.columnStatus($0)) == .basic || solution.primal[$0] > 0 }
            if let c = exactMultipliers(support.map { (labels[$0].0, labels[$0].1) }),
                let found = verdict(c, positive: positive, negative: negative)
            {
                return found
            }
        }
        return nil
    }

    private func dualCertificate(_ solved: Solved, positive: [Int], negative: [Int]) -> LabelSetVerdict? {
        guard let (_, _, duals) = solved.optimum else { return nil }
        let largest = duals.reduce(0) { max($0, $1) }
        guard largest > 0 else { return nil }
        var support: [(label: Int, positive: Bool, weight: Double)] = []
        for (k, row) in solved.rows.enumerated() where duals[k] > 1e-12 * largest {
            support.append((row.label, row.positive, duals[k]))
        }
        func build(_ entries: [(label: Int, positive: Bool, weight: Rational)]) -> LabelSetVerdict? {
            verdict(entries, positive: positive, negative: negative)
        }
        if let verdict = build(support.map { ($0.label, $0.positive, Rational(exactly: $0.weight)!) }) {
            return verdict
        }
        if let exact = exactMultipliers(support.map { ($0.label, $0.positive) }), let verdict = build(exact) {
            return verdict
        }
        guard let lp = solved.program, lp.solveExactly().status == .optimal else { return nil }
        let active = lp.activeRows().map { solved.rows[$0] }
        guard let exact = exactMultipliers(active.map { ($0.label, $0.positive) }) else { return nil }
        return build(exact)
    }

    /// c ≥ 0 with Σ_P c_i w_i − Σ_N c_j w_j = 0 and Σ_P c_i = 1 (Σ_N c_j = 1 when P is empty), by Gaussian
    /// elimination over the rationals (a basic solution; free variables 0). Supports up to 4(d + 1).
    func exactMultipliers(_ rows: [(label: Int, positive: Bool)]) -> [(label: Int, positive: Bool, weight: Rational)]? {
        let d = layer.dimension, n = rows.count
        guard n >= 1, n <= 4 * (d + 1) else { return nil }
        let anyPositive = rows.contains(where: \.positive)
        var m: [[Rational]] = (0..<d).map { j in
            rows.map { r in (r.positive ? 1 : -1) * Rational(exactly: layer.weights[r.label, j])! } + [0]
        }
        m.append(rows.map { $0.positive == anyPositive ? Rational(1) : Rational(0) } + [1])
        guard let c = Rational.basicSolution(m) else { return nil }
        guard c.allSatisfy({ $0.signum >= 0 }) else { return nil }
        return rows.indices.map { (rows[$0].label, rows[$0].positive, c[$0]) }
    }
}
