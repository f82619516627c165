import Dispatch
import ExactArithmetic
import Foundation
import LinearProgramming
import Unargmaxable

/// Multi-label (sigmoid) output layers y = W x + b with independent labels: a label set S is
/// **feasible** when some input of the domain makes exactly the labels of S positive
/// (y_i(x) > 0 ⇔ i ∈ S). Every verdict carries a witness or a Farkas certificate checked exactly.
public enum LabelSetFeasibility {
    /// Decides one label set.
    public static func decide(_ layer: SoftmaxLayer, labels: [Int], domain: InputDomain) -> LabelSetVerdict {
        let inSet = Set(labels)
        let others = (0..<layer.classes).filter { !inSet.contains($0) }
        return SignConditionProgram(layer: layer, domain: domain).decide(positive: labels.sorted(), negative: others)
    }

    /// Every label set of size ≤ maxSize (the empty set, singletons, pairs, …), in size then
    /// lexicographic order, spread over `threads`. The domain must be valid for the layer.
    ///
    /// Level by level: a Farkas certificate of S ∖ {e} whose negative labels avoid e proves S
    /// infeasible too (the inequality it certifies does not depend on the set), so most sets of a
    /// large layer are decided by set membership alone; the rest get their own LP.
    public static func decideAll(_ layer: SoftmaxLayer, maxSize: Int, domain: InputDomain, threads: Int = 1)
        -> [LabelSetResult]
    {
        var results: [LabelSetResult] = []
        // The previous level's infeasible sets: their certificate and the set it was found for.
        var certificates: [[Int]: (FarkasCertificate, origin: [Int])] = [:]
        var level: [[Int]] = [[]]
        for size in 0...max(0, min(maxSize, layer.classes)) {
            if size > 0 {
                level = level.flatMap { s in ((s.last.map { $0 + 1 } ?? 0)..<layer.classes).map { s + [$0] } }
            }
            let sets = level, known = certificates
            var decided = [LabelSetResult?](repeating: nil, count: sets.count)
            decided.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let output = buffer
                let workers = max(1, min(threads, sets.count))
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for k in stride(from: worker, to: sets.count, by: workers) {
                        output[k] = decide(layer, labels: sets[k], domain: domain, reusing: known)
                    }
                    LinearProgram.releaseThreadEnvironment()
                }
            }
            certificates = [:]
            for result in decided {
                if case .infeasible(let certificate) = result!.verdict {
                    certificates[result!.labels] = (certificate, result!.certificateFrom ?? result!.labels)
                }
                results.append(result!)
            }
        }
        return results
    }

    /// One set, first trying the certificates of its subsets with one label fewer (`certificateFrom`
    /// names the set the certificate was found for, which carries it itself).
    static func decide(
        _ layer: SoftmaxLayer, labels: [Int], domain: InputDomain,
        reusing known: [[Int]: (FarkasCertificate, origin: [Int])]
    )
        -> LabelSetResult
    {
        for e in labels {
            let subset = labels.filter { $0 != e }
            if let (certificate, origin) = known[subset], !certificate.negative.contains(e) {
                return LabelSetResult(labels: labels, verdict: .infeasible(certificate), certificateFrom: origin)
            }
        }
        return LabelSetResult(labels: labels, verdict: decide(layer, labels: labels, domain: domain))
    }
}

/// How many label sets (sign patterns) a layer can realise.
public enum SignPatternCount {
    /// Regions of n hyperplanes in general position in R^d:
    /// - affine (with bias): Σ_{i=0}^{d} C(n, i);
    /// - central (no bias, all through 0; Cover 1965): 2 Σ_{i=0}^{d−1} C(n − 1, i).
    /// Exact (GMP).
    public static func regions(labels n: Int, dimension d: Int, bias: Bool) -> BigInt {
        guard n >= 1 else { return BigInt(1) }
        if bias { return BigInt.sum((0...min(d, n)).map { BigInt.binomial(n, $0) }) }
        guard d >= 1 else { return BigInt(1) }
        return BigInt.sum((0...min(d - 1, n - 1)).map { BigInt.binomial(n - 1, $0) }) * 2
    }

    /// The result of enumerating every feasible label set of a small layer.
    public struct Enumeration: Sendable {
        /// Feasible sets, each with an exactly checked witness.
        public let feasible: [(labels: [Int], witness: [Double])]
        /// Branches of the search proved infeasible (each by an exactly checked certificate).
        public let prunedBranches: Int
        /// Branches no certificate could decide (0 for a complete, certified count).
        public let undecidedBranches: Int
        /// True when every branch of the enumeration was decided.
        public var isComplete: Bool { undecidedBranches == 0 }
    }

    /// Every feasible sign pattern of a small layer, by a search over labels that fixes one sign
    /// at a time: the branch agreeing with the current witness inherits it, the other is decided
    /// by an LP with a certificate. Refuses (nil) above `limit` feasible patterns.
    public static func enumerate(_ layer: SoftmaxLayer, domain: InputDomain, limit: Int = 1 << 16) -> Enumeration? {
        let program = SignConditionProgram(layer: layer, domain: domain)
        let n = layer.classes
        var feasible: [(labels: [Int], witness: [Double])] = []
        var pruned = 0, undecided = 0
        guard case .feasible(let start) = program.decide(positive: [], negative: []) else { return nil }
        // Depth-first: (next label, positives, negatives, a witness satisfying them).
        var stack: [(Int, [Int], [Int], [Double])] = [(0, [], [], start)]
        while let (next, positive, negative, x) = stack.popLast() {
            if next == n {
                feasible.append((positive, x))
                if feasible.count > limit { return nil }
                continue
            }
            let isPositive = program.logitSign(next, x)
            let same = isPositive ? (positive + [next], negative) : (positive, negative + [next])
            let other = isPositive ? (positive, negative + [next]) : (positive + [next], negative)
            if SigmoidVerifier.check(
                witness: x, layer: layer, positive: same.0, negative: same.1, domain: domain) == nil
            {
                stack.append((next + 1, same.0, same.1, x))
            } else {
                undecided += 1
            }
            switch program.decide(positive: other.0, negative: other.1) {
            case .feasible(let y): stack.append((next + 1, other.0, other.1, y))
            case .infeasible: pruned += 1
            case .undecided: undecided += 1
            }
        }
        return Enumeration(feasible: feasible, prunedBranches: pruned, undecidedBranches: undecided)
    }
}

extension SignConditionProgram {
    /// Whether y_i(x) > 0, exactly.
    func logitSign(_ i: Int, _ x: [Double]) -> Bool {
        SigmoidVerifier.logit(layer, i, x.map { Rational(exactly: $0)! }, x).signum > 0
    }
}
