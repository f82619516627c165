/// What the detectors concluded about each class, with the evidence.
public enum Verdict: String, Sendable, Equatable {
    case argmaxable, unargmaxable, undecided
}

/// A certified bracket lower ≤ m_c ≤ upper on the class's best achievable logit margin
/// m_c = max_{x∈X} min_{i≠c} (y_c − y_i). ±infinity when a side is not known.
public struct MarginBracket: Sendable, Equatable {
    /// A certified lower bound on the margin (−infinity when unknown).
    public var lower: Double
    /// A certified upper bound on the margin (+infinity when unknown).
    public var upper: Double

    /// Nothing known: (−infinity, +infinity).
    public static let unknown = MarginBracket(lower: -.infinity, upper: .infinity)

    /// Argmaxable when the lower bound is positive, unargmaxable when the upper bound is ≤ 0, else
    /// undecided.
    public var verdict: Verdict {
        if lower > 0 { return .argmaxable }
        if upper <= 0 { return .unargmaxable }
        return .undecided
    }
}

/// The evidence behind a verdict, re-checkable without trusting the detector.
public enum Certificate: Sendable, Equatable {
    /// An input in the domain where the class is the strict argmax.
    case witness([Double])
    /// λ ≥ 0 with Σλ = 1 over other classes: the margin is at most
    /// Σλ_i (b_c − b_i) + R ‖Σλ_i (w_c − w_i)‖₁ (box),
    /// or Σλ_i (b_c − b_i) when Σλ_i (w_c − w_i) = 0.
    /// `exact` holds the weights as exact rationals ("p/q") when they were derived exactly.
    case multipliers(indices: [Int], weights: [Double], exact: [String]?)
}

/// Which stage decided a class.
public enum DecidingStage: String, Sendable {
    case approximate, exact, none
}

/// What the detectors found about one class.
public struct ClassResult: Sendable, Equatable {
    /// The class's row in W.
    public let index: Int
    /// The certified bracket on the class's best achievable margin.
    public var margin: MarginBracket
    /// Braid-reflect steps spent on the class (0 if the approximate stage did not run).
    public var steps: Int
    /// The evidence for the verdict (nil while undecided).
    public var certificate: Certificate?
    /// The stage that decided the class.
    public var stage: DecidingStage

    /// The verdict its margin bracket implies.
    public var verdict: Verdict { margin.verdict }
}

/// The outcome of a detector run over a layer: one result per decided class.
public struct ArgmaxabilityReport: Sendable {
    /// Classes of the layer (all of them competed).
    public let classes: Int
    /// The input dimension d.
    public let dimension: Int
    /// Whether the layer has a bias.
    public let hasBias: Bool
    /// The inputs the verdicts are about.
    public let domain: InputDomain
    /// One result per decided class, in ascending class order (all classes unless a subset was asked for).
    public let results: [ClassResult]
    /// Wall-clock seconds the run took.
    public let seconds: Double
    /// Seconds of exact-stage work (its programs and certification) for each class it decided or
    /// tried, in no particular order: the distribution behind a run's time (its tail, not its mean,
    /// is what a few hard classes cost). Empty for reports assembled from elsewhere.
    public var exactStageSeconds: [Double] = []

    /// The indices of the decided classes with this verdict, ascending.
    public func indices(_ verdict: Verdict) -> [Int] { results.filter { $0.verdict == verdict }.map(\.index) }
    /// How many decided classes have this verdict.
    public func count(_ verdict: Verdict) -> Int { results.reduce(0) { $0 + ($1.verdict == verdict ? 1 : 0) } }
}
