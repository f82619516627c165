import CGLPK

/// A small linear program on GLPK's simplex method, built to be re-solved warm as rows are added
/// (constraint generation): maximise or minimise c·x subject to rows `a·x ≤ upper` (or ≥ lower, or
/// both) and column bounds.
///
/// GLPK aborts the process on invalid arguments, so every argument is validated here first and
/// reported as a `LinearProgramError`. GLPK's terminal output is switched off. Each instance owns
/// its problem object; use one instance per thread (GLPK 5's environment is thread-local).
public final class LinearProgram {
    public enum Direction { case maximize, minimize }

    public enum Bound: Equatable, Sendable {
        case free
        case lower(Double)
        case upper(Double)
        case range(Double, Double)
        case fixed(Double)
    }

    private let problem: OpaquePointer
    public private(set) var columnCount: Int
    public private(set) var rowCount = 0

    public init(columns: Int, direction: Direction) throws {
        guard columns >= 1 else { throw LinearProgramError.invalidArgument("a program needs at least one column") }
        glp_term_out(GLP_OFF)
        problem = glp_create_prob()
        columnCount = columns
        glp_set_obj_dir(problem, direction == .maximize ? GLP_MAX : GLP_MIN)
        glp_add_cols(problem, Int32(columns))
        for j in 1...columns { glp_set_col_bnds(problem, Int32(j), GLP_FR, 0, 0) }
    }

    deinit { glp_delete_prob(problem) }

    public func setObjective(_ coefficients: [Double]) throws {
        guard coefficients.count == columnCount else { throw LinearProgramError.invalidArgument("objective has \(coefficients.count) coefficients for \(columnCount) columns") }
        try checkFinite(coefficients, "objective")
        for (j, c) in coefficients.enumerated() { glp_set_obj_coef(problem, Int32(j + 1), c) }
    }

    public func setColumnBound(_ column: Int, _ bound: Bound) throws {
        guard (0..<columnCount).contains(column) else { throw LinearProgramError.invalidArgument("column \(column) out of range") }
        let (type, lower, upper) = try glpkBound(bound)
        glp_set_col_bnds(problem, Int32(column + 1), type, lower, upper)
    }

    /// Adds a dense row `lower ≤ coefficients · x ≤ upper` (per `bound`) and returns its index.
    /// New rows enter the basis (their slack is basic), which keeps the previous basis valid, so the
    /// next solve starts warm from it.
    @discardableResult
    public func addRow(_ coefficients: [Double], _ bound: Bound) throws -> Int {
        guard coefficients.count == columnCount else { throw LinearProgramError.invalidArgument("row has \(coefficients.count) coefficients for \(columnCount) columns") }
        try checkFinite(coefficients, "row")
        let (type, lower, upper) = try glpkBound(bound)
        let row = glp_add_rows(problem, 1)
        glp_set_row_bnds(problem, row, type, lower, upper)
        var indices: [Int32] = [0]
        var values: [Double] = [0]
        for (j, a) in coefficients.enumerated() where a != 0 {
            indices.append(Int32(j + 1))
            values.append(a)
        }
        glp_set_mat_row(problem, row, Int32(indices.count - 1), indices, values)
        glp_set_row_stat(problem, row, GLP_BS)
        rowCount += 1
        return rowCount - 1
    }

    /// Solves with the simplex method from the current basis (warm after `addRow`).
    public func solve(maxIterations: Int = 1_000_000) -> LinearProgramSolution {
        var parameters = glp_smcp()
        glp_init_smcp(&parameters)
        parameters.msg_lev = GLP_MSG_OFF
        parameters.meth = GLP_DUALP  // dual simplex, falling back to primal: new rows make the old optimum primal-infeasible
        parameters.it_lim = Int32(clamping: maxIterations)
        parameters.presolve = GLP_OFF  // keep the basis between solves
        var code = glp_simplex(problem, &parameters)
        if code == GLP_EFAIL || code == GLP_ESING || code == GLP_ECOND {
            // An ill-conditioned basis: start again from the standard basis.
            glp_std_basis(problem)
            code = glp_simplex(problem, &parameters)
        }
        return solution(code: code)
    }

    /// Solves with GLPK's exact (rational) simplex from the current basis. Results are still
    /// reported as Doubles; callers that need exact values re-derive them from the basis.
    public func solveExactly() -> LinearProgramSolution {
        var parameters = glp_smcp()
        glp_init_smcp(&parameters)
        parameters.msg_lev = GLP_MSG_OFF
        return solution(code: glp_exact(problem, &parameters))
    }

    /// Rows that are active in the current basis (their slack is non-basic: the constraint holds with
    /// equality). After an exact solve these carry the optimal dual solution.
    public func activeRows() -> [Int] {
        guard rowCount > 0 else { return [] }
        return (1...rowCount).filter { glp_get_row_stat(problem, Int32($0)) != GLP_BS }.map { $0 - 1 }
    }

    private func solution(code: Int32) -> LinearProgramSolution {
        let status: LinearProgramSolution.Status
        if code != 0 {
            status = .failed(code: Int(code))
        } else {
            switch glp_get_status(problem) {
            case GLP_OPT: status = .optimal
            case GLP_NOFEAS: status = .infeasible
            case GLP_UNBND: status = .unbounded
            default:
                // Dual simplex reports primal infeasibility via the dual status.
                status = glp_get_dual_stat(problem) == GLP_NOFEAS ? .infeasible : .failed(code: Int(glp_get_status(problem)))
            }
        }
        let primal = (1...columnCount).map { glp_get_col_prim(problem, Int32($0)) }
        let duals = rowCount == 0 ? [] : (1...rowCount).map { glp_get_row_dual(problem, Int32($0)) }
        return LinearProgramSolution(status: status, objective: glp_get_obj_val(problem), primal: primal,
                                     rowDuals: duals, iterations: Int(glp_get_it_cnt(problem)))
    }

    private func glpkBound(_ bound: Bound) throws -> (Int32, Double, Double) {
        switch bound {
        case .free: return (GLP_FR, 0, 0)
        case .lower(let l): try checkFinite([l], "bound"); return (GLP_LO, l, 0)
        case .upper(let u): try checkFinite([u], "bound"); return (GLP_UP, 0, u)
        case .fixed(let v): try checkFinite([v], "bound"); return (GLP_FX, v, v)
        case .range(let l, let u):
            try checkFinite([l, u], "bound")
            guard l <= u else { throw LinearProgramError.invalidArgument("bound lower \(l) > upper \(u)") }
            return l == u ? (GLP_FX, l, u) : (GLP_DB, l, u)
        }
    }

    private func checkFinite(_ values: [Double], _ what: String) throws {
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw LinearProgramError.invalidArgument("\(what) coefficient \(bad) is not finite (\(values[bad]))")
        }
    }
}

/// The outcome of a solve. For a maximisation with rows `a_i·x ≤ u_i`, the row duals are ≥ 0 at an
/// optimum (shadow prices: the objective's rate of change per unit increase of u_i), and satisfy
/// c = Σ_i dual_i a_i on the basic columns — the multipliers of LP duality.
public struct LinearProgramSolution: Sendable {
    public enum Status: Equatable, Sendable {
        case optimal, infeasible, unbounded
        case failed(code: Int)
    }

    public let status: Status
    public let objective: Double
    public let primal: [Double]
    public let rowDuals: [Double]
    /// Simplex iterations spent so far on this problem (cumulative across warm solves).
    public let iterations: Int
}

public enum LinearProgramError: Error, CustomStringConvertible, Equatable {
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .invalidArgument(let why): return "invalid linear program: \(why)"
        }
    }
}
