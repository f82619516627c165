import LayerFormats

/// A softmax layer `y = W x + b`: weights C × d (Float32, row-major, possibly memory-mapped) and an
/// optional bias. Validated on construction: non-empty, consistent shapes, finite values.
public struct SoftmaxLayer: Sendable {
    public let weights: FloatMatrix
    public let bias: [Float]?

    public var classes: Int { weights.rows }
    public var dimension: Int { weights.columns }
    public var hasBias: Bool { bias != nil }

    public init(weights: FloatMatrix, bias: [Float]? = nil) throws {
        guard weights.rows >= 1, weights.columns >= 1 else { throw SoftmaxLayerError.empty }
        if let bias, bias.count != weights.rows { throw SoftmaxLayerError.biasLength(bias.count, classes: weights.rows) }
        if let (row, column) = weights.firstNonFinite() { throw SoftmaxLayerError.nonFiniteWeight(row: row, column: column) }
        if let i = bias?.firstIndex(where: { !$0.isFinite }) { throw SoftmaxLayerError.nonFiniteBias(i) }
        self.weights = weights
        self.bias = bias
    }

    /// From validated arrays: no second pass over the weights (a large layer is read once).
    public init(_ arrays: LayerArrays, useBias: Bool = true) {
        self.weights = arrays.weights
        self.bias = useBias ? arrays.bias : nil
    }

    /// Convenience for tests and generated layers.
    public init(weights: [Float], classes: Int, dimension: Int, bias: [Float]? = nil) throws {
        guard weights.count == classes * dimension else { throw SoftmaxLayerError.shape(weights.count, classes: classes, dimension: dimension) }
        try self.init(weights: FloatMatrix(rows: classes, columns: dimension, values: weights), bias: bias)
    }

    @inline(__always) func biasValue(_ i: Int) -> Double { bias.map { Double($0[i]) } ?? 0 }
}

public enum SoftmaxLayerError: Error, CustomStringConvertible, Equatable {
    case empty
    case biasLength(Int, classes: Int)
    case shape(Int, classes: Int, dimension: Int)
    case nonFiniteWeight(row: Int, column: Int)
    case nonFiniteBias(Int)

    public var description: String {
        switch self {
        case .empty: return "the layer is empty (no classes or no features)"
        case let .biasLength(n, classes): return "the bias has \(n) entries for \(classes) classes"
        case let .shape(n, classes, dimension): return "\(n) weights do not form a \(classes) × \(dimension) matrix"
        case let .nonFiniteWeight(row, column): return "weight (\(row), \(column)) is NaN or Inf"
        case let .nonFiniteBias(i): return "bias \(i) is NaN or Inf"
        }
    }
}

/// The inputs x the network can produce: a box (the paper assumes |x_j| ≤ 100), per-dimension
/// bounds, or all of R^d.
public enum InputDomain: Sendable, Equatable {
    case box(radius: Double)
    case bounds(lower: [Double], upper: [Double])
    case unbounded

    public static let paperDefault = InputDomain.box(radius: 100)

    func lower(_ j: Int) -> Double? {
        switch self {
        case .box(let r): return -r
        case .bounds(let lower, _): return lower[j]
        case .unbounded: return nil
        }
    }

    func upper(_ j: Int) -> Double? {
        switch self {
        case .box(let r): return r
        case .bounds(_, let upper): return upper[j]
        case .unbounded: return nil
        }
    }

    var isBounded: Bool { self != .unbounded }

    func contains(_ x: [Double]) -> Bool {
        for j in x.indices {
            if let l = lower(j), x[j] < l { return false }
            if let u = upper(j), x[j] > u { return false }
        }
        return true
    }

    /// The nearest point of the domain (coordinate-wise clipping).
    func clip(_ x: inout [Float]) {
        for j in x.indices {
            if let l = lower(j), Double(x[j]) < l { x[j] = Float(l).nextUp }
            if let u = upper(j), Double(x[j]) > u { x[j] = Float(u).nextDown }
        }
    }
}
