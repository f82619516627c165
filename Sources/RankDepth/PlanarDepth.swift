import Foundation

/// Rank depth for d = 2, no bias, unbounded inputs, by a rotational sweep: the number of classes
/// scoring ≥ c in direction u, #{i : (w_i − w_c)·u ≥ 0}, is constant on the open arcs between the
/// directions orthogonal to some w_i − w_c and can only be larger on their boundaries, so the
/// minimum over all x ≠ 0 is attained at an arc's midpoint; x = 0 ties every class (C − 1). This is
/// the halfspace (Tukey) depth of w_c among the other rows. Floating point: an independent check for
/// tests, not a certificate.
public enum PlanarDepth {
    /// Depth of `point` among `others` (each a 2-vector): the fewest of them in a closed half-plane
    /// whose boundary passes through `point`.
    public static func halfspaceDepth(of point: (Double, Double), among others: [(Double, Double)]) -> Int {
        let differences = others.map { ($0.0 - point.0, $0.1 - point.1) }
        var angles: [Double] = []
        for (x, y) in differences where x != 0 || y != 0 {
            let θ = atan2(y, x)
            for a in [θ + .pi / 2, θ - .pi / 2] {
                var v = a.truncatingRemainder(dividingBy: 2 * .pi)
                if v < 0 { v += 2 * .pi }
                angles.append(v)
            }
        }
        var best = others.count  // x = 0
        guard !angles.isEmpty else { return best }
        angles.sort()
        for (k, a) in angles.enumerated() {
            let next = k + 1 < angles.count ? angles[k + 1] : angles[0] + 2 * .pi
            guard next > a else { continue }
            let m = (a + next) / 2
            let u = (cos(m), sin(m))
            let count = differences.reduce(0) { $0 + ($1.0 * u.0 + $1.1 * u.1 >= 0 ? 1 : 0) }
            best = min(best, count)
        }
        return best
    }
}
