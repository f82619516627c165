/// The outcome of one solve: a verdict and GLPK's basic solution.
///
/// ## Sign conventions of the duals
/// Both duals are GLPK's, read with `glp_get_row_dual` / `glp_get_col_dual`. Each is the rate of
/// change of the optimal objective per unit increase of the bound that is active:
/// `rowDuals[i] = ∂z*/∂(active bound of row i)`, `columnDuals[j] = ∂z*/∂(active bound of x_j)`.
/// A basic (inactive) row or column has dual 0. For a **maximisation** at an optimum therefore
///
/// | row i / column j is…            | dual  |
/// |---------------------------------|-------|
/// | at its upper bound (`a·x ≤ u`)  | ≥ 0   |
/// | at its lower bound (`a·x ≥ l`)  | ≤ 0   |
/// | fixed (equality)                | any   |
/// | basic / inactive                | 0     |
///
/// (for a minimisation the two signs swap), and in both directions, exactly as computed by GLPK,
///
///     columnDuals[j] = c_j − Σ_i rowDuals[i] · a_ij        (reduced cost)
///     objective      = Σ_i rowDuals[i] · (active bound of row i) + Σ_j columnDuals[j] · (active bound of x_j)
///
/// The signs hold up to GLPK's dual feasibility tolerance (1e-7, relative): an active row's dual
/// can come out a hair on the wrong side of zero.
///
/// **Margin program** (maximise t s.t. `(w_i − w_c)·x + t ≤ b_c − b_i`, `−R ≤ x_j ≤ R`, t free or
/// capped above): λ_i = rowDuals[i] ≥ 0, and the column of t gives `Σ_i λ_i = 1 − columnDuals[t]`,
/// which is exactly 1 while t is below its cap (t basic). The x-columns give
/// `columnDuals[j] = Σ_i λ_i (w_c − w_i)_j`, so the objective reads
/// `Σ_i λ_i (b_c − b_i) + R ‖Σ_i λ_i (w_c − w_i)‖₁` — the certificate bound of the design note.
/// Clamp tiny negative λ_i to 0 and renormalise before checking a certificate exactly.
public struct LinearProgramSolution: Sendable {
    /// The verdict of a solve.
    public enum Status: Equatable, Sendable {
        /// An optimal basic solution was found.
        case optimal
        /// No point satisfies the rows and column bounds (primal infeasible).
        case infeasible
        /// The objective is unbounded in the direction of optimisation.
        case unbounded
        /// No verdict; the failure says why.
        case failed(LinearProgramFailure)
    }

    /// The verdict of the solve.
    public let status: Status
    /// c·x at the reported basic solution (meaningful when optimal).
    public let objective: Double
    /// The column values x_j (GLPK's `glp_get_col_prim`).
    public let primal: [Double]
    /// The row activities a_i·x (GLPK's `glp_get_row_prim`).
    public let rowActivities: [Double]
    /// The row duals (Lagrange multipliers); signs as described above.
    public let rowDuals: [Double]
    /// The column duals (reduced costs); signs as described above.
    public let columnDuals: [Double]
    /// Simplex iterations spent by this solve (all GLPK calls it made).
    public let iterations: Int
    /// Whether the solve started from the previous basis. False when `warmStart` was off, or when
    /// the previous basis was invalid or singular and the solve restarted from the standard basis.
    public let startedWarm: Bool

    /// Whether the solve found an optimal basic solution.
    public var isOptimal: Bool { status == .optimal }

    static func failure(_ failure: LinearProgramFailure, columns: Int, rows: Int) -> LinearProgramSolution {
        LinearProgramSolution(
            status: .failed(failure), objective: .nan,
            primal: Array(repeating: .nan, count: columns), rowActivities: Array(repeating: .nan, count: rows),
            rowDuals: Array(repeating: .nan, count: rows), columnDuals: Array(repeating: .nan, count: columns),
            iterations: 0, startedWarm: false)
    }
}
