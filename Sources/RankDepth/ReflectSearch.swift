import Unargmaxable

/// Generalised braid reflect for the upper bound: from an input x, reflect across the braid
/// hyperplane {y_i = y_c} of a beater i (closest first) and keep the move when fewer classes beat c
/// at the reflected (clipped) input. Floating point guides the search only; the input it returns is
/// counted again by `DepthEvaluation` (exactly or rigorously) before it becomes a witness.
enum ReflectSearch {
    static func improve(_ layer: SoftmaxLayer, class c: Int, from start: [Double], domain: InputDomain, steps: Int)
        -> [Double]
    {
        let d = layer.dimension
        var x = start
        var beaters = approximateBeaters(layer, c, x)
        var step = 0
        while step < steps, !beaters.isEmpty {
            step += 1
            var moved = false
            // Try the beaters closest to c first (smallest y_i − y_c), a few per step.
            let ordered = beaters.sorted { $0.gap < $1.gap }.prefix(8)
            for beater in ordered {
                let i = beater.index
                var normal = [Double](repeating: 0, count: d)
                var squared = 0.0
                for j in 0..<d {
                    normal[j] = Double(layer.weights[c, j]) - Double(layer.weights[i, j])
                    squared += normal[j] * normal[j]
                }
                guard squared > 0 else { continue }
                // g = y_c − y_i ≤ 0 at x; the reflection has g' = −g (plus a little, to break the tie).
                let scale = 2 * (-beater.gap) / squared * (1 + 1e-6) + 1e-9 / squared.squareRoot()
                let candidate = domain.clipped((0..<d).map { x[$0] + scale * normal[$0] })
                let next = approximateBeaters(layer, c, candidate)
                if next.count < beaters.count {
                    x = candidate
                    beaters = next
                    moved = true
                    break
                }
            }
            if !moved { break }
        }
        return x
    }

    /// Classes with y_i(x) ≥ y_c(x) in binary64 and their gaps y_i − y_c (a guide, not a bound).
    private static func approximateBeaters(_ layer: SoftmaxLayer, _ c: Int, _ x: [Double]) -> [(
        index: Int, gap: Double
    )] {
        let d = layer.dimension
        return layer.weights.withUnsafeBufferPointer { w in
            var yc = Double(layer.bias?[c] ?? 0)
            for j in 0..<d { yc += Double(w[c * d + j]) * x[j] }
            var result: [(index: Int, gap: Double)] = []
            for i in 0..<layer.classes where i != c {
                var y = Double(layer.bias?[i] ?? 0)
                for j in 0..<d { y += Double(w[i * d + j]) * x[j] }
                if y >= yc { result.append((i, y - yc)) }
            }
            return result
        }
    }
}
