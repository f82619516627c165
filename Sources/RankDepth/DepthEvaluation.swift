import ExactArithmetic
import Unargmaxable

/// Which classes score at least as high as class c at an input x ("beaters" of c at x). Each
/// difference y_i(x) − y_c(x) is first evaluated in binary64 with a rigorous error bound; the few whose
/// sign that bound cannot settle are evaluated exactly in rational arithmetic (or, with `exact: false`,
/// counted as beaters — a class is left out only when it is certainly below c, so the count stays a
/// valid upper bound on the rank depth).
public enum DepthEvaluation {
    /// i ≠ c with y_i(x) ≥ y_c(x), in ascending order: exact by default (see above). nil when x is not a
    /// finite point of `domain`.
    public static func beaters(
        _ layer: SoftmaxLayer, class c: Int, at x: [Double], domain: InputDomain, exact: Bool = true
    ) -> [Int]? {
        guard x.count == layer.dimension, domain.containsPoint(x) else { return nil }
        let (certain, uncertain) = rigorousBeaters(layer, class: c, at: x)
        guard !uncertain.isEmpty else { return certain }
        let resolved = exact ? exactBeaters(layer, class: c, at: x, among: uncertain) : uncertain
        return (certain + resolved).sorted()
    }

    static func rational(_ value: Float) -> Rational { Rational(exactly: value)! }

    /// Exact: the logit differences of the classes `among`, in rationals.
    static func exactBeaters(_ layer: SoftmaxLayer, class c: Int, at x: [Double], among classes: [Int]) -> [Int] {
        let d = layer.dimension
        let xs = x.map { Rational(exactly: $0)! }
        return layer.weights.withUnsafeBufferPointer { w in
            let bc = layer.bias.map { rational($0[c]) } ?? 0
            let own: Rational = (0..<d).reduce(bc) { $0 + rational(w[c * d + $1]) * xs[$1] }
            var result: [Int] = []
            for i in classes where i != c {
                var y = layer.bias.map { rational($0[i]) } ?? 0
                for j in 0..<d where w[i * d + j] != 0 && x[j] != 0 { y = y + rational(w[i * d + j]) * xs[j] }
                if !(y < own) { result.append(i) }
            }
            return result
        }
    }

    /// Rigorous binary64: |fl(s) − s| ≤ γ_n Σ|terms| (Higham §3.1) plus 2⁻¹⁰²² per operation for
    /// underflow. Classes certainly ≥ c, and classes whose sign the bound cannot settle.
    static func rigorousBeaters(_ layer: SoftmaxLayer, class c: Int, at x: [Double]) -> (
        certain: [Int], uncertain: [Int]
    ) {
        let d = layer.dimension
        let nu = Double(d + 4) * 0x1p-53
        let gamma = nu / (1 - nu) * 1.01
        let underflow = 0x1p-1022 * Double(4 * d + 8)
        return layer.weights.withUnsafeBufferPointer { w in
            var certain: [Int] = [], uncertain: [Int] = []
            let bc = Double(layer.bias?[c] ?? 0)
            for i in 0..<layer.classes where i != c {
                var s = Double(layer.bias?[i] ?? 0) - bc
                var magnitude = abs(s)
                for j in 0..<d {
                    let a = Double(w[i * d + j]) - Double(w[c * d + j])
                    s += a * x[j]
                    magnitude += (abs(Double(w[i * d + j])) + abs(Double(w[c * d + j]))) * abs(x[j])
                }
                let error = gamma * (magnitude + abs(s)) + underflow
                if s - error >= 0 {
                    certain.append(i)
                } else if !(s + error < 0) {
                    uncertain.append(i)
                }
            }
            return (certain, uncertain)
        }
    }
}

extension InputDomain {
    /// The lower bound of coordinate j (nil: unbounded below).
    public func lowerBound(_ j: Int) -> Double? {
        switch self {
        case .box(let r): return -r
        case .bounds(let lower, _): return lower[j]
        case .unbounded: return nil
        }
    }

    /// The upper bound of coordinate j (nil: unbounded above).
    public func upperBound(_ j: Int) -> Double? {
        switch self {
        case .box(let r): return r
        case .bounds(_, let upper): return upper[j]
        case .unbounded: return nil
        }
    }

    /// Whether x is a finite point of the domain.
    public func containsPoint(_ x: [Double]) -> Bool {
        for j in x.indices {
            guard x[j].isFinite else { return false }
            if let l = lowerBound(j), !(x[j] >= l) { return false }
            if let u = upperBound(j), !(x[j] <= u) { return false }
        }
        return true
    }

    /// x moved coordinate by coordinate to the nearest point of the domain.
    func clipped(_ x: [Double]) -> [Double] {
        x.indices.map { j in
            var v = x[j]
            if let l = lowerBound(j), !(v >= l) { v = l }
            if let u = upperBound(j), v > u { v = u }
            return v
        }
    }
}
