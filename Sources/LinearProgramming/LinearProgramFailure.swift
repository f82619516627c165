import CGLPK

/// Why a solve produced no verdict (neither optimal, infeasible nor unbounded), with GLPK's return
/// code explained.
public enum LinearProgramFailure: Equatable, Sendable, CustomStringConvertible {
    /// GLP_EITLIM: the iteration limit was reached first.
    case iterationLimit
    /// GLP_EBADB: the starting basis does not have one basic variable per row (and no fallback
    /// to the standard basis was allowed or it failed too).
    case invalidBasis
    /// GLP_ESING: the starting basis matrix is singular.
    case singularBasis
    /// GLP_ECOND: the starting basis matrix is too ill-conditioned to factorise.
    case illConditionedBasis
    /// GLP_EBOUND: a double-bounded variable has lower ≥ upper (validation prevents this).
    case invalidBounds
    /// GLP_EFAIL: numerical breakdown inside the simplex method.
    case solverBreakdown
    /// GLPK returned success but the solution is neither optimal nor proven infeasible or
    /// unbounded; the raw GLPK primal and dual statuses (GLP_UNDEF = 1, GLP_FEAS = 2,
    /// GLP_INFEAS = 3, GLP_NOFEAS = 4).
    case inconclusive(primalStatus: Int32, dualStatus: Int32)
    /// `solveExactly` could not scale the data to integers by powers of two without overflowing
    /// a Double (the data span more than ~2000 binary orders of magnitude).
    case exactScalingOverflow
    /// The program was solved on a thread other than the one that created it.
    case wrongThread
    /// Any other GLPK return code.
    case glpk(code: Int32)

    init(glpkReturnCode code: Int32) {
        switch code {
        case GLP_EITLIM: self = .iterationLimit
        case GLP_EBADB: self = .invalidBasis
        case GLP_ESING: self = .singularBasis
        case GLP_ECOND: self = .illConditionedBasis
        case GLP_EBOUND: self = .invalidBounds
        case GLP_EFAIL: self = .solverBreakdown
        default: self = .glpk(code: code)
        }
    }

    /// The GLPK return code behind this failure, when there is one.
    public var glpkReturnCode: Int32? {
        switch self {
        case .iterationLimit: return GLP_EITLIM
        case .invalidBasis: return GLP_EBADB
        case .singularBasis: return GLP_ESING
        case .illConditionedBasis: return GLP_ECOND
        case .invalidBounds: return GLP_EBOUND
        case .solverBreakdown: return GLP_EFAIL
        case .glpk(let code): return code
        case .inconclusive: return 0
        case .exactScalingOverflow, .wrongThread: return nil
        }
    }

    public var description: String {
        switch self {
        case .iterationLimit: return "GLPK stopped at the iteration limit (GLP_EITLIM)"
        case .invalidBasis: return "GLPK found the starting basis invalid (GLP_EBADB)"
        case .singularBasis: return "GLPK found the starting basis matrix singular (GLP_ESING)"
        case .illConditionedBasis: return "GLPK found the starting basis matrix ill-conditioned (GLP_ECOND)"
        case .invalidBounds: return "GLPK found a double bound with lower ≥ upper (GLP_EBOUND)"
        case .solverBreakdown: return "GLPK's simplex method broke down numerically (GLP_EFAIL)"
        case let .inconclusive(primal, dual):
            return "GLPK finished without a verdict (primal status \(primal), dual status \(dual))"
        case .exactScalingOverflow:
            return "the exact solve could not scale the data to integers without overflow"
        case .wrongThread:
            return "the program was solved on a thread other than the one that created it"
        case .glpk(let code): return "GLPK returned code \(code)"
        }
    }
}
