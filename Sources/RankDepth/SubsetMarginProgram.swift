import ExactArithmetic
import LinearProgramming
import Unargmaxable

/// The margin LP of class c against a subset A of the other classes (the layer with some classes
/// removed): maximise t s.t. (w_i − w_c)·x + t ≤ b_c − b_i (i ∈ A), x ∈ X, t ≤ cap, by constraint
/// generation over A. The answer is an input (to be evaluated by the caller) or a proof that c is
/// unargmaxable against A, checked exactly before it is returned.
struct SubsetMarginProgram {
    let layer: SoftmaxLayer
    let domain: InputDomain
    let rowsPerRound = 64
    let maxRounds = 400
    /// Exact support solves are tried for supports up to this many classes.
    var supportLimit: Int { 4 * (layer.dimension + 1) }

    enum Outcome {
        /// The LP optimum x (in the domain); t > 0 in floating point.
        case input([Double])
        /// c is unargmaxable against A, proved exactly.
        case proof(UnargmaxabilityProof, input: [Double]?)
        /// Neither: the solver failed or floating point could not be turned into a proof.
        case unknown(input: [Double]?)
    }

    /// `allowed[i]` says whether class i is in A (c itself is ignored).
    func solve(class c: Int, allowed: [Bool], start: [Double]? = nil) -> Outcome {
        let d = layer.dimension, C = layer.classes
        let members = (0..<C).filter { $0 != c && allowed[$0] }
        guard !members.isEmpty else { return .input(domain.clipped(start ?? Array(repeating: 0, count: d))) }
        guard let lp = try? LinearProgram(columns: d + 1, direction: .maximize) else { return .unknown(input: nil) }
        let wc = layer.weights.row(c).map(Double.init)
        let bias = { (i: Int) -> Double in Double(layer.bias?[i] ?? 0) }
        do {
            try lp.setObjective(Array(repeating: 0, count: d) + [1])
            // Without a bias the regions are cones: on R^d the box |x_j| ≤ 1 decides the same and stays bounded.
            let searched: InputDomain = !layer.hasBias && domain == .unbounded ? .box(radius: 1) : domain
            for j in 0..<d {
                switch (searched.lowerBound(j), searched.upperBound(j)) {
                case let (l?, u?): try lp.setColumnBound(j, l == u ? .fixed(l) : .range(l, u))
                default: try lp.setColumnBound(j, .free)
                }
            }
            try lp.setColumnBound(d, .upper(1e6))
        } catch { return .unknown(input: nil) }
        var rows: [Int] = []
        var inSet = Set<Int>()
        var coefficients = [Double](repeating: 0, count: d + 1)
        coefficients[d] = 1
        func add(_ i: Int) throws {
            guard inSet.insert(i).inserted else { return }
            layer.weights.withUnsafeBufferPointer { w in
                for j in 0..<d { coefficients[j] = Double(w[i * d + j]) - wc[j] }
            }
            try lp.addRow(coefficients, .upper(bias(c) - bias(i)))
            rows.append(i)
        }
        let initial: [Int]
        if members.count <= 256 {
            initial = members
        } else {
            let x0 = domain.clipped(start ?? wc)
            initial = strongest(members, at: x0, count: 64, class: c)
        }
        do { for i in initial { try add(i) } } catch { return .unknown(input: nil) }
        var lastInput: [Double]? = nil
        for _ in 0..<maxRounds {
            let solution = lp.solve()
            guard solution.status == .optimal else { return .unknown(input: lastInput) }
            let x = domain.clipped(Array(solution.primal[0..<d]))
            lastInput = x
            let t = solution.primal[d]
            let violated = t > 0 ? strongestViolations(members, x: x, t: t, class: c, excluding: inSet) : []
            if !violated.isEmpty {
                do { for i in violated { try add(i) } } catch { return .unknown(input: x) }
                continue
            }
            if t > 1e-9 * (1 + abs(t)) { return .input(x) }
            if let proof = proof(class: c, rows: rows, duals: solution.rowDuals, program: lp) {
                return .proof(proof, input: x)
            }
            return t > 0 ? .input(x) : .unknown(input: x)
        }
        return .unknown(input: lastInput)
    }

    /// Multipliers from the duals, made exact: the duals themselves, then exact solves on their
    /// support and on the active rows of GLPK's exact simplex.
    private func proof(class c: Int, rows: [Int], duals: [Double], program: LinearProgram) -> UnargmaxabilityProof? {
        let largest = duals.reduce(0) { max($0, $1) }
        var support: [Int] = []
        var weights: [Double] = []
        if largest > 0 {
            for (i, λ) in zip(rows, duals) where λ > 1e-12 * largest {
                support.append(i)
                weights.append(λ)
            }
        }
        if !support.isEmpty {
            let λ = weights.map { Rational(exactly: $0)! }
            if let p = checked(c, support, λ) { return p }
            if support.count <= supportLimit,
                let μ = ExactCertificates.supportMultipliers(layer, class: c, support: support),
                let p = checked(c, support, μ)
            {
                return p
            }
        }
        guard program.solveExactly().status == .optimal else { return nil }
        let active = program.activeRows().map { rows[$0] }
        guard !active.isEmpty, active.count <= supportLimit,
            let μ = ExactCertificates.supportMultipliers(layer, class: c, support: active)
        else { return nil }
        return checked(c, active, μ)
    }

    /// The proof with zero weights dropped, if it checks exactly.
    private func checked(_ c: Int, _ support: [Int], _ λ: [Rational]) -> UnargmaxabilityProof? {
        let kept = zip(support, λ).filter { !$0.1.isZero }
        guard !kept.isEmpty else { return nil }
        let total = kept.reduce(Rational(0)) { $0 + $1.1 }
        let proof = UnargmaxabilityProof(support: kept.map(\.0), weights: kept.map { $0.1 / total })
        return DepthVerifier.check(proof, layer: layer, class: c, domain: domain) == nil ? proof : nil
    }

    /// The `count` members with the largest logits at x (a bounded selection, not a full sort).
    private func strongest(_ members: [Int], at x: [Double], count: Int, class c: Int) -> [Int] {
        let d = layer.dimension
        var kept: [(y: Double, index: Int)] = []
        var floor = -Double.infinity  // the smallest logit kept, once `count` are kept
        layer.weights.withUnsafeBufferPointer { w in
            for i in members {
                var y = Double(layer.bias?[i] ?? 0)
                for j in 0..<d { y += Double(w[i * d + j]) * x[j] }
                guard kept.count < count || y > floor else { continue }
                kept.append((y, i))
                if kept.count > 2 * count {
                    kept.sort { $0.y > $1.y }
                    kept.removeLast(kept.count - count)
                    floor = kept[count - 1].y
                }
            }
        }
        kept.sort { $0.y > $1.y }
        return kept.prefix(count).map(\.index)
    }

    private func strongestViolations(_ members: [Int], x: [Double], t: Double, class c: Int, excluding: Set<Int>)
        -> [Int]
    {
        let d = layer.dimension
        let tolerance = 1e-9 * (1 + abs(t))
        var found: [(Double, Int)] = []
        layer.weights.withUnsafeBufferPointer { w in
            var yc = Double(layer.bias?[c] ?? 0)
            for j in 0..<d { yc += Double(w[c * d + j]) * x[j] }
            for i in members where !excluding.contains(i) {
                var y = Double(layer.bias?[i] ?? 0)
                for j in 0..<d { y += Double(w[i * d + j]) * x[j] }
                let g = yc - y
                if g < t - tolerance { found.append((g - t, i)) }
            }
        }
        return found.sorted { $0 < $1 }.prefix(rowsPerRound).map(\.1)
    }
}
