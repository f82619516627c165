import LinearProgramming

/// The braid arrangement of a layer `y = W x + b`, pulled back to input space: the hyperplanes
/// (w_i − w_j)·x + (b_i − b_j) = 0 where two classes tie. Its regions are the feasible rankings.
///
/// A ranking lists classes from the lowest logit to the highest. It is feasible when some input x
/// (in the domain) realises it strictly: y_{π0} < y_{π1} < … < y_{π(C−1)}.
public struct BraidArrangement: Sendable {
    /// The number of classes |C|.
    public let classes: Int
    /// The input dimension d.
    public let dimension: Int
    let weights: [Double]  // row-major C × d
    let bias: [Double]
    /// Optional box |x_j| ≤ radius (nil: all of R^d).
    public let radius: Double?

    /// A layer with row-major `classes` × `dimension` weights, an optional bias (nil: zero) and an optional
    /// box |x_j| ≤ `radius` for the inputs (nil: all of R^d).
    public init(weights: [Double], bias: [Double]? = nil, classes: Int, dimension: Int, radius: Double? = nil) {
        precondition(classes >= 1 && dimension >= 1 && weights.count == classes * dimension)
        precondition(bias == nil || bias!.count == classes)
        self.classes = classes
        self.dimension = dimension
        self.weights = weights
        self.bias = bias ?? Array(repeating: 0, count: classes)
        self.radius = radius
    }

    /// The logits y = W x + b at the input `x` (d numbers).
    public func logits(at x: [Double]) -> [Double] {
        (0..<classes).map { i in (0..<dimension).reduce(bias[i]) { $0 + weights[i * dimension + $1] * x[$1] } }
    }

    /// The ranking an input realises (ties broken by class index).
    public func ranking(at x: [Double]) -> [Int] {
        let y = logits(at: x)
        return (0..<classes).sorted { y[$0] < y[$1] || (y[$0] == y[$1] && $0 < $1) }
    }

    /// Whether a ranking is feasible, with the evidence.
    public enum Feasibility: Equatable, Sendable {
        /// Realised by this input: every gap along the chain is positive (checked by evaluation).
        case feasible(witness: [Double], smallestGap: Double)
        /// The LP's best smallest gap is not positive.
        case infeasible(bestGap: Double)
        /// The best gap is within rounding of 0: too close to call in floating point.
        case undetermined(bestGap: Double)

        /// True for `.feasible`: an input realises the ranking strictly.
        public var isFeasible: Bool {
            if case .feasible = self { return true }
            return false
        }
    }

    /// Feasibility of a (partial) chain: maximise the smallest gap t with y_{π(k+1)} − y_{π(k)} ≥ t,
    /// t ≤ 1. A chain over a subset of the classes constrains only those classes.
    public func feasibility(of chain: [Int]) -> Feasibility {
        precondition(chain.allSatisfy { (0..<classes).contains($0) } && Set(chain).count == chain.count)
        guard chain.count >= 2 else {
            return .feasible(witness: Array(repeating: 0, count: dimension), smallestGap: .infinity)
        }
        let d = dimension
        // Without a bias the regions are cones: the best gap is 0 (at x = 0) or, scaled up, the cap.
        // So the box is irrelevant and an optimum below half the cap means infeasible.
        let conical = bias.allSatisfy { $0 == 0 }
        guard let lp = try? LinearProgram(columns: d + 1, direction: .maximize) else {
            return .undetermined(bestGap: .nan)
        }
        do {
            try lp.setObjective(Array(repeating: 0, count: d) + [1])
            for j in 0..<d {
                try lp.setColumnBound(j, conical ? .range(-1e6, 1e6) : radius.map { .range(-$0, $0) } ?? .free)
            }
            try lp.setColumnBound(d, .upper(1))
            for (low, high) in zip(chain, chain.dropFirst()) {
                // t − (w_high − w_low)·x ≤ b_high − b_low
                let row = (0..<d).map { weights[low * d + $0] - weights[high * d + $0] } + [1]
                try lp.addRow(row, .upper(bias[high] - bias[low]))
            }
        } catch { return .undetermined(bestGap: .nan) }
        let solution = lp.solve()
        guard solution.status == .optimal else { return .undetermined(bestGap: .nan) }
        let best = solution.primal[d]
        let x = Array(solution.primal[0..<d])
        let y = logits(at: x)
        let gaps = zip(chain, chain.dropFirst()).map { y[$1] - y[$0] }
        let scale = 1e-9 * (1 + y.map(abs).max()!)
        if let smallest = gaps.min(), smallest > scale { return .feasible(witness: x, smallestGap: smallest) }
        if conical { return best < 0.5 ? .infeasible(bestGap: best) : .undetermined(bestGap: best) }
        return best < -scale ? .infeasible(bestGap: best) : .undetermined(bestGap: best)
    }

    /// Every feasible ranking, by depth-first extension of feasible chains from the lowest class up:
    /// an infeasible chain has no feasible extension, so whole subtrees are pruned. Stops after `limit`.
    /// Rankings that are undetermined (within rounding of a tie) are counted in `undetermined`.
    public func enumerateRankings(limit: Int = 1_000_000) -> (rankings: [[Int]], undetermined: Int) {
        var found: [[Int]] = []
        var undetermined = 0
        func extend(_ chain: [Int], _ remaining: Set<Int>) {
            guard found.count < limit else { return }
            if remaining.isEmpty {
                found.append(chain)
                return
            }
            for next in remaining.sorted() {
                let candidate = chain + [next]
                switch feasibility(of: candidate) {
                case .feasible: extend(candidate, remaining.subtracting([next]))
                case .infeasible: continue
                case .undetermined: undetermined += 1
                }
            }
        }
        extend([], Set(0..<classes))
        return (found, undetermined)
    }
}
