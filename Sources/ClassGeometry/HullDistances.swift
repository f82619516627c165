import ConvexHulls
import Unargmaxable

/// Qhull's signed distance from a class to the hull of the other classes, for inputs in all of R^d.
///
/// - Without bias: the distance of w_c to conv{w_i : i ≠ c}: max over facets of n·w_c − o (unit
///   outward normals), negative inside (minus the distance to the nearest facet plane), positive
///   outside (the distance to the farthest violated facet plane).
/// - With bias: the same for the lifted point (w_c, b_c) against P + cone(−e_{d+1}), P the hull of the
///   others' lifted points (w_i, b_i): its facets are P's upper facets (normal pointing up) and the
///   vertical facets over the facets of conv{w_i}. The class is unargmaxable on R^d exactly when the
///   lifted point lies in that set, so the sign is the verdict (0: a tie, unargmaxable).
///
/// The hulls of all classes are computed once: for a class that is not a vertex of them (or is one
/// copy of a duplicated vertex) the others' hulls are the same. Only vertices need hulls of their own,
/// at most `limit` of them (nil beyond, and whenever a hull of the others is not full-dimensional).
final class HullDistances {
    let layer: SoftmaxLayer
    let weights: [Double]
    let base: ConvexHull
    let lifted: ConvexHull?
    let vertices: Set<Int>
    let limit: Int
    private(set) var runs = 0

    init?(_ layer: SoftmaxLayer, limit: Int) {
        let d = layer.dimension
        let dimension = d + (layer.hasBias ? 1 : 0)
        guard layer.classes - 1 > dimension, QhullBudget.allows(points: layer.classes, dimension: dimension) else {
            return nil
        }
        self.layer = layer
        self.limit = limit
        let weights = layer.weights.values.map(Double.init)
        self.weights = weights
        guard let base = try? ConvexHull(points: weights, count: layer.classes, dimension: d) else { return nil }
        self.base = base
        var vertices = Set(base.vertices).subtracting(base.duplicated)
        if let bias = layer.bias {
            let points = (0..<layer.classes).flatMap { weights[($0 * d)..<(($0 + 1) * d)] + [Double(bias[$0])] }
            guard let lifted = try? ConvexHull(points: points, count: layer.classes, dimension: d + 1) else {
                return nil
            }
            self.lifted = lifted
            vertices.formUnion(Set(lifted.vertices).subtracting(lifted.duplicated))
        } else {
            lifted = nil
        }
        self.vertices = vertices
    }

    func distance(_ c: Int) -> Double? {
        let d = layer.dimension
        let point = Array(weights[(c * d)..<((c + 1) * d)])
        guard vertices.contains(c) else {
            return Self.signedDistance(point: point, bias: layer.bias.map { Double($0[c]) }, base: base, lifted: lifted)
        }
        guard runs < limit else { return nil }
        runs += 1
        let others = (0..<layer.classes).filter { $0 != c }
        let flat = others.flatMap { weights[($0 * d)..<(($0 + 1) * d)] }
        guard let base = try? ConvexHull(points: flat, count: others.count, dimension: d) else { return nil }
        guard let bias = layer.bias else {
            return Self.signedDistance(point: point, bias: nil, base: base, lifted: nil)
        }
        let points = others.flatMap { weights[($0 * d)..<(($0 + 1) * d)] + [Double(bias[$0])] }
        guard let lifted = try? ConvexHull(points: points, count: others.count, dimension: d + 1) else { return nil }
        return Self.signedDistance(point: point, bias: Double(bias[c]), base: base, lifted: lifted)
    }

    static func signedDistance(point: [Double], bias: Double?, base: ConvexHull, lifted: ConvexHull?) -> Double? {
        let d = point.count
        guard base.affineDimension == d, !base.facets.isEmpty else { return nil }
        func value(_ facet: ConvexHull.Facet, _ p: [Double]) -> Double {
            zip(facet.normal, p).reduce(0) { $0 + $1.0 * $1.1 } - facet.offset
        }
        var best = base.facets.map { value($0, point) }.max()!
        guard let bias, let lifted else { return best }
        guard lifted.affineDimension == d + 1 else { return nil }
        let p = point + [bias]
        for facet in lifted.facets where facet.normal[d] > 1e-12 { best = max(best, value(facet, p)) }
        return best
    }
}
