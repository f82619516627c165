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
/// every class with one pass over W, add the most violated rows, re-solve warm (dual simplex). An
/// optimum ≤ 0 on a subset already proves c unargmaxable (fewer constraints can only raise it),
/// so most proofs never touch the whole layer. Verdicts come from certificates, never from solver
/// tolerances.
struct MarginProgram {
    let layer: SoftmaxLayer
    let domain: InputDomain
    let objective: ExactObjective
    let certifier: MultiplierCertifier
    /// Evaluate the LP's x exactly when floating point cannot certify it (--exact-arithmetic).
    let exactWitnesses: Bool
    /// Exact witness evaluation (O(C·d) rationals) is attempted up to this many weights.
    let exactWitnessLimit = 1 << 22
    /// Rows added per round of constraint generation.
    let rowsPerRound = 64
    let maxRounds = 500

    struct Outcome {
        var margin = MarginBracket.unknown
        var certificate: Certificate? = nil
    }

    init(
        layer: SoftmaxLayer, domain: InputDomain, objective: ExactObjective, certifier: MultiplierCertifier,
        exactWitnesses: Bool
    ) {
        self.layer = layer
        self.domain = domain
        self.objective = objective
        self.certifier = certifier
        self.exactWitnesses = exactWitnesses
    }

    func solve(class c: Int, workingSet initial: [Int]) -> Outcome {
        let d = layer.dimension, C = layer.classes
        guard C > 1 else {
            return Outcome(
                margin: MarginBracket(lower: .infinity, upper: .infinity),
                certificate: .witness(Array(repeating: 0, count: d)))
        }
        var outcome = Outcome()
        guard let lp = try? LinearProgram(columns: d + 1, direction: .maximize) else { return outcome }
        let wc = layer.weights.row(c).map(Double.init)
        do {
            try lp.setObjective(Array(repeating: 0, count: d) + [1])
            for j in 0..<d {
                switch (domain.lower(j), domain.upper(j)) {
                case let (l?, u?): try lp.setColumnBound(j, l == u ? .fixed(l) : .range(l, u))
                default: try lp.setColumnBound(j, .free)
                }
            }
            // Cap t so the LP stays bounded (unbounded domains); reaching the cap still proves t > 0.
            try lp.setColumnBound(d, .upper(1e6))
        } catch { return outcome }

        var inSet = Set<Int>()
        var rows: [Int] = []
        var coefficients = [Double](repeating: 0, count: d + 1)
        func add(_ i: Int) throws {
            guard i != c, i >= 0, i < C, inSet.insert(i).inserted else { return }
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

        var dual: (indices: [Int], weights: [Double]) = ([], [])  // the last optimum's multipliers
        var witness: [Double]? = nil  // the last optimal x, in the domain
        for _ in 0..<maxRounds {
            let solution = lp.solve()
            guard solution.status == .optimal else { break }
            let t = solution.primal[d]
            var x = Array(solution.primal[0..<d])
            domain.clip(&x)  // the solver's x may overshoot a bound by its tolerance
            witness = x
            dual = (rows, solution.rowDuals)
            if t <= 0 {
                // Optimum ≤ 0 on a subset: c cannot win. The duals are the proof.
                let certified = certifier.certify(class: c, indices: rows, weights: solution.rowDuals)
                outcome.margin.upper = certified.upper
                outcome.certificate = certified.certificate
                outcome.margin.lower = witnessLower(c, x)
                break
            }
            // Check x against every class; add the most violated constraints.
            let violated = mostViolated(c, x: x, t: t, excluding: inSet)
            if violated.isEmpty {
                var lower = witnessLower(c, x)
                // The same point rounded to Float32, when it still proves c wins (nearly always: the
                // program maximises the margin): every witness of a run is then a Float32 vector,
                // which halves the certificates file. Re-certified rigorously at the rounded point.
                let rounded = x.map { Double(Float($0)) }
                if lower > 0, rounded != x, case let roundedLower = witnessLower(c, rounded), roundedLower > 0 {
                    x = rounded
                    lower = roundedLower
                }
                outcome.margin.lower = lower
                if lower > 0 {
                    outcome.certificate = .witness(x)
                    // An upper bound from the same duals, for the bracket.
                    let bound = certifier.withoutExactArithmetic.certify(
                        class: c, indices: rows, weights: solution.rowDuals)
                    outcome.margin.upper = bound.upper
                } else {
                    let certified = certifier.certify(class: c, indices: rows, weights: solution.rowDuals)
                    outcome.margin.upper = certified.upper
                    outcome.certificate = certified.certificate
                }
                break
            }
            do { for i in violated { try add(i) } } catch { break }
        }
        if outcome.margin.verdict == .undecided, certifier.useExactArithmetic {
            closeExactly(c, dual: dual, witness: witness, program: lp, rows: rows, outcome: &outcome)
        }
        return outcome
    }

    /// Exact arithmetic for brackets that floating point cannot close: on the upper side, GLPK's
    /// exact simplex when the floating-point basis was not exactly optimal (near-degenerate data),
    /// whose active rows are then the support of exact multipliers; on the lower side, the LP's
    /// optimal x evaluated exactly against every class (only for layers up to 4M weights).
    private func closeExactly(
        _ c: Int, dual: (indices: [Int], weights: [Double]), witness: [Double]?, program: LinearProgram, rows: [Int],
        outcome: inout Outcome
    ) {
        if outcome.margin.upper > 0, !dual.indices.isEmpty, program.solveExactly().status == .optimal,
            let certified = certifier.certifyOnSupport(c, support: program.activeRows().map { rows[$0] })
        {
            outcome.margin.upper = certified.upper
            outcome.certificate = certified.certificate
            return
        }
        if exactWitnesses, outcome.margin.lower <= 0, let x = witness,
            layer.classes * layer.dimension <= exactWitnessLimit,
            let margin = ExactCertificates.witnessMargin(layer, class: c, witness: x, domain: domain), margin.signum > 0
        {
            outcome.margin.lower = margin.doubleValue  // truncation toward zero keeps it a lower bound
            outcome.certificate = .witness(x)
        }
    }

    private func witnessLower(_ c: Int, _ x: [Double]) -> Double {
        RigorousBounds.witnessLowerBound(layer, class: c, witness: x, domain: domain).bound
    }

    /// Up to `rowsPerRound` classes outside the working set whose constraint x violates, most
    /// violated first (a bounded selection, not a sort of every violation).
    private func mostViolated(_ c: Int, x: [Double], t: Double, excluding set: Set<Int>) -> [Int] {
        let d = layer.dimension
        var worst = BoundedSelection(capacity: rowsPerRound)
        let tolerance = 1e-9 * (1 + abs(t))
        let needsNorms = objective != .margin
        // (w_c − w_i)·x = w_c·x − w_i·x: one dot product per class, in four independent sums (a
        // single running sum waits on each addition's latency). Only a selection: the verdict's
        // proof is re-derived rigorously by `witnessLower` or the certifier.
        let ownDot = layer.weights.withUnsafeBufferPointer { w in Self.dot(w.baseAddress! + c * d, x, d) }
        layer.weights.withUnsafeBufferPointer { w in
            let wc = w.baseAddress! + c * d
            for i in 0..<layer.classes where i != c {
                let wi = w.baseAddress! + i * d
                let g = layer.biasValue(c) - layer.biasValue(i) + (ownDot - Self.dot(wi, x, d))
                var required = t
                if needsNorms {
                    var squared = 0.0
                    for j in 0..<d {
                        let a = Double(wc[j]) - Double(wi[j])
                        squared += a * a
                    }
                    if squared != 0 { required = t * squared.squareRoot() }
                }
                if g < required - tolerance, !set.contains(i) { worst.offer(g - required, i) }
            }
        }
        return worst.sorted()
    }
}

extension MarginProgram {
    /// w·x over d entries, accumulated in four interleaved sums.
    @inline(__always) static func dot(_ w: UnsafePointer<Float>, _ x: [Double], _ d: Int) -> Double {
        x.withUnsafeBufferPointer { x in
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var j = 0
            while j + 4 <= d {
                s0 += Double(w[j]) * x[j]
                s1 += Double(w[j + 1]) * x[j + 1]
                s2 += Double(w[j + 2]) * x[j + 2]
                s3 += Double(w[j + 3]) * x[j + 3]
                j += 4
            }
            while j < d {
                s0 += Double(w[j]) * x[j]
                j += 1
            }
            return (s0 + s1) + (s2 + s3)
        }
    }
}

/// The k smallest (key, index) pairs seen, kept in a max-heap; ties broken by index so the result
/// does not depend on anything but the data.
struct BoundedSelection {
    let capacity: Int
    private var heap: [(key: Double, index: Int)] = []

    init(capacity: Int) { self.capacity = capacity }

    private static func above(_ a: (key: Double, index: Int), _ b: (key: Double, index: Int)) -> Bool {
        a.key > b.key || (a.key == b.key && a.index > b.index)
    }

    mutating func offer(_ key: Double, _ index: Int) {
        let item = (key: key, index: index)
        if heap.count < capacity {
            heap.append(item)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.above(heap[child], heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        } else if let top = heap.first, Self.above(top, item) {
            heap[0] = item
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var largest = parent
                if left < heap.count, Self.above(heap[left], heap[largest]) { largest = left }
                if right < heap.count, Self.above(heap[right], heap[largest]) { largest = right }
                guard largest != parent else { break }
                heap.swapAt(parent, largest)
                parent = largest
            }
        }
    }

    /// Indices, smallest key first.
    func sorted() -> [Int] {
        heap.sorted { Self.above($1, $0) }.map(\.index)
    }
}
