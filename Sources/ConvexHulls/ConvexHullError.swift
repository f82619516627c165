/// Why a hull could not be computed. Descriptions are complete sentences for end users.
public enum ConvexHullError: Error, CustomStringConvertible, Equatable {
    case noPoints
    case shapeMismatch(values: Int, count: Int, dimension: Int)
    case nonFinite(point: Int, coordinate: Int)
    case qhullFailed(code: Int, message: String)

    public var description: String {
        switch self {
        case .noPoints:
            return "a convex hull needs at least one point"
        case let .shapeMismatch(values, count, dimension):
            return "expected \(count) × \(dimension) = \(count * dimension) coordinates, got \(values)"
        case let .nonFinite(point, coordinate):
            return "point \(point) has a non-finite coordinate (NaN or ±Inf) at index \(coordinate)"
        case let .qhullFailed(code, message):
            return "Qhull failed (code \(code)): \(message)"
        }
    }
}
