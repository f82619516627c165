extension Rational {
    /// A basic solution of the linear system whose augmented matrix is `rows` (each row: n
    /// coefficients, then the right-hand side), by Gauss–Jordan elimination over the rationals:
    /// free variables are 0. Nil when the system is inconsistent. Certificates are found this way
    /// (exact multipliers on a support), so no rounding can make a proof pass that should fail.
    public static func basicSolution(_ rows: [[Rational]]) -> [Rational]? {
        guard let width = rows.first?.count, width >= 1, rows.allSatisfy({ $0.count == width }) else { return nil }
        let n = width - 1
        var m = rows
        var pivotColumns: [Int] = []
        var row = 0
        for column in 0..<n where row < m.count {
            guard let pivot = (row..<m.count).first(where: { !m[$0][column].isZero }) else { continue }
            m.swapAt(row, pivot)
            let inverse = Rational(1) / m[row][column]
            m[row] = m[row].map { $0 * inverse }
            for r in 0..<m.count where r != row && !m[r][column].isZero {
                let factor = m[r][column]
                for k in column...n where !m[row][k].isZero { m[r][k] = m[r][k] - factor * m[row][k] }
            }
            pivotColumns.append(column)
            row += 1
        }
        // Consistency: rows without a pivot must have a zero right-hand side.
        for r in row..<m.count where !m[r][n].isZero { return nil }
        var solution = Array(repeating: Rational(0), count: n)
        for (r, column) in pivotColumns.enumerated() { solution[column] = m[r][n] }
        return solution
    }
}
