import ExactArithmetic

/// The paper's Tables 2 (no bias) and 3 (bias): feasible rankings for |C| = 1…maxClasses (rows)
/// and d = 1…maxDimension (columns), all cells from one sweep of the recurrence.
public struct RegionCountTable: Sendable {
    /// Whether the layer has a bias term.
    public let hasBias: Bool
    /// The largest |C| (the last row).
    public let maxClasses: Int
    /// The largest d (the last column).
    public let maxDimension: Int
    /// `cells[c − 1][d − 1]` = regions for c classes and d features.
    public let cells: [[BigInt]]

    /// Computes every cell for |C| = 1…`maxClasses` and d = 1…`maxDimension`.
    public init(maxClasses: Int, maxDimension: Int, bias: Bool) {
        precondition(maxClasses >= 1 && maxDimension >= 1)
        self.hasBias = bias
        self.maxClasses = maxClasses
        self.maxDimension = maxDimension
        // row[k] = N(c, k) for k = 0…maxDimension, advanced with N(c, k) = N(c−1, k) + (c−1)·N(c−1, k−1).
        var row: [BigInt] = Array(repeating: 1, count: maxDimension + 1)  // c = 1: one ranking, bias or not
        var cells: [[BigInt]] = [Array(row[1...])]
        for c in stride(from: 2, through: maxClasses, by: 1) {
            if c == 2 && !bias {
                // Without a bias the recurrence starts at c = 2: N(2, 0) = 0, N(2, k) = 2.
                row = (0...maxDimension).map { $0 == 0 ? 0 : 2 }
            } else {
                for k in stride(from: maxDimension, through: 1, by: -1) { row[k] = row[k] + row[k - 1] * (c - 1) }
            }
            cells.append(Array(row[1...]))
        }
        self.cells = cells
    }

    /// The number of feasible rankings for `classes` classes and `dimension` features (both from 1).
    public func regions(classes: Int, dimension: Int) -> BigInt { cells[classes - 1][dimension - 1] }
}
