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
/// nil when the hull of the others is not full-dimensional or there are too few other classes.
struct HullDistances {
    let layer: SoftmaxLayer

    init?(_ layer: SoftmaxLayer) {
        let dimension = layer.dimension + (layer.hasBias ? 1 : 0)
        guard layer.classes - 1 > dimension, QhullBudget.allows(points: layer.classes - 1, dimension: dimension)
        else { return nil }
        self.layer = layer
    }

    func distance(_ c: Int) -> Double? {
        Self.signedDistance(layer, class: c)
    }

    static func signedDistance(_ layer: SoftmaxLayer, class c: Int) -> Double? {
        let d = layer.dimension
        let others = (0..<layer.classes).filter { $0 != c }
        let w = layer.weights.values.map(Double.init)
        let point = Array(w[(c * d)..<((c + 1) * d)])
        let flat = others.flatMap { w[($0 * d)..<(($0 + 1) * d)] }
        guard others.count > d,
            let base = try? ConvexHull(points: flat, count: others.count, dimension: d),
            base.affineDimension == d
        else { return nil }
        let sideways = base.facets.map { zip($0.normal, point).reduce(0) { $0 + $1.0 * $1.1 } - $0.offset }.max()
        guard let bias = layer.bias else { return sideways }
        guard others.count > d + 1 else { return nil }
        let lifted = others.flatMap { w[($0 * d)..<(($0 + 1) * d)] + [Double(bias[$0])] }
        guard let hull = try? ConvexHull(points: lifted, count: others.count, dimension: d + 1),
            hull.affineDimension == d + 1
        else { return nil }
        let p = point + [Double(bias[c])]
        var best = sideways ?? -.infinity
        for facet in hull.facets where facet.normal[d] > 1e-12 {
            best = max(best, zip(facet.normal, p).reduce(0) { $0 + $1.0 * $1.1 } - facet.offset)
        }
        return best
    }
}
