/// Exact answers to "which classes can be the argmax?" from convex-hull geometry (Qhull), for
/// cross-validating the detectors in low dimension (Qhull's cost explodes beyond d ≈ 10).
///
/// Class c is argmaxable when some input x makes its logit strictly larger than every other.
/// - Without bias: logits are w_i·x, and c is argmaxable ⇔ w_c is a vertex of conv{w_i}
///   (Cover 1967; Demeter et al. 2020). Duplicated rows always tie, so both copies are unargmaxable.
/// - With bias and unbounded inputs: logits are (w_i, b_i)·(x, 1), so c is argmaxable ⇔ some
///   direction with last coordinate 1 exposes the lifted point (w_c, b_c) uniquely ⇔ it is a vertex
///   of a facet of the lifted hull whose outward normal points strictly upwards (the "upper hull").
public struct ArgmaxGroundTruth: Sendable, Equatable {
    /// The number of classes |C|.
    public let classes: Int
    /// Whether the layer has a bias (the lifted, upper-hull rule) or not (the plain hull rule).
    public let hasBias: Bool
    /// Sorted indices of classes that no input can make the unique argmax.
    public let unargmaxable: [Int]

    /// Sorted indices of the classes that can be the argmax.
    public var argmaxable: [Int] {
        let excluded = Set(unargmaxable)
        return (0..<classes).filter { !excluded.contains($0) }
    }

    /// `weights`: classes × dimension, row-major.
    public static func withoutBias(weights: [Double], classes: Int, dimension: Int) throws -> ArgmaxGroundTruth {
        let hull = try ConvexHull(points: weights, count: classes, dimension: dimension)
        let argmaxable = Set(hull.vertices).subtracting(hull.duplicated)
        return ArgmaxGroundTruth(classes: classes, hasBias: false, argmaxable: argmaxable)
    }

    /// `weights`: classes × dimension, row-major; `bias`: one per class.
    public static func withBias(weights: [Double], bias: [Double], classes: Int, dimension: Int) throws
        -> ArgmaxGroundTruth
    {
        guard bias.count == classes else {
            throw ConvexHullError.shapeMismatch(values: bias.count, count: classes, dimension: 1)
        }
        var lifted = [Double]()
        lifted.reserveCapacity(classes * (dimension + 1))
        for i in 0..<classes {
            lifted += weights[(i * dimension)..<((i + 1) * dimension)]
            lifted.append(bias[i])
        }
        let hull = try ConvexHull(points: lifted, count: classes, dimension: dimension + 1)
        var argmaxable = Set(hull.vertices).subtracting(hull.duplicated)
        // Which directions (x, 1) can reach? Write up = e_{d+1}. If the lifted points' affine hull
        // contains the vertical direction, the reachable directions, seen inside that affine hull, are
        // exactly those with a positive "up" component: the upper-hull rule. Otherwise (e.g. all biases
        // equal) every direction inside the affine hull is reachable, and every vertex is argmaxable.
        let up = (0...dimension).map { $0 == dimension ? 1.0 : 0.0 }
        let upInside = hull.affineHull.ambient(direction: hull.affineHull.project(direction: up))
        let containsVertical = abs(1 - norm(upInside)) < 1e-9
        if containsVertical && hull.affineDimension >= 1 {
            let onUpperFacets = Set(hull.facets.filter { $0.normal[dimension] > 1e-12 }.flatMap(\.vertices))
            argmaxable.formIntersection(onUpperFacets)
        }
        return ArgmaxGroundTruth(classes: classes, hasBias: true, argmaxable: argmaxable)
    }

    /// The ground truth without a bias, from Float32 weights (converted to Double exactly).
    @_disfavoredOverload
    public static func withoutBias(weights: [Float], classes: Int, dimension: Int) throws -> ArgmaxGroundTruth {
        try withoutBias(weights: weights.map(Double.init), classes: classes, dimension: dimension)
    }

    /// The ground truth with a bias, from Float32 weights and bias (converted to Double exactly).
    @_disfavoredOverload
    public static func withBias(weights: [Float], bias: [Float], classes: Int, dimension: Int) throws
        -> ArgmaxGroundTruth
    {
        try withBias(
            weights: weights.map(Double.init), bias: bias.map(Double.init), classes: classes, dimension: dimension)
    }

    init(classes: Int, hasBias: Bool, argmaxable: Set<Int>) {
        self.classes = classes
        self.hasBias = hasBias
        self.unargmaxable = (0..<classes).filter { !argmaxable.contains($0) }
    }
}
