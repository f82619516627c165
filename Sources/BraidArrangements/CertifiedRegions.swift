import ExactArithmetic
import LinearProgramming

/// Proofs about chains and regions of a `BraidArrangement` that hold exactly: every certificate is
/// checked in rational arithmetic on the arrangement's data (Doubles, exact as rationals), never
/// against a floating-point tolerance. Floating-point LPs only *find* the certificates.
///
/// A chain π = (π0, …, πm) (lowest logit first) is feasible when some x in the domain has
/// g_k(x) = a_k·x + β_k > 0 for every k, with a_k = w_{π(k+1)} − w_{π(k)}, β_k = b_{π(k+1)} − b_{π(k)}.
/// - **Witness**: such an x, its gaps evaluated exactly (and, with a box, |x_j| ≤ R exactly).
/// - **Farkas certificate** (Motzkin's transposition theorem): λ ≥ 0, λ ≠ 0, with
///   Σλ_k β_k + R‖Σλ_k a_k‖₁ ≤ 0 (box of radius R), or Σλ_k a_k = 0 and Σλ_k β_k ≤ 0 (all of R^d).
///   Then Σλ_k g_k(x) ≤ 0 for every x in the domain, so the gaps cannot all be positive.
extension BraidArrangement {
    /// An exactly checked answer about one chain.
    public enum ChainProof: Equatable, Sendable {
        /// Realised strictly at this input; its gaps were checked positive in rational arithmetic.
        case feasible(witness: [Double])
        /// Infeasible; λ (one per consecutive pair of the chain) is a verified Farkas certificate.
        case infeasible(multipliers: [Rational])
        /// Neither certificate could be found and verified (a chain within rounding of a tie).
        case undetermined

        /// True for a proven feasible chain.
        public var isFeasible: Bool {
            if case .feasible = self { return true }
            return false
        }
    }

    /// Whether a region (of the arrangement in all of R^d, the box ignored) is bounded, with proof.
    public enum Boundedness: Equatable, Sendable {
        /// λ > 0 with Σλ_k a_k = 0 exactly and the a_k spanning R^d (exact rank): every recession
        /// direction v (a_k·v ≥ 0 for all k) has λ·(A v) = 0, so A v = 0, so v = 0.
        case bounded(multipliers: [Rational])
        /// v ≠ 0 with a_k·v ≥ 0 for every k exactly: x + t v stays in the region for every t ≥ 0.
        case unbounded(direction: [Rational])
        case undetermined

        /// True or false when proven, nil when undetermined.
        public var isBounded: Bool? {
            switch self {
            case .bounded: return true
            case .unbounded: return false
            case .undetermined: return nil
            }
        }
    }

    /// One feasible ranking with its exactly checked witness and, when decided, whether it is bounded.
    public struct CertifiedRegion: Equatable, Sendable {
        /// The classes from highest to lowest logit.
        public let ranking: [Int]
        /// An input realising the ranking strictly (gaps checked positive exactly).
        public let witness: [Double]
        /// Whether the region is bounded, with its proof.
        public let boundedness: Boundedness
    }

    /// All regions, each proven: rankings with verified witnesses, and every chain the search
    /// pruned with a verified Farkas certificate, so `rankings` is complete when `undetermined` is 0.
    public struct CertifiedEnumeration: Sendable {
        /// Every feasible ranking found, with its certificates.
        public var regions: [CertifiedRegion] = []
        /// Chains pruned because a verified Farkas certificate proves them infeasible.
        public var prunedChains = 0
        /// Chains neither proven feasible nor infeasible (not extended; the listing may miss regions).
        public var undetermined = 0
        /// True when the search stopped at its limit.
        public var truncated = false
    }

    // MARK: - Exact data

    func exactWeight(_ i: Int, _ j: Int) -> Rational { Rational(exactly: weights[i * dimension + j])! }
    func exactBias(_ i: Int) -> Rational { Rational(exactly: bias[i])! }

    /// Rows a_k and offsets β_k of a chain, exactly.
    func exactGaps(_ chain: [Int]) -> (a: [[Rational]], beta: [Rational]) {
        var a: [[Rational]] = [], beta: [Rational] = []
        for (low, high) in zip(chain, chain.dropFirst()) {
            a.append((0..<dimension).map { exactWeight(high, $0) - exactWeight(low, $0) })
            beta.append(exactBias(high) - exactBias(low))
        }
        return (a, beta)
    }

    // MARK: - Checking certificates (exact)

    /// Does x realise the chain strictly (and lie in the box, if any)? Exact.
    public func verifyWitness(_ x: [Double], chain: [Int]) -> Bool {
        guard x.count == dimension, x.allSatisfy(\.isFinite) else { return false }
        if let radius, !x.allSatisfy({ abs($0) <= radius }) { return false }
        let xs = x.map { Rational(exactly: $0)! }
        let (a, beta) = exactGaps(chain)
        for k in a.indices {
            var g = beta[k]
            for j in 0..<dimension where !a[k][j].isZero { g = g + a[k][j] * xs[j] }
            if g.signum <= 0 { return false }
        }
        return true
    }

    /// Is λ a Farkas certificate of the chain's infeasibility (see the type's description)? Exact.
    public func verifyFarkas(_ lambda: [Rational], chain: [Int]) -> Bool {
        guard lambda.count == chain.count - 1, lambda.allSatisfy({ $0.signum >= 0 }),
            lambda.contains(where: { $0.signum > 0 })
        else { return false }
        let (a, beta) = exactGaps(chain)
        var value = Rational.zero
        for k in a.indices where !lambda[k].isZero { value = value + lambda[k] * beta[k] }
        var combination = [Rational](repeating: .zero, count: dimension)
        for k in a.indices where !lambda[k].isZero {
            for j in 0..<dimension where !a[k][j].isZero { combination[j] = combination[j] + lambda[k] * a[k][j] }
        }
        if let radius {
            let r = Rational(exactly: radius)!
            for v in combination where !v.isZero { value = value + r * v.magnitude }
        } else if combination.contains(where: { !$0.isZero }) {
            return false
        }
        return value.signum <= 0
    }

    /// Is this a proof of the region's boundedness or unboundedness? Exact.
    public func verifyBoundedness(_ proof: Boundedness, ranking: [Int]) -> Bool {
        let (a, _) = exactGaps(ranking)
        switch proof {
        case .undetermined: return false
        case .bounded(let lambda):
            guard lambda.count == a.count, lambda.allSatisfy({ $0.signum > 0 }) else { return false }
            for j in 0..<dimension {
                var s = Rational.zero
                for k in a.indices { s = s + lambda[k] * a[k][j] }
                if !s.isZero { return false }
            }
            return ExactLinearSystem.rank(a) == dimension
        case .unbounded(let v):
            guard v.count == dimension, v.contains(where: { !$0.isZero }) else { return false }
            for row in a {
                var s = Rational.zero
                for j in 0..<dimension where !row[j].isZero && !v[j].isZero { s = s + row[j] * v[j] }
                if s.signum < 0 { return false }
            }
            return true
        }
    }

    // MARK: - Finding certificates

    /// Feasibility of a chain with an exactly checked witness or Farkas certificate.
    public func certifiedFeasibility(of chain: [Int]) -> ChainProof {
        precondition(chain.allSatisfy { (0..<classes).contains($0) } && Set(chain).count == chain.count)
        guard chain.count >= 2 else { return .feasible(witness: Array(repeating: 0, count: dimension)) }
        if case .feasible(let x, _) = feasibility(of: chain) {
            // Without a bias the LP searches a large box; regions are cones, so any positive scaling is
            // another witness: scale to the largest coordinate 1 (or the box), keeping x if that fails.
            if bias.allSatisfy({ $0 == 0 }), let largest = x.map(abs).max(), largest > 0 {
                let target = Swift.min(1, radius ?? 1)
                let scaled = x.map { Swift.min(Swift.max($0 * (target / largest), -target), target) }
                if verifyWitness(scaled, chain: chain) { return .feasible(witness: scaled) }
            }
            if verifyWitness(x, chain: chain) { return .feasible(witness: x) }
        }
        if let lambda = farkasCertificate(chain), verifyFarkas(lambda, chain: chain) {
            return .infeasible(multipliers: lambda)
        }
        return .undetermined
    }

    /// A candidate Farkas certificate: minimise Σλβ + R Σ(ν⁺ + ν⁻) over λ ≥ 0, Σλ = 1 with
    /// Σλ_k a_k = ν⁺ − ν⁻ (ν fixed to 0 without a box), then make Σλ_k a_k = 0 hold exactly on the
    /// LP's support by rational elimination. Without that step λ is used as the LP gives it (box only).
    func farkasCertificate(_ chain: [Int]) -> [Rational]? {
        let m = chain.count - 1, d = dimension
        let boxed = radius != nil
        let columns = m + (boxed ? 2 * d : 0)
        guard let lp = try? LinearProgram(columns: columns, direction: .minimize) else { return nil }
        do {
            var objective = [Double](repeating: 0, count: columns)
            for (k, (low, high)) in zip(chain, chain.dropFirst()).enumerated() { objective[k] = bias[high] - bias[low] }
            if let radius { for j in m..<columns { objective[j] = radius } }
            try lp.setObjective(objective)
            for k in 0..<columns { try lp.setColumnBound(k, .lower(0)) }
            for j in 0..<d {
                var row = [Double](repeating: 0, count: columns)
                for (k, (low, high)) in zip(chain, chain.dropFirst()).enumerated() {
                    row[k] = weights[high * d + j] - weights[low * d + j]
                }
                if boxed {
                    row[m + j] = -1
                    row[m + d + j] = 1
                }
                _ = try lp.addRow(row, .fixed(0))
            }
            _ = try lp.addRow(Array(repeating: 1, count: m) + Array(repeating: 0, count: columns - m), .fixed(1))
        } catch { return nil }
        let solution = lp.solve()
        guard solution.status == .optimal, solution.objective <= 1e-9 else { return nil }
        let lambda = Array(solution.primal[0..<m]).map { max(0, $0) }
        let largest = lambda.max() ?? 0
        guard largest > 0 else { return nil }
        // Exact on the support: Σ_{k∈S} λ_k a_k = 0, Σ λ_k = 1, other λ_k = 0.
        let support = lambda.indices.filter { lambda[$0] > 1e-12 * largest }
        let (a, _) = exactGaps(chain)
        var rows = (0..<d).map { j in support.map { a[$0][j] } }
        rows.append(support.map { _ in Rational(1) })
        let rhs = [Rational](repeating: .zero, count: d) + [Rational(1)]
        if let exact = ExactLinearSystem.solve(rows: rows, rhs: rhs, guess: support.map { lambda[$0] }) {
            var full = [Rational](repeating: .zero, count: m)
            for (k, value) in zip(support, exact) { full[k] = value }
            if verifyFarkas(full, chain: chain) { return full }
        }
        return boxed ? lambda.map { Rational(exactly: $0)! } : nil
    }

    /// Bounded or not (in R^d, the box ignored), with an exactly verified proof. Without a bias every
    /// region is a cone, so it is unbounded (direction: its own witness, exactly checked).
    public func boundedness(of ranking: [Int], witness: [Double]? = nil) -> Boundedness {
        let (a, _) = exactGaps(ranking)
        let m = a.count, d = dimension
        if let lambda = positiveDependency(ranking) {
            let proof = Boundedness.bounded(multipliers: lambda)
            if verifyBoundedness(proof, ranking: ranking) { return proof }
        }
        if bias.allSatisfy({ $0 == 0 }), let witness {
            let proof = Boundedness.unbounded(direction: witness.map { Rational(exactly: $0)! })
            if verifyBoundedness(proof, ranking: ranking) { return proof }
        }
        // A recession direction: maximise ±v_j over a_k·v ≥ 0, |v| ≤ 1, then exact on the active rows.
        for j in 0..<d {
            for sign in [1.0, -1.0] {
                guard let lp = try? LinearProgram(columns: d, direction: .maximize) else { return .undetermined }
                do {
                    try lp.setObjective((0..<d).map { $0 == j ? sign : 0 })
                    for column in 0..<d { try lp.setColumnBound(column, .range(-1, 1)) }
                    for (low, high) in zip(ranking, ranking.dropFirst()) {
                        _ = try lp.addRow((0..<d).map { weights[high * d + $0] - weights[low * d + $0] }, .lower(0))
                    }
                } catch { return .undetermined }
                let solution = lp.solve()
                guard solution.status == .optimal, solution.objective > 1e-9 else { continue }
                let v = solution.primal
                let scale = v.map(abs).max() ?? 1
                let active = (0..<m).filter { solution.rowActivities[$0] <= 1e-9 * max(scale, 1) }
                let rows = active.map { a[$0] }
                for candidate in [ExactLinearSystem.solve(rows: rows, rhs: rows.map { _ in .zero }, guess: v)]
                    + [v.map { Rational(exactly: $0)! }]
                {
                    guard let candidate else { continue }
                    let proof = Boundedness.unbounded(direction: candidate)
                    if verifyBoundedness(proof, ranking: ranking) { return proof }
                }
            }
        }
        return .undetermined
    }

    /// λ_k ≥ 1 with Σλ_k a_k = 0 (an LP), made exact by elimination; nil if the LP finds none.
    func positiveDependency(_ ranking: [Int]) -> [Rational]? {
        let (a, _) = exactGaps(ranking)
        let m = a.count, d = dimension
        guard m > d, let lp = try? LinearProgram(columns: m, direction: .minimize) else { return nil }
        do {
            try lp.setObjective(Array(repeating: 1, count: m))
            for k in 0..<m { try lp.setColumnBound(k, .lower(1)) }
            for j in 0..<d {
                let row = zip(ranking, ranking.dropFirst()).map { weights[$1 * d + j] - weights[$0 * d + j] }
                _ = try lp.addRow(row, .fixed(0))
            }
        } catch { return nil }
        let solution = lp.solve()
        guard solution.status == .optimal else { return nil }
        let rows = (0..<d).map { j in a.map { $0[j] } }
        return ExactLinearSystem.solve(rows: rows, rhs: rows.map { _ in .zero }, guess: solution.primal)
    }

    /// Every feasible ranking by depth-first extension of chains from the lowest class up, each
    /// step proven: extensions with a verified witness are followed, those with a verified Farkas
    /// certificate are pruned, anything else is counted as undetermined. Stops after `limit` rankings.
    public func certifiedRegions(limit: Int = 1_000_000, boundedness decide: Bool = true) -> CertifiedEnumeration {
        var result = CertifiedEnumeration()
        func extend(_ chain: [Int], _ remaining: [Int], _ witness: [Double]) {
            guard result.regions.count < limit else {
                result.truncated = true
                return
            }
            if remaining.isEmpty {
                let proof = decide ? boundedness(of: chain, witness: witness) : .undetermined
                result.regions.append(CertifiedRegion(ranking: chain, witness: witness, boundedness: proof))
                return
            }
            for next in remaining {
                let candidate = chain + [next]
                switch certifiedFeasibility(of: candidate) {
                case .feasible(let x): extend(candidate, remaining.filter { $0 != next }, x)
                case .infeasible: result.prunedChains += 1
                case .undetermined: result.undetermined += 1
                }
            }
        }
        if classes == 1 {
            let x = Array(repeating: 0.0, count: dimension)
            result.regions = [
                CertifiedRegion(
                    ranking: [0], witness: x,
                    boundedness: .unbounded(direction: (0..<dimension).map { $0 == 0 ? Rational(1) : .zero }))
            ]
            return result
        }
        extend([], Array(0..<classes), Array(repeating: 0, count: dimension))
        return result
    }

    /// The classes that are the argmax (the last, highest class) of some certified region.
    public static func argmaxable(_ enumeration: CertifiedEnumeration, classes: Int) -> [Int] {
        Array(Set(enumeration.regions.compactMap(\.ranking.last))).sorted()
    }
}
