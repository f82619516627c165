import CGLPK

/// A small mixed-integer linear program on GLPK's branch-and-cut (`glp_intopt`): columns with
/// bounds, some of them integer (or binary), dense rows, one solve. Same rules as `LinearProgram`:
/// every argument is validated before it reaches GLPK, GLPK prints nothing, and a program lives on
/// the thread that created it.
///
/// The answer is floating point with GLPK's tolerances (integrality 1e-5, feasibility 1e-7): callers
/// that need proof must check the solution themselves (e.g. evaluate a witness exactly).
public final class MixedIntegerProgram {
    /// Whether a column is continuous, integer or binary.
    public enum ColumnKind: Sendable, Equatable {
        case continuous, integer, binary
    }

    /// How a solve ended.
    public enum Status: Equatable, Sendable {
        /// An optimal integer solution (within GLPK's tolerances and gap limit).
        case optimal
        /// An integer solution that is not proven optimal (a limit stopped the search).
        case feasible
        /// No integer solution exists (or GLPK proved the relaxation infeasible).
        case infeasible
        /// No verdict; GLPK's return code.
        case failed(code: Int32)
    }

    /// The outcome of `solve`.
    public struct Solution: Sendable {
        /// How the solve ended.
        public let status: Status
        /// The objective at `values` (meaningful when optimal or feasible).
        public let objective: Double
        /// One value per column.
        public let values: [Double]
    }

    let problem: OpaquePointer
    let owner: ThreadIdentity
    /// Number of columns (variables).
    public let columnCount: Int
    /// Number of rows (constraints) added so far.
    public private(set) var rowCount = 0

    /// A program with `columns` free continuous columns, objective 0 and no rows.
    public init(columns: Int, direction: LinearProgram.Direction) throws(LinearProgramError) {
        guard columns >= 1 else { throw .noColumns }
        guard columns <= LinearProgram.sizeLimit else {
            throw .tooLarge(what: "columns", count: columns, limit: LinearProgram.sizeLimit)
        }
        GLPKThreadEnvironment.prepareCurrentThread()
        owner = .current
        problem = glp_create_prob()
        columnCount = columns
        GLPKThreadEnvironment.registerProblem(on: owner)
        glp_set_obj_dir(problem, direction.glpk)
        glp_add_cols(problem, Int32(columns))
        for j in 1...Int32(columns) { glp_set_col_bnds(problem, j, GLP_FR, 0, 0) }
    }

    deinit {
        if ThreadIdentity.current == owner { glp_delete_prob(problem) }
        GLPKThreadEnvironment.unregisterProblem(on: owner)
    }

    private func checkOwner() throws(LinearProgramError) {
        guard ThreadIdentity.current == owner else { throw .wrongThread }
    }

    private func checkColumn(_ column: Int) throws(LinearProgramError) {
        guard (0..<columnCount).contains(column) else { throw .columnOutOfRange(column, columnCount: columnCount) }
    }

    /// Sets every objective coefficient (one per column).
    public func setObjective(_ coefficients: [Double]) throws(LinearProgramError) {
        try checkOwner()
        guard coefficients.count == columnCount else {
            throw .wrongLength(what: "objective", count: coefficients.count, expected: columnCount)
        }
        try LinearProgram.checkFinite(coefficients, "objective")
        for (j, c) in coefficients.enumerated() { glp_set_obj_coef(problem, Int32(j + 1), c) }
    }

    /// Sets a column's kind; `binary` also sets its bounds to [0, 1].
    public func setColumnKind(_ column: Int, _ kind: ColumnKind) throws(LinearProgramError) {
        try checkOwner()
        try checkColumn(column)
        switch kind {
        case .continuous: glp_set_col_kind(problem, Int32(column + 1), GLP_CV)
        case .integer: glp_set_col_kind(problem, Int32(column + 1), GLP_IV)
        case .binary: glp_set_col_kind(problem, Int32(column + 1), GLP_BV)
        }
    }

    /// Bounds column `column`.
    public func setColumnBound(_ column: Int, _ bound: LinearProgram.Bound) throws(LinearProgramError) {
        try checkOwner()
        try checkColumn(column)
        let (type, lower, upper) = try bound.glpk("column \(column)")
        glp_set_col_bnds(problem, Int32(column + 1), type, lower, upper)
    }

    /// Adds the dense row `bound(coefficients · x)` and returns its index.
    @discardableResult
    public func addRow(_ coefficients: [Double], _ bound: LinearProgram.Bound) throws(LinearProgramError) -> Int {
        try checkOwner()
        guard coefficients.count == columnCount else {
            throw .wrongLength(what: "row \(rowCount)", count: coefficients.count, expected: columnCount)
        }
        try LinearProgram.checkFinite(coefficients, "row \(rowCount)")
        let (type, lower, upper) = try bound.glpk("row \(rowCount)")
        guard rowCount < LinearProgram.sizeLimit else {
            throw .tooLarge(what: "rows", count: rowCount + 1, limit: LinearProgram.sizeLimit)
        }
        var indices: [Int32] = [0]
        var values: [Double] = [0]
        for (j, a) in coefficients.enumerated() where a != 0 {
            indices.append(Int32(j + 1))
            values.append(a)
        }
        let row = glp_add_rows(problem, 1)
        glp_set_row_bnds(problem, row, type, lower, upper)
        glp_set_mat_row(problem, row, Int32(indices.count - 1), indices, values)
        rowCount += 1
        return rowCount - 1
    }

    /// Solves with GLPK's presolver and branch-and-cut. `timeLimitMilliseconds` bounds the search
    /// (then the status is `feasible` if an integer solution was found).
    public func solve(timeLimitMilliseconds: Int? = nil) -> Solution {
        guard ThreadIdentity.current == owner else {
            return Solution(status: .failed(code: -1), objective: .nan, values: [])
        }
        GLPKThreadEnvironment.prepareCurrentThread()
        var parameters = glp_iocp()
        glp_init_iocp(&parameters)
        parameters.msg_lev = GLP_MSG_OFF
        parameters.presolve = GLP_ON
        if let timeLimitMilliseconds { parameters.tm_lim = Int32(clamping: max(1, timeLimitMilliseconds)) }
        let code = glp_intopt(problem, &parameters)
        let values = (0..<columnCount).map { glp_mip_col_val(problem, Int32($0 + 1)) }
        let objective = glp_mip_obj_val(problem)
        let mipStatus = glp_mip_status(problem)
        let status: Status
        switch (code, mipStatus) {
        case (_, GLP_OPT) where code == 0: status = .optimal
        case (_, GLP_FEAS): status = .feasible
        case (_, GLP_NOFEAS): status = .infeasible
        case (GLP_ENOPFS, _): status = .infeasible
        default: status = .failed(code: code)
        }
        return Solution(status: status, objective: objective, values: values)
    }
}

@available(*, unavailable, message: "a MixedIntegerProgram must stay on the thread that created it")
extension MixedIntegerProgram: Sendable {}
