import Unargmaxable

/// Per-dimension ranges of observed softmax inputs: the box the network's activations actually
/// occupy, to check a layer on (`domain`) instead of the paper's |x_j| ≤ 100.
///
/// Computed in one streaming pass over the rows (`ActivationFile.forEachBlock`). Minima and maxima
/// are exact. Quantile bounds are exact too: for a level q (0.5 ≤ q ≤ 1) the lower bound of
/// dimension j is the order statistic of rank `orderStatisticRank(count: N, probability: 1 − q)`
/// of column j and the upper bound the one of rank `orderStatisticRank(count: N, probability: q)`
/// — numpy's `np.quantile(x, [1 − q, q], axis=0, method="inverted_cdf")`. To find them without
/// sorting, each dimension keeps its k_low smallest and k_high largest values in two bounded heaps
/// (k ≈ (1 − q)·N + 1), so memory is d·(k_low + k_high) Doubles, not N·d.
public struct InputRanges: Sendable, Equatable {
    /// N, the number of observed vectors.
    public let rows: Int
    /// d, features per vector.
    public let dimension: Int
    /// Per dimension: the smallest observed value (or the lower quantile bound).
    public let minimum: [Double]
    /// Per dimension: the largest observed value (or the upper quantile bound).
    public let maximum: [Double]
    /// The quantile level q of `quantileLower`/`quantileUpper`, if one was asked for.
    public let quantile: Double?
    /// Per dimension, the (1 − q)-quantile (inverted CDF) of the observed values.
    public let quantileLower: [Double]?
    /// Per dimension, the q-quantile (inverted CDF) of the observed values.
    public let quantileUpper: [Double]?

    /// Largest number of Doubles the quantile heaps may hold together (2 GiB).
    public static let maximumHeapValues = 1 << 28

    /// 0-based rank of numpy's `method="inverted_cdf"` quantile at `probability` among `count`
    /// sorted values: ceil(count·p − 1), clipped to 0 … count − 1 (the smallest value whose
    /// empirical CDF reaches p), computed in Double exactly as numpy does.
    public static func orderStatisticRank(count: Int, probability: Double) -> Int {
        let virtual = (Double(count) * probability - 1).rounded(.up)
        return Int(min(max(virtual, 0), Double(count - 1)))
    }

    /// The inverted-CDF quantile of `values` at `probability` (sorts a copy; for small arrays).
    public static func quantile(of values: [Double], probability: Double) -> Double {
        values.sorted()[orderStatisticRank(count: values.count, probability: probability)]
    }

    /// Measures `file` in blocks of `blockRows` rows. Throws for NaN or ±Inf (named by row and
    /// column), and for a quantile level outside [0.5, 1] or one whose heaps would exceed
    /// `maximumHeapValues`.
    public static func measure(_ file: ActivationFile, quantile: Double? = nil, blockRows: Int = 4096) throws
        -> InputRanges
    {
        let n = file.rows, d = file.columns
        var low: BoundedHeaps? = nil, high: BoundedHeaps? = nil
        if let q = quantile {
            guard q >= 0.5, q <= 1 else {
                throw StudyError("--quantile", "the level must lie in [0.5, 1] (got \(q)); 0.999 keeps 99.9% per side")
            }
            let kLow = orderStatisticRank(count: n, probability: 1 - q) + 1
            let kHigh = n - orderStatisticRank(count: n, probability: q)
            guard (kLow + kHigh).multipliedReportingOverflow(by: d).partialValue <= maximumHeapValues,
                !(kLow + kHigh).multipliedReportingOverflow(by: d).overflow
            else {
                throw StudyError(
                    file.label(),
                    "quantile \(q) of \(n) rows needs \(kLow + kHigh) values per dimension × \(d) dimensions "
                        + "in memory; use a level closer to 1"
                )
            }
            low = BoundedHeaps(dimensions: d, capacity: kLow, keepSmallest: true)
            high = BoundedHeaps(dimensions: d, capacity: kHigh, keepSmallest: false)
        }
        var minimum = [Double](repeating: .infinity, count: d)
        var maximum = [Double](repeating: -.infinity, count: d)
        try file.forEachBlock(blockRows: blockRows) { first, values in
            let count = values.count / d
            for i in 0..<count {
                for j in 0..<d {
                    let x = values[i * d + j]
                    guard x.isFinite else {
                        throw StudyError(file.label(), "row \(first + i), column \(j) is NaN or Inf")
                    }
                    if x < minimum[j] { minimum[j] = x }
                    if x > maximum[j] { maximum[j] = x }
                    low?.insert(x, dimension: j)
                    high?.insert(x, dimension: j)
                }
            }
        }
        return InputRanges(
            rows: n, dimension: d, minimum: minimum, maximum: maximum, quantile: quantile,
            quantileLower: low.map { h in (0..<d).map { h.top($0) } },
            quantileUpper: high.map { h in (0..<d).map { h.top($0) } })
    }

    /// Bounds from already known per-dimension values.
    public init(
        rows: Int, dimension: Int, minimum: [Double], maximum: [Double], quantile: Double? = nil,
        quantileLower: [Double]? = nil, quantileUpper: [Double]? = nil
    ) {
        self.rows = rows
        self.dimension = dimension
        self.minimum = minimum
        self.maximum = maximum
        self.quantile = quantile
        self.quantileLower = quantileLower
        self.quantileUpper = quantileUpper
    }

    /// The box to check a layer on: the quantile bounds when measured, else the minima and maxima.
    public var domain: InputDomain {
        if let quantileLower, let quantileUpper { return .bounds(lower: quantileLower, upper: quantileUpper) }
        return .bounds(lower: minimum, upper: maximum)
    }

    /// The paper's Table 9 view of the ranges.
    public var summary: RangeSummary { RangeSummary(self) }
}

/// The summary the paper reports for activation ranges (its Table 9): N, d, the overall minimum
/// and maximum, and percentiles (inverted CDF, over the d dimensions) of the per-dimension minima
/// and maxima — and of the quantile bounds when measured.
public struct RangeSummary: Sendable, Equatable {
    /// The percentiles reported for each per-dimension statistic.
    public static let percentiles: [Double] = [0, 25, 50, 75, 100]

    /// N, the number of activation vectors read.
    public let rows: Int
    /// d, features per vector.
    public let dimension: Int
    /// The smallest value over all dimensions.
    public let minimum: Double
    /// The largest value over all dimensions.
    public let maximum: Double
    /// The quantile the bounds use, or nil for min/max.
    public let quantile: Double?
    /// Named per-dimension statistics ("min", "max", and "q_low", "q_high" with a quantile), each
    /// with its values at `percentiles`.
    public let statistics: [Statistic]

    /// A per-dimension statistic and its values at `RangeSummary.percentiles`.
    public struct Statistic: Sendable, Equatable {
        /// What is summarised, e.g. "per-dimension minimum".
        public let name: String
        /// The statistic at each of `RangeSummary.percentiles`.
        public let values: [Double]
    }

    init(_ ranges: InputRanges) {
        rows = ranges.rows
        dimension = ranges.dimension
        minimum = ranges.minimum.min() ?? .nan
        maximum = ranges.maximum.max() ?? .nan
        quantile = ranges.quantile
        func spread(_ values: [Double]) -> [Double] {
            let sorted = values.sorted()
            return Self.percentiles.map {
                sorted[InputRanges.orderStatisticRank(count: sorted.count, probability: $0 / 100)]
            }
        }
        var statistics = [
            Statistic(name: "min", values: spread(ranges.minimum)),
            Statistic(name: "max", values: spread(ranges.maximum)),
        ]
        if let l = ranges.quantileLower, let u = ranges.quantileUpper {
            statistics += [Statistic(name: "q_low", values: spread(l)), Statistic(name: "q_high", values: spread(u))]
        }
        self.statistics = statistics
    }
}

/// One bounded binary heap per dimension, all in one flat array: with `keepSmallest` a max-heap
/// of the `capacity` smallest values seen (its top is the capacity-th smallest), otherwise a
/// min-heap of the `capacity` largest (its top is the capacity-th largest).
struct BoundedHeaps {
    let capacity: Int
    let keepSmallest: Bool
    var storage: [Double]
    var sizes: [Int]

    init(dimensions: Int, capacity: Int, keepSmallest: Bool) {
        self.capacity = capacity
        self.keepSmallest = keepSmallest
        storage = [Double](repeating: 0, count: dimensions * capacity)
        sizes = [Int](repeating: 0, count: dimensions)
    }

    /// Whether a sits above b in the heap order (larger for a max-heap).
    @inline(__always) private func above(_ a: Double, _ b: Double) -> Bool { keepSmallest ? a > b : a < b }

    func top(_ dimension: Int) -> Double { storage[dimension * capacity] }

    mutating func insert(_ x: Double, dimension j: Int) {
        let base = j * capacity
        let size = sizes[j]
        if size < capacity {
            var i = size
            storage[base + i] = x
            while i > 0 {
                let parent = (i - 1) / 2
                guard above(storage[base + i], storage[base + parent]) else { break }
                storage.swapAt(base + i, base + parent)
                i = parent
            }
            sizes[j] = size + 1
            return
        }
        // Full: x enters only if it belongs among the kept values (strictly inside the top).
        guard above(storage[base], x) else { return }
        storage[base] = x
        var i = 0
        while true {
            let left = 2 * i + 1, right = left + 1
            var best = i
            if left < capacity, above(storage[base + left], storage[base + best]) { best = left }
            if right < capacity, above(storage[base + right], storage[base + best]) { best = right }
            if best == i { break }
            storage.swapAt(base + i, base + best)
            i = best
        }
    }
}
