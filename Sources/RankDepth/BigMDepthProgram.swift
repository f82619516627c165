import LinearProgramming
import Unargmaxable

/// The rank depth as a mixed-integer program on GLPK (small layers):
///
///     minimise Σ z_i   s.t.   (w_i − w_c)·x + (b_i − b_c) + ε ≤ M_i z_i,   z_i ∈ {0, 1},   x ∈ box
///
/// with M_i = max over the box of the left side (so z_i = 1 relaxes row i). The optimum is a
/// floating-point answer within GLPK's tolerances, and the strict inequality is replaced by a
/// margin ε; so the program only proposes an input, whose beaters are then counted exactly. Unbounded
/// inputs: without bias the regions are cones and the box |x_j| ≤ 1 loses nothing; with a bias the box
/// |x_j| ≤ 10⁴ stands in for R^d (a proposal, still evaluated exactly; the lower bound never depends on it).
enum BigMDepthProgram {
    static func input(_ layer: SoftmaxLayer, class c: Int, domain: InputDomain, timeLimitMilliseconds: Int = 5000)
        -> [Double]?
    {
        let C = layer.classes, d = layer.dimension
        guard C >= 2 else { return nil }
        let others = (0..<C).filter { $0 != c }
        let fallback: Double = layer.hasBias ? 1e4 : 1
        let lower = (0..<d).map { domain.lowerBound($0) ?? -fallback }
        let upper = (0..<d).map { domain.upperBound($0) ?? fallback }
        guard let mip = try? MixedIntegerProgram(columns: d + others.count, direction: .minimize) else { return nil }
        let w = layer.weights
        let bias = { (i: Int) -> Double in Double(layer.bias?[i] ?? 0) }
        do {
            try mip.setObjective(Array(repeating: 0, count: d) + Array(repeating: 1, count: others.count))
            for j in 0..<d {
                try mip.setColumnBound(j, lower[j] == upper[j] ? .fixed(lower[j]) : .range(lower[j], upper[j]))
            }
            for k in others.indices { try mip.setColumnKind(d + k, .binary) }
            var scale = 1.0
            for i in others {
                for j in 0..<d {
                    scale = max(scale, abs(Double(w[i, j]) - Double(w[c, j])) * max(abs(lower[j]), abs(upper[j])))
                }
            }
            let ε = 1e-7 * scale
            for (k, i) in others.enumerated() {
                var row = [Double](repeating: 0, count: d + others.count)
                var bigM = bias(i) - bias(c) + 2 * ε
                for j in 0..<d {
                    let a = Double(w[i, j]) - Double(w[c, j])
                    row[j] = a
                    bigM += max(a * lower[j], a * upper[j])
                }
                row[d + k] = -max(bigM, 0) * (1 + 1e-9) - ε
                try mip.addRow(row, .upper(bias(c) - bias(i) - ε))
            }
        } catch { return nil }
        let solution = mip.solve(timeLimitMilliseconds: timeLimitMilliseconds)
        guard solution.status == .optimal || solution.status == .feasible else { return nil }
        let x = (0..<d).map { j in min(max(solution.values[j], lower[j]), upper[j]) }
        return domain.containsPoint(x) ? x : nil
    }
}
