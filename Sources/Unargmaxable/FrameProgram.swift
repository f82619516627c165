import LinearProgramming

/// The margin LP of many classes against one fixed set of competitors F (the *frame*: classes
/// already known to be argmaxable), as one program whose constraints never change:
///
///     maximise  w_c·x − s   subject to   w_i·x − s ≤ −b_i  (i ∈ F),   x in the box,
///
/// whose optimum plus b_c is m_c restricted to F — the margin LP with s = w_c·x + b_c − t. Only
/// the objective depends on c, so one program serves a whole chunk of classes, each solve starting
/// warm (the previous optimum stays primal feasible). Its duals are the multipliers λ on F: the
/// column of s makes Σλ = 1. Fewer competitors can only raise the margin, so an optimum ≤ 0 proves
/// c unargmaxable for the whole layer with λ; an optimum > 0 gives the x where c beats all of F,
/// which the caller checks against every class.
///
/// For an unbounded domain the box is an internal one (`radius`): witnesses stay valid, and
/// certificates are re-derived exactly (they need Σλ_i (w_c − w_i) = 0, whatever the box).
struct FrameProgram {
    let layer: SoftmaxLayer
    let frame: [Int]
    let lower: [Double]
    let upper: [Double]

    struct Solution {
        /// max over the box of min_{i∈F} g_i(x): m_c restricted to F.
        var value: Double
        var x: [Double]
        /// The positive duals: λ on F as the LP reports it (not yet cleaned or certified).
        var indices: [Int]
        var weights: [Double]
    }

    init(layer: SoftmaxLayer, frame: [Int], domain: InputDomain, internalRadius: Double) {
        self.layer = layer
        self.frame = frame
        let d = layer.dimension
        lower = (0..<d).map { domain.lower($0) ?? -internalRadius }
        upper = (0..<d).map { domain.upper($0) ?? internalRadius }
    }

    /// Solves the classes of a chunk in order on one program (built and released on the calling
    /// thread, as GLPK requires). Classes of the frame itself must not be passed. Nil where the
    /// solver failed.
    func solve(chunk: [Int]) -> [Solution?] {
        let d = layer.dimension
        guard !frame.isEmpty, let lp = try? LinearProgram(columns: d + 1, direction: .maximize) else {
            return Array(repeating: nil, count: chunk.count)
        }
        do {
            for j in 0..<d {
                try lp.setColumnBound(j, lower[j] == upper[j] ? .fixed(lower[j]) : .range(lower[j], upper[j]))
            }
            var row = [Double](repeating: -1, count: d + 1)
            try layer.weights.withUnsafeBufferPointer { w in
                for i in frame {
                    for j in 0..<d { row[j] = Double(w[i * d + j]) }
                    try lp.addRow(row, .upper(-layer.biasValue(i)))
                }
            }
        } catch {
            return Array(repeating: nil, count: chunk.count)
        }
        var objective = [Double](repeating: -1, count: d + 1)
        return chunk.map { c in
            layer.weights.withUnsafeBufferPointer { w in
                for j in 0..<d { objective[j] = Double(w[c * d + j]) }
            }
            guard (try? lp.setObjective(objective)) != nil else { return nil }
            let solution = lp.solve(method: .primalSimplex, warmStart: true)
            guard solution.status == .optimal else { return nil }
            var indices: [Int] = [], weights: [Double] = []
            for (k, λ) in solution.rowDuals.enumerated() where λ > 0 {
                indices.append(frame[k])
                weights.append(λ)
            }
            return Solution(
                value: solution.objective + layer.biasValue(c), x: Array(solution.primal[0..<d]),
                indices: indices, weights: weights)
        }
    }
}
