import CGLPK

/// A linear program on GLPK, built for constraint generation: maximise or minimise c·x subject to
/// rows `lower ≤ a·x ≤ upper` (either side optional) and column bounds, with rows added and
/// removed between warm re-solves, plus an exact rational solve for hard cases.
///
/// - **Validation.** GLPK aborts the process on invalid arguments (bad indices, duplicate indices,
///   NaN, …). Every argument is checked here first and refused with a `LinearProgramError`;
///   nothing reaches GLPK that could make it abort. GLPK prints nothing (terminal output off).
/// - **Threads.** GLPK 5.0 as built by Debian keeps its environment — including the list of every
///   memory block it allocated — per thread (`_Thread_local`). Independent programs can therefore
///   be solved on different threads at the same time, but each program must be created, used and
///   released on **one** thread: a block freed from another thread's environment makes GLPK abort.
///   So a program is not `Sendable`; calls from another thread throw `.wrongThread` (or return a
///   `.failed(.wrongThread)` solution), and a program released on another thread is deliberately
///   leaked instead of crashing. Use it in synchronous code, not across `await`.
/// - **Indices** are 0-based. Removing rows shifts later rows down, like `Array.remove`.
public final class LinearProgram {
    /// Whether the objective is maximised or minimised.
    public enum Direction: Sendable {
        case maximize, minimize
    }

    /// The most rows or columns GLPK accepts.
    public static let sizeLimit = 100_000_000

    let problem: OpaquePointer
    let owner: ThreadIdentity
    /// The number of columns (variables), fixed at creation.
    public let columnCount: Int
    /// The number of rows (constraints) currently in the program.
    public internal(set) var rowCount = 0
    /// The current direction of optimisation.
    public private(set) var direction: Direction
    /// Simplex iterations over the lifetime of this program.
    public internal(set) var totalIterations = 0

    /// 1-based scratch arrays for passing rows to GLPK (index 0 unused, as GLPK expects).
    var scratchIndices: [Int32]
    var scratchValues: [Double]

    /// Creates a program with `columns` free columns, objective 0 and no rows.
    public init(columns: Int, direction: Direction) throws(LinearProgramError) {
        guard columns >= 1 else { throw .noColumns }
        guard columns <= Self.sizeLimit else { throw .tooLarge(what: "columns", count: columns, limit: Self.sizeLimit) }
        GLPKThreadEnvironment.prepareCurrentThread()
        owner = .current
        problem = glp_create_prob()
        columnCount = columns
        self.direction = direction
        scratchIndices = Array(repeating: 0, count: columns + 1)
        scratchValues = Array(repeating: 0, count: columns + 1)
        GLPKThreadEnvironment.registerProblem(on: owner)
        glp_set_obj_dir(problem, direction.glpk)
        glp_add_cols(problem, Int32(columns))
        for j in 1...Int32(columns) { glp_set_col_bnds(problem, j, GLP_FR, 0, 0) }
    }

    deinit {
        // Freeing from another thread would corrupt GLPK's per-thread allocator and abort; leak instead.
        if ThreadIdentity.current == owner { glp_delete_prob(problem) }
        GLPKThreadEnvironment.unregisterProblem(on: owner)
    }

    /// Whether this GLPK keeps its environment per thread, so that independent programs may be
    /// solved concurrently on different threads (true for Debian's GLPK 5.0).
    public static var supportsConcurrentPrograms: Bool { GLPKThreadEnvironment.isThreadLocal }

    /// Frees the calling thread's GLPK environment (about 5 KB that GLPK otherwise keeps until
    /// the process ends, even after the thread exits). Does nothing and returns false while a
    /// program created on this thread is alive. Only for long-lived processes that churn threads;
    /// do not call it while other code on this thread holds GLPK objects of its own.
    @discardableResult
    public static func releaseThreadEnvironment() -> Bool { GLPKThreadEnvironment.releaseCurrentThread() }

    var isOnOwnerThread: Bool { ThreadIdentity.current == owner }

    func checkOwner() throws(LinearProgramError) {
        guard isOnOwnerThread else { throw .wrongThread }
    }

    // MARK: Objective and columns

    /// Sets whether the objective is maximised or minimised.
    public func setDirection(_ direction: Direction) throws(LinearProgramError) {
        try checkOwner()
        self.direction = direction
        glp_set_obj_dir(problem, direction.glpk)
    }

    /// Sets every objective coefficient (one per column).
    public func setObjective(_ coefficients: [Double]) throws(LinearProgramError) {
        try checkOwner()
        guard coefficients.count == columnCount else {
            throw .wrongLength(what: "objective", count: coefficients.count, expected: columnCount)
        }
        try Self.checkFinite(coefficients, "objective")
        for (j, c) in coefficients.enumerated() { glp_set_obj_coef(problem, Int32(j + 1), c) }
    }

    /// Sets the objective coefficient of `column` to `value`.
    public func setObjectiveCoefficient(_ column: Int, _ value: Double) throws(LinearProgramError) {
        try checkOwner()
        try checkColumn(column)
        guard value.isFinite else { throw .nonFinite(what: "objective", index: column, value: value) }
        glp_set_obj_coef(problem, Int32(column + 1), value)
    }

    /// Sets the bound of `column` (columns start free).
    public func setColumnBound(_ column: Int, _ bound: Bound) throws(LinearProgramError) {
        try checkOwner()
        try checkColumn(column)
        let (type, lower, upper) = try bound.glpk("column \(column)")
        glp_set_col_bnds(problem, Int32(column + 1), type, lower, upper)
    }

    // MARK: Basis

    /// Where row `row`'s activity sits in the current basis (after a solve: the optimal basis).
    public func rowStatus(_ row: Int) throws(LinearProgramError) -> VariableStatus {
        try checkOwner()
        try checkRow(row)
        return VariableStatus(glpk: glp_get_row_stat(problem, Int32(row + 1)))
    }

    /// Where column `column` sits in the current basis.
    public func columnStatus(_ column: Int) throws(LinearProgramError) -> VariableStatus {
        try checkOwner()
        try checkColumn(column)
        return VariableStatus(glpk: glp_get_col_stat(problem, Int32(column + 1)))
    }

    /// Rows whose activity is non-basic, i.e. held at a bound: the active constraints of the
    /// current basis. After an exact solve these are exactly the rows that can carry non-zero
    /// duals. Empty on the wrong thread.
    public func activeRows() -> [Int] {
        guard isOnOwnerThread, rowCount > 0 else { return [] }
        return (0..<rowCount).filter { glp_get_row_stat(problem, Int32($0 + 1)) != GLP_BS }
    }

    // MARK: Validation

    func checkColumn(_ column: Int) throws(LinearProgramError) {
        guard (0..<columnCount).contains(column) else { throw .columnOutOfRange(column, columnCount: columnCount) }
    }

    func checkRow(_ row: Int) throws(LinearProgramError) {
        guard (0..<rowCount).contains(row) else { throw .rowOutOfRange(row, rowCount: rowCount) }
    }

    static func checkFinite(_ values: [Double], _ what: @autoclosure () -> String) throws(LinearProgramError) {
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite(what: what(), index: bad, value: values[bad])
        }
    }
}

/// A program holds a GLPK problem that lives in one thread's environment.
@available(*, unavailable, message: "a LinearProgram must stay on the thread that created it")
extension LinearProgram: Sendable {}

extension LinearProgram.Direction {
    var glpk: Int32 { self == .maximize ? GLP_MAX : GLP_MIN }
}
