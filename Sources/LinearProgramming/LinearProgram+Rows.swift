import CGLPK

extension LinearProgram {
    /// Adds the dense row `bound(coefficients · x)` and returns its index.
    ///
    /// The new row's activity enters the basis, so the previous basis stays a valid basis (and
    /// stays dual feasible): the next solve starts warm from it, and the dual simplex only has to
    /// repair the rows the previous optimum violates.
    @discardableResult
    public func addRow(_ coefficients: [Double], _ bound: Bound) throws(LinearProgramError) -> Int {
        try checkOwner()
        guard coefficients.count == columnCount else {
            throw .wrongLength(what: "row \(rowCount)", count: coefficients.count, expected: columnCount)
        }
        try Self.checkFinite(coefficients, "row \(rowCount)")
        let glpkBound = try bound.glpk("row \(rowCount)")
        try checkRoomForRow()
        var length = 0
        for (j, a) in coefficients.enumerated() where a != 0 {
            length += 1
            scratchIndices[length] = Int32(j + 1)
            scratchValues[length] = a
        }
        return appendRow(length: length, glpkBound)
    }

    /// Adds the dense row `lowerBound ≤ coefficients · x ≤ upperBound` (a missing or infinite
    /// side is absent) and returns its index.
    @discardableResult
    public func addRow(coefficients: [Double], lowerBound: Double? = nil, upperBound: Double? = nil)
        throws(LinearProgramError) -> Int
    {
        try addRow(coefficients, try Self.bound(lowerBound, upperBound, "row \(rowCount)"))
    }

    /// Adds the sparse row `bound(Σ_k values[k] · x[columns[k]])` and returns its index. Columns
    /// must be distinct; zero values are dropped.
    @discardableResult
    public func addSparseRow(columns: [Int], values: [Double], _ bound: Bound) throws(LinearProgramError) -> Int {
        try checkOwner()
        let what = "row \(rowCount)"
        guard columns.count == values.count else {
            throw .wrongLength(what: "\(what) (values for its columns)", count: values.count, expected: columns.count)
        }
        try Self.checkFinite(values, what)
        let glpkBound = try bound.glpk(what)
        try checkRoomForRow()
        for column in columns { try checkColumn(column) }
        // GLPK aborts on a repeated column: find repeats by marking columns in the index scratch.
        var duplicate: Int? = nil
        for column in columns {
            if scratchIndices[column + 1] == -1 {
                duplicate = column
                break
            }
            scratchIndices[column + 1] = -1
        }
        for column in columns { scratchIndices[column + 1] = 0 }
        if let duplicate { throw .duplicateIndex(what: what, index: duplicate) }
        var length = 0
        for (column, a) in zip(columns, values) where a != 0 {
            length += 1
            scratchIndices[length] = Int32(column + 1)
            scratchValues[length] = a
        }
        return appendRow(length: length, glpkBound)
    }

    /// Changes the bounds of row `row` (keeping its basis status where GLPK allows).
    public func setRowBound(_ row: Int, _ bound: Bound) throws(LinearProgramError) {
        try checkOwner()
        try checkRow(row)
        let (type, lower, upper) = try bound.glpk("row \(row)")
        glp_set_row_bnds(problem, Int32(row + 1), type, lower, upper)
    }

    /// Removes rows (distinct indices, any order). Later rows move down to close the gaps.
    ///
    /// Removing inactive (basic) rows leaves an optimal basis optimal. Removing an active row
    /// leaves one basic variable too many; the basis is repaired by moving to a bound, for each
    /// removed active row, a basic variable whose removal keeps the basis matrix non-singular
    /// (chosen from the columns of B⁻¹ of the removed rows by Gaussian elimination with partial
    /// pivoting), so the next solve still starts warm. Without a factorisable basis, the next solve
    /// starts from the standard basis.
    public func removeRows(_ rows: [Int]) throws(LinearProgramError) {
        try checkOwner()
        guard !rows.isEmpty else { return }
        for row in rows { try checkRow(row) }
        let sorted = rows.sorted()
        for (a, b) in zip(sorted, sorted.dropFirst()) where a == b {
            throw .duplicateIndex(what: "rows to remove", index: a)
        }

        let active = sorted.filter { glp_get_row_stat(problem, Int32($0 + 1)) != GLP_BS }
        let leaving = active.isEmpty ? [] : basicVariablesToReplace(removedActiveRows: active, removed: Set(sorted))
        let oldRowCount = rowCount
        let numbers = [Int32(0)] + sorted.map { Int32($0 + 1) }
        glp_del_rows(problem, Int32(sorted.count), numbers)
        rowCount -= sorted.count

        guard let leaving else {
            glp_std_basis(problem)
            return
        }
        for variable in leaving {
            if variable < oldRowCount {
                // A kept row: its index shifts down by the number of removed rows before it.
                let shift = sorted.partitioningIndex { $0 >= variable }
                makeRowNonbasic(variable - shift)
            } else {
                makeColumnNonbasic(variable - oldRowCount)
            }
        }
    }

    // MARK: Helpers

    private func checkRoomForRow() throws(LinearProgramError) {
        guard rowCount < Self.sizeLimit else {
            throw .tooLarge(what: "rows", count: rowCount + 1, limit: Self.sizeLimit)
        }
    }

    /// Appends a row whose non-zeros sit in `scratchIndices/Values[1...length]`.
    private func appendRow(length: Int, _ bound: (type: Int32, lower: Double, upper: Double)) -> Int {
        let row = glp_add_rows(problem, 1)
        glp_set_row_bnds(problem, row, bound.type, bound.lower, bound.upper)
        scratchIndices.withUnsafeBufferPointer { indices in
            scratchValues.withUnsafeBufferPointer { values in
                glp_set_mat_row(problem, row, Int32(length), indices.baseAddress, values.baseAddress)
            }
        }
        glp_set_row_stat(problem, row, GLP_BS)  // GLPK's default too; stated because warm starts rely on it
        rowCount += 1
        return rowCount - 1
    }

    static func bound(_ lower: Double?, _ upper: Double?, _ what: @autoclosure () -> String) throws(LinearProgramError)
        -> Bound
    {
        if let bound = Bound(lower: lower, upper: upper) { return bound }
        if let l = lower, l.isNaN || l == .infinity { throw .nonFinite(what: "bound of \(what())", index: 0, value: l) }
        if let u = upper, u.isNaN || u == -.infinity {
            throw .nonFinite(what: "bound of \(what())", index: 1, value: u)
        }
        throw .invertedBounds(what: what(), lower: lower ?? -.infinity, upper: upper ?? .infinity)
    }

    /// For removed active rows R (non-basic), basic variables J (|J| = |R|, 0-based: rows first,
    /// then columns after `rowCount`) such that the basis without rows R and variables J stays
    /// non-singular. By Jacobi's identity that holds iff the block B⁻¹[J, R] is non-singular, so
    /// J is picked by Gaussian elimination with partial pivoting on the columns B⁻¹ e_r. Basic
    /// rows that are removed too are excluded (their unit columns go with them). Nil when the
    /// current basis cannot be factorised.
    private func basicVariablesToReplace(removedActiveRows: [Int], removed: Set<Int>) -> [Int]? {
        let m = rowCount
        if glp_bf_exists(problem) == 0 {
            guard glp_factorize(problem) == 0 else { return nil }
        }
        // heads[k] = 0-based variable at basis position k (1-based, as GLPK numbers them).
        var heads = [Int](repeating: -1, count: m + 1)
        var eligible = [Bool](repeating: false, count: m + 1)
        for k in 1...m {
            let variable = Int(glp_get_bhead(problem, Int32(k))) - 1
            heads[k] = variable
            eligible[k] = !(variable < m && removed.contains(variable))
        }
        var columns: [[Double]] = removedActiveRows.map { row in
            var x = [Double](repeating: 0, count: m + 1)
            x[row + 1] = 1
            glp_ftran(problem, &x)
            return x
        }
        var chosen: [Int] = []
        for c in columns.indices {
            var pivot = 0, largest = 0.0
            for k in 1...m where eligible[k] && abs(columns[c][k]) > largest {
                largest = abs(columns[c][k])
                pivot = k
            }
            let scale = columns[c].reduce(0) { max($0, abs($1)) }
            guard pivot > 0, largest > 1e-11 * scale else { return nil }
            eligible[pivot] = false
            chosen.append(heads[pivot])
            for later in (c + 1)..<columns.count {
                let factor = columns[later][pivot] / columns[c][pivot]
                if factor != 0 {
                    for k in 1...m { columns[later][k] -= factor * columns[c][k] }
                }
            }
        }
        return chosen
    }

    /// Moves a basic row activity to the bound it is nearest to (or 0 if free).
    private func makeRowNonbasic(_ row: Int) {
        let i = Int32(row + 1)
        glp_set_row_stat(
            problem, i,
            nonbasicStatus(
                type: glp_get_row_type(problem, i), lower: glp_get_row_lb(problem, i),
                upper: glp_get_row_ub(problem, i), value: glp_get_row_prim(problem, i)))
    }

    private func makeColumnNonbasic(_ column: Int) {
        let j = Int32(column + 1)
        glp_set_col_stat(
            problem, j,
            nonbasicStatus(
                type: glp_get_col_type(problem, j), lower: glp_get_col_lb(problem, j),
                upper: glp_get_col_ub(problem, j), value: glp_get_col_prim(problem, j)))
    }

    private func nonbasicStatus(type: Int32, lower: Double, upper: Double, value: Double) -> Int32 {
        switch type {
        case GLP_FR: return GLP_NF
        case GLP_LO: return GLP_NL
        case GLP_UP: return GLP_NU
        case GLP_FX: return GLP_NS
        default: return abs(value - lower) <= abs(upper - value) ? GLP_NL : GLP_NU
        }
    }
}

extension Array where Element == Int {
    /// The first index whose element satisfies `belongs`, for a predicate that is false then true
    /// along the (sorted) array.
    fileprivate func partitioningIndex(where belongs: (Int) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
