import CGLPK

extension LinearProgram {
    /// Solves with GLPK's exact simplex (`glp_exact`, rational arithmetic on GMP), exactly for the
    /// Double data as given.
    ///
    /// `glp_exact` alone is not exact for Doubles: it replaces every non-integral value by the
    /// simplest fraction within a relative 1e-9 (0.1 becomes 1/10, and 0.1 + 1e-12 becomes 1/10
    /// too). So the solve runs on a copy whose rows and columns are scaled by powers of two until
    /// every coefficient and bound is an integer, which GLPK converts exactly; scaling by powers
    /// of two changes neither the feasible set nor the optimal basis, and is undone exactly.
    ///
    /// The optimal *basis* is exact (`activeRows()`, `rowStatus`, `columnStatus` report it
    /// afterwards, and the next floating-point solve starts from it). The reported values are the
    /// exact rational solution rounded to Double; re-derive exact values from the basis when a
    /// proof needs them. Starts from the current basis (restarting from the standard basis if it
    /// is invalid or singular) unless `warmStart` is false. Slow on large dense programs: each
    /// pivot costs rational arithmetic on the whole tableau row.
    public func solveExactly(warmStart: Bool = true, iterationLimit: Int? = nil) -> LinearProgramSolution {
        guard isOnOwnerThread else { return .failure(.wrongThread, columns: columnCount, rows: rowCount) }
        GLPKThreadEnvironment.prepareCurrentThread()
        // Without rows GLPK's simplex sets each column to its best bound: no arithmetic, so exact.
        guard rowCount > 0 else {
            return solve(method: .primalSimplex, warmStart: warmStart, iterationLimit: iterationLimit)
        }
        guard let (copy, scaling) = makeIntegerCopy(keepingBasis: warmStart) else {
            return .failure(.exactScalingOverflow, columns: columnCount, rows: rowCount)
        }
        defer { glp_delete_prob(copy) }
        var parameters = glp_smcp()
        glp_init_smcp(&parameters)
        parameters.msg_lev = GLP_MSG_OFF
        if let iterationLimit { parameters.it_lim = Int32(clamping: max(0, iterationLimit)) }

        var startedWarm = warmStart
        var code = glp_exact(copy, &parameters)
        if startedWarm, code == GLP_EBADB || code == GLP_ESING {
            glp_std_basis(copy)
            startedWarm = false
            code = glp_exact(copy, &parameters)
        }
        if code == 0 || code == GLP_EITLIM { copyBasis(from: copy, to: problem) }
        let iterations = Int(glp_get_it_cnt(copy))
        totalIterations += iterations
        return Self.readSolution(
            of: copy, code: code, iterations: iterations, startedWarm: startedWarm, scaling: scaling)
    }

    /// A copy of the program with every coefficient and bound made an integer by powers of two,
    /// or nil if some value would overflow.
    private func makeIntegerCopy(keepingBasis: Bool) -> (OpaquePointer, PowerOfTwoScaling)? {
        let m = rowCount, n = columnCount
        var scaling = PowerOfTwoScaling(columnShifts: [], rowShifts: [], objectiveShift: 0)
        let columnBounds = (1...Int32(n)).map {
            bounds(type: glp_get_col_type(problem, $0), glp_get_col_lb(problem, $0), glp_get_col_ub(problem, $0))
        }
        scaling.columnShifts = columnBounds.map { max(fractionalBits($0.lower), fractionalBits($0.upper)) }
        let objective = (1...Int32(n)).map { glp_get_obj_coef(problem, $0) }
        scaling.objectiveShift = zip(objective, scaling.columnShifts).reduce(0) { max($0, $1.1 + fractionalBits($1.0)) }

        let copy = glp_create_prob()!
        glp_set_obj_dir(copy, direction.glpk)
        glp_add_cols(copy, Int32(n))
        glp_add_rows(copy, Int32(m))
        var fits = true
        func scaled(_ value: Double, _ shift: Int) -> Double {
            guard value != 0 else { return 0 }
            if value.exponent + shift > Double.greatestFiniteMagnitude.exponent { fits = false }
            return Double(sign: .plus, exponent: shift, significand: value)
        }
        for j in 0..<n {
            let s = scaling.columnShifts[j], b = columnBounds[j]
            glp_set_col_bnds(copy, Int32(j + 1), b.type, scaled(b.lower, s), scaled(b.upper, s))
            glp_set_obj_coef(copy, Int32(j + 1), scaled(objective[j], scaling.objectiveShift - s))
        }
        scaling.rowShifts.reserveCapacity(m)
        for i in 1...Int32(m) {
            let length = Int(
                scratchIndices.withUnsafeMutableBufferPointer { indices in
                    scratchValues.withUnsafeMutableBufferPointer { values in
                        glp_get_mat_row(problem, i, indices.baseAddress, values.baseAddress)
                    }
                })
            let b = bounds(type: glp_get_row_type(problem, i), glp_get_row_lb(problem, i), glp_get_row_ub(problem, i))
            // a·2^(r − s_j) is an integer once r ≥ s_j − lowestBit(a).
            var r = max(fractionalBits(b.lower), fractionalBits(b.upper))
            for k in stride(from: 1, through: length, by: 1) {
                r = max(r, scaling.columnShifts[Int(scratchIndices[k]) - 1] + fractionalBits(scratchValues[k]))
            }
            scaling.rowShifts.append(r)
            for k in stride(from: 1, through: length, by: 1) {
                scratchValues[k] = scaled(scratchValues[k], r - scaling.columnShifts[Int(scratchIndices[k]) - 1])
            }
            glp_set_row_bnds(copy, i, b.type, scaled(b.lower, r), scaled(b.upper, r))
            scratchIndices.withUnsafeBufferPointer { indices in
                scratchValues.withUnsafeBufferPointer { values in
                    glp_set_mat_row(copy, i, Int32(length), indices.baseAddress, values.baseAddress)
                }
            }
        }
        guard fits else {
            glp_delete_prob(copy)
            return nil
        }
        if keepingBasis { copyBasis(from: problem, to: copy) }
        return (copy, scaling)
    }

    /// The finite bounds GLPK holds for a variable of `type` (GLPK reports ±DBL_MAX for absent sides).
    private func bounds(type: Int32, _ lower: Double, _ upper: Double) -> (type: Int32, lower: Double, upper: Double) {
        switch type {
        case GLP_LO: return (type, lower, 0)
        case GLP_UP: return (type, 0, upper)
        case GLP_DB, GLP_FX: return (type, lower, upper)
        default: return (type, 0, 0)
        }
    }

    private func copyBasis(from source: OpaquePointer, to target: OpaquePointer) {
        for i in 1...Int32(rowCount) { glp_set_row_stat(target, i, glp_get_row_stat(source, i)) }
        for j in 1...Int32(columnCount) { glp_set_col_stat(target, j, glp_get_col_stat(source, j)) }
    }
}

/// The powers of two that made a program integral: column j was substituted x_j = 2^(−s_j) x'_j,
/// row i multiplied by 2^(r_i), the objective by 2^t. Undoing them is exact (barring underflow).
struct PowerOfTwoScaling {
    var columnShifts: [Int]
    var rowShifts: [Int]
    var objectiveShift: Int

    /// Maps a solution of the scaled program back: x_j = 2^(−s_j) x'_j, a_i·x = 2^(−r_i) (a'_i·x'),
    /// row dual y_i = 2^(r_i − t) y'_i, column dual d_j = 2^(s_j − t) d'_j, objective 2^(−t) z'.
    func unscale(
        primal: inout [Double], columnDuals: inout [Double], activities: inout [Double], rowDuals: inout [Double],
        objective: inout Double
    ) {
        func times2(_ value: Double, _ power: Int) -> Double {
            Double(sign: .plus, exponent: power, significand: value)
        }
        for j in primal.indices {
            primal[j] = times2(primal[j], -columnShifts[j])
            columnDuals[j] = times2(columnDuals[j], columnShifts[j] - objectiveShift)
        }
        for i in activities.indices {
            activities[i] = times2(activities[i], -rowShifts[i])
            rowDuals[i] = times2(rowDuals[i], rowShifts[i] - objectiveShift)
        }
        objective = times2(objective, -objectiveShift)
    }
}

/// How many binary digits `value` has after the point: the least k ≥ 0 with value·2^k an integer.
func fractionalBits(_ value: Double) -> Int {
    guard value != 0, value.isFinite else { return 0 }
    return max(0, Int(value.significandWidth) - Int(value.exponent))
}
