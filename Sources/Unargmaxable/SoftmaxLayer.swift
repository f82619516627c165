import LayerFormats

/// A softmax layer `y = W x + b`: weights C × d (Float32, row-major, possibly memory-mapped) and an
/// optional bias. Validated on construction: non-empty, consistent shapes, finite values.
public struct SoftmaxLayer: Sendable {
    /// The weights W, |C| × d.
    public let weights: FloatMatrix
    /// The bias b (|C| values), or nil for y = W x.
    public let bias: [Float]?

    /// The number of classes |C| (rows of W).
    public var classes: Int { weights.rows }
    /// The input dimension d (columns of W).
    public var dimension: Int { weights.columns }
    /// Whether the layer has a bias.
    public var hasBias: Bool { bias != nil }

    /// Validates and wraps the arrays: throws ``SoftmaxLayerError`` for an empty layer, a bias of the
    /// wrong length or a non-finite value.
    public init(weights: FloatMatrix, bias: [Float]? = nil) throws {
        guard weights.rows >= 1, weights.columns >= 1 else { throw SoftmaxLayerError.empty }
        if let bias, bias.count != weights.rows {
            throw SoftmaxLayerError.biasLength(bias.count, classes: weights.rows)
        }
        if let (row, column) = weights.firstNonFinite() {
            throw SoftmaxLayerError.nonFiniteWeight(row: row, column: column)
        }
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
        guard weights.count == classes * dimension else {
            throw SoftmaxLayerError.shape(weights.count, classes: classes, dimension: dimension)
        }
        try self.init(weights: FloatMatrix(rows: classes, columns: dimension, values: weights), bias: bias)
    }

    @inline(__always) func biasValue(_ i: Int) -> Double { bias.map { Double($0[i]) } ?? 0 }
}

/// Why arrays do not form a valid softmax layer.
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

/// The mean row and the rows' mean squared norm of a layer, from one pass over W.
struct RowMoments {
    let mean: [Double]
    let meanSquaredNorm: Double

    init(_ layer: SoftmaxLayer) {
        let C = layer.classes, d = layer.dimension
        var mean = [Double](repeating: 0, count: d)
        var squared = 0.0
        layer.weights.withUnsafeBufferPointer { w in
            for i in 0..<C {
                for j in 0..<d {
                    let v = Double(w[i * d + j])
                    mean[j] += v
                    squared += v * v
                }
            }
        }
        self.mean = mean.map { $0 / Double(C) }
        meanSquaredNorm = squared / Double(C)
    }

    /// Whether most rows share a direction: the mean row's squared norm is at least 5 % of the rows'
    /// mean squared norm (real embedding heads; random layers are far below).
    var sharesDirection: Bool { mean.reduce(0) { $0 + $1 * $1 } >= 0.05 * meanSquaredNorm }
}
