import CGLPK

extension LinearProgram {
    /// Which simplex method `solve` runs.
    public enum SimplexMethod: Sendable {
        /// GLPK's primal simplex (two phases).
        case primalSimplex
        /// GLPK's dual simplex, falling back to the primal simplex if it breaks down (GLP_DUALP).
        /// The method of choice after adding rows: the previous optimum stays dual feasible.
        case dualSimplex
    }

    /// Solves with the simplex method in floating point (GLPK's default tolerances, no presolve,
    /// so the basis carries over between solves).
    ///
    /// - Parameters:
    ///   - method: the simplex variant; the dual simplex suits re-solves after adding rows.
    ///   - warmStart: start from the current basis (the previous optimum, plus the basic
    ///     activities of rows added since). If that basis is invalid or numerically singular, the
    ///     solve restarts from the standard basis (all row activities basic) and reports
    ///     `startedWarm == false`. With `false`, starts from the standard basis.
    ///   - iterationLimit: per GLPK call; nil for none.
    /// If the dual simplex ends without a verdict (it proves dual infeasibility but cannot tell
    /// unbounded from infeasible), the primal simplex continues from its basis.
    public func solve(method: SimplexMethod = .dualSimplex, warmStart: Bool = true, iterationLimit: Int? = nil)
        -> LinearProgramSolution
    {
        guard isOnOwnerThread else { return .failure(.wrongThread, columns: columnCount, rows: rowCount) }
        GLPKThreadEnvironment.prepareCurrentThread()
        var parameters = glp_smcp()
        glp_init_smcp(&parameters)
        parameters.msg_lev = GLP_MSG_OFF
        parameters.presolve = GLP_OFF
        parameters.meth = method == .primalSimplex ? GLP_PRIMAL : GLP_DUALP
        if let iterationLimit { parameters.it_lim = Int32(clamping: max(0, iterationLimit)) }

        let before = Int(glp_get_it_cnt(problem))
        var startedWarm = warmStart
        if !warmStart { glp_std_basis(problem) }
        var code = glp_simplex(problem, &parameters)
        if startedWarm, [GLP_EBADB, GLP_ESING, GLP_ECOND, GLP_EFAIL].contains(code) {
            glp_std_basis(problem)
            startedWarm = false
            code = glp_simplex(problem, &parameters)
        }
        if code == 0, method == .dualSimplex, !Self.isDecisive(glp_get_status(problem)) {
            parameters.meth = GLP_PRIMAL
            code = glp_simplex(problem, &parameters)
        }
        let iterations = Int(glp_get_it_cnt(problem)) - before
        totalIterations += iterations
        return Self.readSolution(of: problem, code: code, iterations: iterations, startedWarm: startedWarm)
    }

    static func isDecisive(_ status: Int32) -> Bool {
        status == GLP_OPT || status == GLP_NOFEAS || status == GLP_UNBND
    }

    /// GLPK's basic solution of `problem` after a solver call that returned `code`, optionally
    /// mapped back from a power-of-two scaled copy.
    static func readSolution(
        of problem: OpaquePointer, code: Int32, iterations: Int, startedWarm: Bool,
        scaling: PowerOfTwoScaling? = nil
    ) -> LinearProgramSolution {
        let status: LinearProgramSolution.Status
        if code != 0 {
            status = .failed(LinearProgramFailure(glpkReturnCode: code))
        } else {
            switch glp_get_status(problem) {
            case GLP_OPT: status = .optimal
            case GLP_NOFEAS: status = .infeasible
            case GLP_UNBND: status = .unbounded
            default:
                status = .failed(
                    .inconclusive(primalStatus: glp_get_prim_stat(problem), dualStatus: glp_get_dual_stat(problem)))
            }
        }
        let m = Int(glp_get_num_rows(problem)), n = Int(glp_get_num_cols(problem))
        var primal = (0..<n).map { glp_get_col_prim(problem, Int32($0 + 1)) }
        var columnDuals = (0..<n).map { glp_get_col_dual(problem, Int32($0 + 1)) }
        var activities = (0..<m).map { glp_get_row_prim(problem, Int32($0 + 1)) }
        var rowDuals = (0..<m).map { glp_get_row_dual(problem, Int32($0 + 1)) }
        var objective = glp_get_obj_val(problem)
        if let scaling {
            scaling.unscale(
                primal: &primal, columnDuals: &columnDuals, activities: &activities, rowDuals: &rowDuals,
                objective: &objective)
        }
        return LinearProgramSolution(
            status: status, objective: objective, primal: primal, rowActivities: activities,
            rowDuals: rowDuals, columnDuals: columnDuals, iterations: iterations, startedWarm: startedWarm)
    }
}
