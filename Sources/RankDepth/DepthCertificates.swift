import ExactArithmetic
import Unargmaxable

/// An upper bound on r_c: an input x of the domain and the classes that score at least as high as
/// c there (ties count against c). r_c ≤ `beaters.count`.
public struct DepthWitness: Sendable, Equatable {
    /// The input x (in the domain).
    public let input: [Double]
    /// Every class that may score ≥ c at `input` (a superset of the true set is still a valid bound).
    public let beaters: [Int]

    /// A witness at `input` beaten by `beaters`.
    public init(input: [Double], beaters: [Int]) {
        self.input = input
        self.beaters = beaters
    }

    /// The upper bound it proves: r_c ≤ number of beaters.
    public var bound: Int { beaters.count }
}

/// Multipliers λ ≥ 0 (exact rationals) on a support S ⊆ C ∖ {c} proving that c is unargmaxable in the
/// layer restricted to {c} ∪ S: `ExactCertificates.multiplierBound` ≤ 0, so at every input some class
/// of S scores at least as high as c.
public struct UnargmaxabilityProof: Sendable, Equatable {
    /// The classes S.
    public let support: [Int]
    /// Exact multipliers on S (≥ 0, not all 0).
    public let weights: [Rational]

    /// A proof with these multipliers on `support`.
    public init(support: [Int], weights: [Rational]) {
        self.support = support
        self.weights = weights
    }
}

/// A lower bound on r_c from proofs whose supports every input must hit: the beaters of c at any x
/// contain a class of each support, so |beaters(x)| ≥ the smallest hitting set of the supports.
public struct DepthLowerCertificate: Sendable, Equatable {
    /// How the proofs combine into the bound.
    public enum Kind: Sendable, Equatable {
        /// Pairwise disjoint supports: bound = number of proofs.
        case disjoint
        /// Weights α_k ≥ 0 with Σ_{k: i ∈ S_k} α_k ≤ 1 for every class i: bound = ⌈Σ α_k⌉.
        case fractional([Rational])
        /// No set of `bound − 1` classes hits every support (checked by enumeration).
        case transversal
    }

    /// The unargmaxability proofs whose supports every input must hit.
    public let proofs: [UnargmaxabilityProof]
    /// How they combine.
    public let kind: Kind
    /// The lower bound: r_c ≥ bound.
    public let bound: Int

    /// A certificate from `proofs` combined by `kind` into `bound`.
    public init(proofs: [UnargmaxabilityProof], kind: Kind, bound: Int) {
        self.proofs = proofs
        self.kind = kind
        self.bound = bound
    }

    /// The trivial bound r_c ≥ 0.
    public static let none = DepthLowerCertificate(proofs: [], kind: .disjoint, bound: 0)
}

/// Re-checks depth certificates exactly (rational arithmetic); never trusts a solver.
public enum DepthVerifier {
    /// Largest number of candidate hitting sets a `transversal` check enumerates.
    public static let transversalBudget = 2_000_000

    /// nil if the witness proves r_c ≤ witness.bound; otherwise why not.
    public static func check(
        _ witness: DepthWitness, layer: SoftmaxLayer, class c: Int, domain: InputDomain, exact: Bool = true
    ) -> String? {
        guard let truth = DepthEvaluation.beaters(layer, class: c, at: witness.input, domain: domain, exact: exact)
        else { return "class \(c): the witness is not a finite point of the input domain" }
        let claimed = Set(witness.beaters)
        guard claimed.count == witness.beaters.count else { return "class \(c): the witness lists a class twice" }
        if let missing = truth.first(where: { !claimed.contains($0) }) {
            return "class \(c): class \(missing) scores at least as high at the witness but is not listed"
        }
        return nil
    }

    /// nil if the proof shows c unargmaxable against its support; otherwise why not.
    public static func check(_ proof: UnargmaxabilityProof, layer: SoftmaxLayer, class c: Int, domain: InputDomain)
        -> String?
    {
        guard Set(proof.support).count == proof.support.count else {
            return "class \(c): a proof lists a class twice"
        }
        guard
            let bound = ExactCertificates.multiplierBound(
                layer, class: c, indices: proof.support, weights: proof.weights, domain: domain)
        else {
            return
                "class \(c): a proof's multipliers must be ≥ 0, not all 0, on other classes"
                + " (cancelling exactly for unbounded inputs)"
        }
        return bound.signum <= 0 ? nil : "class \(c): a proof only bounds the margin by \(bound.doubleValue) > 0"
    }

    /// nil if the certificate proves r_c ≥ certificate.bound; otherwise why not.
    public static func check(
        _ certificate: DepthLowerCertificate, layer: SoftmaxLayer, class c: Int, domain: InputDomain
    ) -> String? {
        guard certificate.bound >= 0 else { return "class \(c): a negative lower bound" }
        if certificate.bound == 0 { return nil }
        for proof in certificate.proofs {
            if let problem = check(proof, layer: layer, class: c, domain: domain) { return problem }
        }
        let supports = certificate.proofs.map(\.support)
        switch certificate.kind {
        case .disjoint:
            var seen = Set<Int>()
            for s in supports { for i in s where !seen.insert(i).inserted { return "class \(c): supports overlap" } }
            return certificate.bound <= supports.count ? nil : "class \(c): \(supports.count) disjoint proofs"
        case .fractional(let α):
            guard α.count == supports.count, α.allSatisfy({ $0.signum >= 0 }) else {
                return "class \(c): one packing weight ≥ 0 per proof is needed"
            }
            var cover: [Int: Rational] = [:]
            for (k, s) in supports.enumerated() { for i in s { cover[i] = (cover[i] ?? 0) + α[k] } }
            if cover.values.contains(where: { Rational(1) < $0 }) {
                return "class \(c): a class is covered more than once"
            }
            let total = α.reduce(Rational(0), +)
            // bound ≤ ⌈total⌉ ⇔ bound − 1 < total.
            return Rational(certificate.bound - 1) < total ? nil : "class \(c): the packing weighs only \(total)"
        case .transversal:
            guard let τ = Transversal.minimumSize(supports, atMost: certificate.bound - 1, budget: transversalBudget)
            else { return "class \(c): the hitting-set check is too large to enumerate" }
            return τ >= certificate.bound ? nil : "class \(c): \(τ) classes hit every support"
        }
    }
}

/// Smallest hitting sets of small families of supports, by enumeration.
enum Transversal {
    /// The size of a smallest set meeting every support, if it is at most `limit`; `limit + 1` when
    /// none of size ≤ limit exists; nil when enumerating would exceed `budget` candidate sets.
    static func minimumSize(_ supports: [[Int]], atMost limit: Int, budget: Int) -> Int? {
        smallest(supports, atMost: limit, budget: budget).map { $0?.count ?? limit + 1 }
    }

    /// A smallest hitting set of size ≤ limit (inner nil: none that small); outer nil: over budget.
    static func smallest(_ supports: [[Int]], atMost limit: Int, budget: Int) -> [Int]?? {
        if supports.isEmpty { return .some([]) }
        if supports.contains(where: \.isEmpty) { return .some(nil) }
        let universe = Array(Set(supports.joined())).sorted()
        guard universe.count <= 64 else { return nil }
        let position = Dictionary(uniqueKeysWithValues: universe.enumerated().map { ($1, $0) })
        let masks = supports.map { s in s.reduce(UInt64(0)) { $0 | (1 << UInt64(position[$1]!)) } }
        var spent = 0
        for size in 0...min(limit, universe.count) {
            var choice = Array(0..<size)
            while true {
                spent += 1
                if spent > budget { return nil }
                let mask = choice.reduce(UInt64(0)) { $0 | (1 << UInt64($1)) }
                if masks.allSatisfy({ $0 & mask != 0 }) { return .some(choice.map { universe[$0] }) }
                // Next combination in lexicographic order.
                var k = size - 1
                while k >= 0 && choice[k] == universe.count - size + k { k -= 1 }
                if k < 0 { break }
                choice[k] += 1
                for m in (k + 1)..<size { choice[m] = choice[m - 1] + 1 }
            }
        }
        return .some(nil)
    }
}
