import ExactArithmetic
import Unargmaxable

/// Proof that no input of the domain makes every label of `positive` positive while every label of
/// `negative` is ≤ 0: multipliers λ ≥ 0 on P ⊆ positive and μ ≥ 0 on N ⊆ negative with
///
///     max_{x∈X} Σλ_i y_i(x) − Σμ_j y_j(x)  ≤ 0  (Σλ > 0)     or  < 0  (λ = 0, Σμ > 0).
///
/// A feasible x would make the left side positive (first case) or non-negative (second).
public struct FarkasCertificate: Sendable, Equatable {
    /// Labels P that must be positive.
    public let positive: [Int]
    /// λ on P.
    public let positiveWeights: [Rational]
    /// Labels N that must be ≤ 0.
    public let negative: [Int]
    /// μ on N.
    public let negativeWeights: [Rational]

    /// A certificate with these multipliers.
    public init(positive: [Int], positiveWeights: [Rational], negative: [Int], negativeWeights: [Rational]) {
        self.positive = positive
        self.positiveWeights = positiveWeights
        self.negative = negative
        self.negativeWeights = negativeWeights
    }
}

/// The answer for one sign condition (a label set, or a partial pattern while enumerating).
public enum LabelSetVerdict: Sendable, Equatable {
    /// An input where the condition holds exactly.
    case feasible(witness: [Double])
    case infeasible(FarkasCertificate)
    /// The solver could not produce a certificate that checks exactly.
    case undecided
}

/// The decision for one label set.
public struct LabelSetResult: Sendable, Equatable {
    /// The labels that must be positive (all others ≤ 0).
    public let labels: [Int]
    /// Feasible with a witness, or infeasible with a Farkas certificate.
    public let verdict: LabelSetVerdict
    /// When the certificate was found for a smaller set and applies here too (its positive labels lie
    /// in this set and its negative labels outside it): that set's labels.
    public let certificateFrom: [Int]?

    /// A decision for `labels`.
    public init(labels: [Int], verdict: LabelSetVerdict, certificateFrom: [Int]? = nil) {
        self.labels = labels
        self.verdict = verdict
        self.certificateFrom = certificateFrom
    }
}

/// Exact checks of sigmoid-layer certificates (rational arithmetic; no solver trusted).
public enum SigmoidVerifier {
    static func rational(_ x: Float) -> Rational { Rational(exactly: x)! }

    /// y_i(x) exactly.
    static func logit(_ layer: SoftmaxLayer, _ i: Int, _ xs: [Rational], _ x: [Double]) -> Rational {
        let d = layer.dimension
        var y = layer.bias.map { rational($0[i]) } ?? 0
        layer.weights.withUnsafeBufferPointer { w in
            for j in 0..<d where w[i * d + j] != 0 && x[j] != 0 { y = y + rational(w[i * d + j]) * xs[j] }
        }
        return y
    }

    /// nil if at `witness` every label of `positive` is > 0 and every label of `negative` ≤ 0, exactly.
    public static func check(
        witness x: [Double], layer: SoftmaxLayer, positive: [Int], negative: [Int], domain: InputDomain
    ) -> String? {
        guard x.count == layer.dimension, domain.containsFinitePoint(x) else {
            return "the witness is not a finite point of the input domain"
        }
        let xs = x.map { Rational(exactly: $0)! }
        for i in positive where logit(layer, i, xs, x).signum <= 0 {
            return "label \(i) is not positive at the witness"
        }
        for j in negative where logit(layer, j, xs, x).signum > 0 { return "label \(j) is positive at the witness" }
        return nil
    }

    /// nil if the certificate proves the condition (positive > 0, negative ≤ 0) infeasible, exactly.
    public static func check(
        _ certificate: FarkasCertificate, layer: SoftmaxLayer, positive: [Int], negative: [Int], domain: InputDomain
    ) -> String? {
        let p = Set(positive), n = Set(negative)
        guard certificate.positive.count == certificate.positiveWeights.count,
            certificate.negative.count == certificate.negativeWeights.count,
            certificate.positive.allSatisfy(p.contains), certificate.negative.allSatisfy(n.contains),
            Set(certificate.positive).count == certificate.positive.count,
            Set(certificate.negative).count == certificate.negative.count,
            (certificate.positiveWeights + certificate.negativeWeights).allSatisfy({ $0.signum >= 0 })
        else { return "the certificate's multipliers must be ≥ 0, one per label, on the right labels" }
        let λTotal = certificate.positiveWeights.reduce(Rational(0), +)
        let μTotal = certificate.negativeWeights.reduce(Rational(0), +)
        guard λTotal.signum > 0 || μTotal.signum > 0 else { return "the certificate's multipliers are all 0" }
        let d = layer.dimension
        var terms: [(Int, Rational)] = zip(certificate.positive, certificate.positiveWeights).map { ($0, $1) }
        terms += zip(certificate.negative, certificate.negativeWeights).map { ($0, -$1) }
        var bound = Rational(0)
        for (i, c) in terms { bound = bound + c * (layer.bias.map { rational($0[i]) } ?? 0) }
        var infinite = false
        layer.weights.withUnsafeBufferPointer { w in
            for j in 0..<d {
                var v = Rational(0)
                for (i, c) in terms where w[i * d + j] != 0 { v = v + c * rational(w[i * d + j]) }
                if v.isZero { continue }
                guard let l = domain.lowerLimit(j), let u = domain.upperLimit(j) else {
                    infinite = true
                    continue
                }
                bound = bound + Swift.max(v * Rational(exactly: l)!, v * Rational(exactly: u)!)
            }
        }
        if infinite { return "the combination does not cancel exactly, and inputs are unbounded" }
        if λTotal.signum > 0 {
            return bound.signum <= 0 ? nil : "the combination reaches \(bound.doubleValue) > 0"
        }
        return bound.signum < 0 ? nil : "the combination of negative labels reaches \(bound.doubleValue) ≥ 0"
    }

    /// Checks a verdict for `positive` > 0 and `negative` ≤ 0; nil when it holds (or is `undecided`).
    public static func check(
        _ verdict: LabelSetVerdict, layer: SoftmaxLayer, positive: [Int], negative: [Int], domain: InputDomain
    ) -> String? {
        switch verdict {
        case .feasible(let x):
            return check(witness: x, layer: layer, positive: positive, negative: negative, domain: domain)
        case .infeasible(let certificate):
            return check(certificate, layer: layer, positive: positive, negative: negative, domain: domain)
        case .undecided: return nil
        }
    }
}

extension InputDomain {
    func lowerLimit(_ j: Int) -> Double? {
        switch self {
        case .box(let r): return -r
        case .bounds(let lower, _): return lower[j]
        case .unbounded: return nil
        }
    }

    func upperLimit(_ j: Int) -> Double? {
        switch self {
        case .box(let r): return r
        case .bounds(_, let upper): return upper[j]
        case .unbounded: return nil
        }
    }

    func containsFinitePoint(_ x: [Double]) -> Bool {
        x.indices.allSatisfy { j in
            x[j].isFinite && (lowerLimit(j).map { x[j] >= $0 } ?? true) && (upperLimit(j).map { x[j] <= $0 } ?? true)
        }
    }
}
