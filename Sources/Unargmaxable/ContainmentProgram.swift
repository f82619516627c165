/// The frame rounds' program for layers without a bias, whose domain surrounds 0: there class c is
/// unargmaxable exactly when w_c lies in the convex hull of the other rows, so against a frame F
/// (classes known to be argmaxable) the question is one of *containment*:
///
///     find λ ≥ 0 on F with  Σ λ_j w_j = w_c,  Σ λ_j = 1.
///
/// This has d + 1 equality rows whatever |F| is — the dual of `FrameProgram`'s |F| constraints —
/// so a dense revised simplex with a (d+1) × (d+1) basis inverse solves it in microseconds, where a
/// general solver refactorises an |F|-row basis. Phase 1 (minimise the artificial variables) either
/// reaches 0 — λ on at most d + 1 frame classes, which `MultiplierCertifier` turns into exact
/// multipliers — or stops with duals (y, t) such that y·w_j + t ≤ 0 < y·w_c + t for every j ∈ F:
/// the direction x = y, scaled into the domain, where c beats every frame class (Farkas). Everything
/// here is floating point and only proposes: certificates are made and checked elsewhere.
struct ContainmentProgram {
    let layer: SoftmaxLayer
    let frame: [Int]
    let domain: InputDomain
    let internalRadius: Double
    /// Rows [w_j; 1] of the frame, contiguous (|F| × (d + 1)).
    private let columns: [Double]

    /// Up to this d the dense (d+1) × (d+1) basis is cheap; interior-heavy layers are low-dimensional
    /// anyway. (Measured: at d = 576 a containment solve took ~0.1 s, where braid reflect decides
    /// 99.9 % of a real head's classes for a GEMM.)
    static let maximumDimension = 32

    /// Whether containment decides the margin's sign: no bias, d ≤ `maximumDimension`, and the domain
    /// contains a neighbourhood of 0 (regions are then cones, and any small x in a cone is in the domain).
    static func applies(to layer: SoftmaxLayer, domain: InputDomain) -> Bool {
        !layer.hasBias && layer.dimension <= maximumDimension && domain.containsOriginInInterior
    }

    init(layer: SoftmaxLayer, frame: [Int], domain: InputDomain, internalRadius: Double) {
        self.layer = layer
        self.frame = frame
        self.domain = domain
        self.internalRadius = internalRadius
        let d = layer.dimension, m = d + 1
        var columns = [Double](repeating: 1, count: frame.count * m)
        layer.weights.withUnsafeBufferPointer { w in
            for (k, i) in frame.enumerated() {
                for j in 0..<d { columns[k * m + j] = Double(w[i * d + j]) }
            }
        }
        self.columns = columns
    }

    /// One solution per class, in the shape of `FrameProgram`'s: value ≤ 0 with λ on F when c is
    /// contained (value 0), or value > 0 with the x where c beats F. Nil where the simplex failed.
    func solve(chunk: [Int]) -> [FrameProgram.Solution?] {
        chunk.map(solve)
    }

    private func solve(_ c: Int) -> FrameProgram.Solution? {
        let d = layer.dimension, m = d + 1, n = frame.count
        var v = [Double](repeating: 1, count: m)
        layer.weights.withUnsafeBufferPointer { w in
            for j in 0..<d { v[j] = Double(w[c * d + j]) }
        }
        let scale = v.reduce(0) { max($0, abs($1)) }
        // Basis: artificial k (index n + k) with column sign(v_k)·e_k, so its value is |v_k| ≥ 0.
        var basis = (0..<m).map { n + $0 }
        var inverse = [Double](repeating: 0, count: m * m)
        var sign = [Double](repeating: 1, count: m)
        for k in 0..<m {
            sign[k] = v[k] < 0 ? -1 : 1
            inverse[k * m + k] = sign[k]
        }
        var values = v.map(abs)
        var isBasic = [Bool](repeating: false, count: n)
        var alpha = [Double](repeating: 0, count: m)
        var duals = [Double](repeating: 0, count: m)
        let tolerance = 1e-11 * max(1, scale)
        var degenerate = 0
        let limit = 50 * m + 2 * n + 100
        for _ in 0..<limit {
            // Phase-1 duals: π = c_Bᵀ B⁻¹ with cost 1 on artificial columns.
            for k in 0..<m { duals[k] = 0 }
            for (r, b) in basis.enumerated() where b >= n {
                for k in 0..<m { duals[k] += inverse[r * m + k] }
            }
            // Pricing: reduced cost −π·a_j; Dantzig's rule, or Bland's (first) after degenerate runs.
            var entering = -1
            var best = -tolerance
            columns.withUnsafeBufferPointer { a in
                for j in 0..<n where !isBasic[j] {
                    var dot = 0.0
                    for k in 0..<m { dot += duals[k] * a[j * m + k] }
                    if -dot < best {
                        best = -dot
                        entering = j
                        if degenerate > 2 * m { break }
                    }
                }
            }
            if entering < 0 {
                return finish(c, v: v, basis: basis, values: values, duals: duals, n: n)
            }
            // α = B⁻¹ a_entering, then the ratio test (ties: the artificial, then the lowest row).
            for r in 0..<m {
                var s = 0.0
                for k in 0..<m { s += inverse[r * m + k] * columns[entering * m + k] }
                alpha[r] = s
            }
            var leaving = -1
            var ratio = Double.infinity
            for r in 0..<m where alpha[r] > 1e-12 {
                let t = values[r] / alpha[r]
                if t < ratio - 1e-15 || (t <= ratio + 1e-15 && leaving >= 0 && basis[r] >= n && basis[leaving] < n) {
                    ratio = t
                    leaving = r
                }
            }
            guard leaving >= 0 else { return nil }  // unbounded: impossible for phase 1
            degenerate = ratio <= 1e-15 ? degenerate + 1 : 0
            // Pivot on (leaving, α).
            let pivot = alpha[leaving]
            for k in 0..<m { inverse[leaving * m + k] /= pivot }
            values[leaving] /= pivot
            for r in 0..<m where r != leaving && alpha[r] != 0 {
                let f = alpha[r]
                for k in 0..<m { inverse[r * m + k] -= f * inverse[leaving * m + k] }
                values[r] -= f * values[leaving]
                if values[r] < 0 && values[r] > -1e-13 * max(1, scale) { values[r] = 0 }
            }
            if basis[leaving] < n { isBasic[basis[leaving]] = false }
            basis[leaving] = entering
            isBasic[entering] = true
        }
        return nil
    }

    private func finish(
        _ c: Int, v: [Double], basis: [Int], values: [Double], duals: [Double], n: Int
    ) -> FrameProgram.Solution? {
        let d = layer.dimension
        var infeasibility = 0.0
        for (r, b) in basis.enumerated() where b >= n { infeasibility += max(0, values[r]) }
        let scale = v.reduce(0) { max($0, abs($1)) }
        if infeasibility <= 1e-9 * max(1, scale) {
            var indices: [Int] = [], weights: [Double] = []
            for (r, b) in basis.enumerated() where b < n && values[r] > 0 {
                indices.append(frame[b])
                weights.append(values[r])
            }
            return FrameProgram.Solution(
                value: 0, x: [Double](repeating: 0, count: d), indices: indices, weights: weights)
        }
        // Farkas: y = π[0..<d] separates; scale it to the domain's edge.
        var x = Array(duals[0..<d])
        var shrink = Double.infinity
        for j in 0..<d where x[j] != 0 {
            let edge = x[j] > 0 ? (domain.upper(j) ?? internalRadius) : -(domain.lower(j) ?? -internalRadius)
            shrink = min(shrink, edge / abs(x[j]))
        }
        guard shrink.isFinite, shrink > 0 else { return nil }
        for j in 0..<d { x[j] *= shrink }
        // The margin against F at x (what the frame rounds compare with their tolerance).
        var value = Double.infinity
        layer.weights.withUnsafeBufferPointer { w in
            var own = 0.0
            for j in 0..<d { own += Double(w[c * d + j]) * x[j] }
            for i in frame {
                var s = 0.0
                for j in 0..<d { s += Double(w[i * d + j]) * x[j] }
                value = min(value, own - s)
            }
        }
        return FrameProgram.Solution(value: value, x: x, indices: [], weights: [])
    }
}
