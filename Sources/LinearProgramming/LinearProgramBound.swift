import CGLPK

extension LinearProgram {
    /// The bounds of a row activity `a·x` or of a column `x_j`.
    public enum Bound: Equatable, Sendable {
        /// −∞ < value < +∞.
        case free
        /// lower ≤ value.
        case lower(Double)
        /// value ≤ upper.
        case upper(Double)
        /// lower ≤ value ≤ upper (a double bound; lower == upper is the same as `fixed`).
        case range(Double, Double)
        /// value == v.
        case fixed(Double)

        /// The bound from optional sides; an infinite side counts as absent (−∞ lower, +∞ upper).
        /// Nil for NaN, a lower side of +∞, an upper side of −∞, or lower > upper.
        public init?(lower: Double?, upper: Double?) {
            let l = lower.flatMap { $0 == -.infinity ? nil : $0 }
            let u = upper.flatMap { $0 == .infinity ? nil : $0 }
            switch (l, u) {
            case (nil, nil): self = .free
            case let (l?, nil):
                guard l.isFinite else { return nil }
                self = .lower(l)
            case let (nil, u?):
                guard u.isFinite else { return nil }
                self = .upper(u)
            case let (l?, u?):
                guard l.isFinite, u.isFinite, l <= u else { return nil }
                self = l == u ? .fixed(l) : .range(l, u)
            }
        }

        /// GLPK's type and bounds, after checking that they are finite and ordered.
        func glpk(_ what: @autoclosure () -> String) throws(LinearProgramError) -> (
            type: Int32, lower: Double, upper: Double
        ) {
            func finite(_ value: Double, _ side: Int) throws(LinearProgramError) {
                guard value.isFinite else { throw .nonFinite(what: "bound of \(what())", index: side, value: value) }
            }
            switch self {
            case .free:
                return (GLP_FR, 0, 0)
            case .lower(let l):
                try finite(l, 0)
                return (GLP_LO, l, 0)
            case .upper(let u):
                try finite(u, 1)
                return (GLP_UP, 0, u)
            case .fixed(let v):
                try finite(v, 0)
                return (GLP_FX, v, v)
            case let .range(l, u):
                try finite(l, 0)
                try finite(u, 1)
                guard l <= u else { throw .invertedBounds(what: what(), lower: l, upper: u) }
                // GLPK rejects a double bound with lower == upper (GLP_EBOUND): that is a fixed value.
                return l == u ? (GLP_FX, l, u) : (GLP_DB, l, u)
            }
        }
    }

    /// Where a row's auxiliary variable (its activity) or a column sits in the simplex basis.
    public enum VariableStatus: Equatable, Sendable {
        /// In the basis: strictly between its bounds, or degenerate; dual value 0.
        case basic
        /// Non-basic at its lower bound (an active `≥` row).
        case atLowerBound
        /// Non-basic at its upper bound (an active `≤` row).
        case atUpperBound
        /// Non-basic free variable, held at 0.
        case freeNonbasic
        /// Non-basic fixed variable (an equality row).
        case fixed

        init(glpk status: Int32) {
            switch status {
            case GLP_BS: self = .basic
            case GLP_NL: self = .atLowerBound
            case GLP_NU: self = .atUpperBound
            case GLP_NF: self = .freeNonbasic
            default: self = .fixed
            }
        }
    }
}
