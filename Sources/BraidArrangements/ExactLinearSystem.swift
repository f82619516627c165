import ExactArithmetic

/// Exact solutions of small linear systems over the rationals, used to turn a floating-point LP
/// answer into a certificate that holds exactly: the LP tells which equations a certificate must
/// satisfy and roughly where it lies; elimination in `Rational` finds a point that satisfies the
/// equations with no rounding at all, whose remaining (inequality) conditions are then checked exactly.
enum ExactLinearSystem {
    /// A solution of `rows · v = rhs` (rows: m equations over n unknowns), nil if the system is
    /// inconsistent. Unknowns that elimination leaves free take the (exact) values of `guess`, so
    /// the result is the exact solution nearest in spirit to the approximate one.
    static func solve(rows: [[Rational]], rhs: [Rational], guess: [Double]) -> [Rational]? {
        let n = guess.count
        var matrix = zip(rows, rhs).map { $0.0 + [$0.1] }
        var pivotColumns: [Int] = []
        var rank = 0
        for column in 0..<n where rank < matrix.count {
            guard let pivotRow = (rank..<matrix.count).first(where: { !matrix[$0][column].isZero }) else { continue }
            matrix.swapAt(rank, pivotRow)
            let pivot = matrix[rank][column]
            matrix[rank] = matrix[rank].map { $0 / pivot }
            for r in 0..<matrix.count where r != rank && !matrix[r][column].isZero {
                let factor = matrix[r][column]
                for k in column...n where !matrix[rank][k].isZero {
                    matrix[r][k] = matrix[r][k] - factor * matrix[rank][k]
                }
            }
            pivotColumns.append(column)
            rank += 1
        }
        // A zero row with a non-zero right-hand side: inconsistent.
        for r in rank..<matrix.count where !matrix[r][n].isZero { return nil }
        var solution = guess.map { Rational(exactly: $0.isFinite ? $0 : 0)! }
        let pivots = Set(pivotColumns)
        for (r, column) in pivotColumns.enumerated() {
            var value = matrix[r][n]
            for k in (column + 1)..<n where !pivots.contains(k) && !matrix[r][k].isZero {
                value = value - matrix[r][k] * solution[k]
            }
            solution[column] = value
        }
        return solution
    }

    /// The rank of a matrix given by rows (exact).
    static func rank(_ rows: [[Rational]]) -> Int {
        guard let n = rows.first?.count else { return 0 }
        var matrix = rows
        var rank = 0
        for column in 0..<n where rank < matrix.count {
            guard let pivotRow = (rank..<matrix.count).first(where: { !matrix[$0][column].isZero }) else { continue }
            matrix.swapAt(rank, pivotRow)
            let pivot = matrix[rank][column]
            for r in (rank + 1)..<matrix.count where !matrix[r][column].isZero {
                let factor = matrix[r][column] / pivot
                for k in column..<n { matrix[r][k] = matrix[r][k] - factor * matrix[rank][k] }
            }
            rank += 1
        }
        return rank
    }
}
