/// The inputs x the network can produce: a box (the paper assumes |x_j| ≤ 100), per-dimension
/// bounds, or all of R^d.
public enum InputDomain: Sendable, Equatable {
    /// −radius ≤ x_j ≤ radius for every j.
    case box(radius: Double)
    /// lower_j ≤ x_j ≤ upper_j (finite, one pair per dimension).
    case bounds(lower: [Double], upper: [Double])
    /// Any x ∈ R^d.
    case unbounded

    /// The paper's setting: |x_j| ≤ 100.
    public static let paperDefault = InputDomain.box(radius: 100)

    /// Throws when the domain is empty, not finite, or does not match `dimension`.
    public func validate(dimension: Int) throws(InputDomainError) {
        switch self {
        case .unbounded:
            return
        case .box(let r):
            guard r.isFinite, r >= 0 else { throw .radius(r) }
        case let .bounds(lower, upper):
            guard lower.count == dimension, upper.count == dimension else {
                throw .boundCount(lower: lower.count, upper: upper.count, dimension: dimension)
            }
            for j in 0..<dimension where !(lower[j].isFinite && upper[j].isFinite && lower[j] <= upper[j]) {
                throw .bound(j, lower: lower[j], upper: upper[j])
            }
        }
    }

    @inline(__always) func lower(_ j: Int) -> Double? {
        switch self {
        case .box(let r): return -r
        case .bounds(let lower, _): return lower[j]
        case .unbounded: return nil
        }
    }

    @inline(__always) func upper(_ j: Int) -> Double? {
        switch self {
        case .box(let r): return r
        case .bounds(_, let upper): return upper[j]
        case .unbounded: return nil
        }
    }

    var isBounded: Bool { self != .unbounded }

    /// Whether the domain contains a neighbourhood of 0 (then a layer without bias has the same
    /// verdicts on it as on R^d: its regions are cones).
    var containsOriginInInterior: Bool {
        switch self {
        case .unbounded: return true
        case .box(let r): return r > 0
        case let .bounds(lower, upper): return zip(lower, upper).allSatisfy { $0 < 0 && $1 > 0 }
        }
    }

    func contains(_ x: [Double]) -> Bool {
        for j in x.indices {
            if let l = lower(j), !(x[j] >= l) { return false }
            if let u = upper(j), !(x[j] <= u) { return false }
        }
        return true
    }

    /// The nearest Float32 point of the domain, coordinate by coordinate (bounds that are not
    /// Float32 values are rounded inwards, so the result is always inside).
    func clip(_ x: inout [Float]) {
        for j in x.indices {
            if let l = lower(j), Double(x[j]) < l { x[j] = Self.floatAtLeast(l) }
            if let u = upper(j), Double(x[j]) > u { x[j] = Self.floatAtMost(u) }
        }
    }

    /// The nearest point of the domain in Double (exact: clipping only copies bounds).
    func clip(_ x: inout [Double]) {
        for j in x.indices {
            if let l = lower(j), !(x[j] >= l) { x[j] = l }
            if let u = upper(j), x[j] > u { x[j] = u }
        }
    }

    static func floatAtLeast(_ l: Double) -> Float {
        let f = Float(l)
        return Double(f) < l ? f.nextUp : f
    }

    static func floatAtMost(_ u: Double) -> Float {
        let f = Float(u)
        return Double(f) > u ? f.nextDown : f
    }
}

/// Why an `InputDomain` cannot be used.
public enum InputDomainError: Error, CustomStringConvertible, Equatable {
    case radius(Double)
    case boundCount(lower: Int, upper: Int, dimension: Int)
    case bound(Int, lower: Double, upper: Double)

    public var description: String {
        switch self {
        case .radius(let r): return "the box radius must be a finite number ≥ 0 (got \(r))"
        case let .boundCount(l, u, d):
            return "per-dimension bounds need \(d) lower and \(d) upper values (got \(l) and \(u))"
        case let .bound(j, l, u):
            return "the bounds of dimension \(j) must be finite with lower ≤ upper (got [\(l), \(u)])"
        }
    }
}
