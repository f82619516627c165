import ExactArithmetic
import LinearProgramming
import Testing
import Unargmaxable

@testable import SigmoidLayers

func randomSigmoidLayer(labels: Int, dimension: Int, bias: Bool, seed: UInt64) throws -> SoftmaxLayer {
    var random = SeededRandomNumberGenerator(seed: seed)
    let weights = (0..<(labels * dimension)).map { _ in Float(random.nextStandardNormal()) }
    let b = bias ? (0..<labels).map { _ in Float(random.nextStandardNormal()) } : nil
    return try SoftmaxLayer(weights: weights, classes: labels, dimension: dimension, bias: b)
}

/// Whether some x has W x < 0 in every coordinate (then the empty set is a full-dimensional region).
func allNegativeRegionExists(_ layer: SoftmaxLayer) throws -> Bool {
    let d = layer.dimension
    let lp = try LinearProgram(columns: d + 1, direction: .maximize)
    try lp.setObjective(Array(repeating: 0, count: d) + [1])
    for j in 0..<d { try lp.setColumnBound(j, .range(-1, 1)) }
    try lp.setColumnBound(d, .upper(1))
    for i in 0..<layer.classes {
        try lp.addRow((0..<d).map { Double(layer.weights[i, $0]) } + [1], .upper(0))
    }
    let solution = lp.solve()
    return solution.status == .optimal && solution.objective > 1e-9
}

@Suite("Sigmoid")
struct SigmoidTests {
    @Test(
        "enumeration equals the region count of a generic arrangement",
        arguments: [(5, 2, true), (7, 3, true), (8, 2, true), (6, 3, false), (8, 2, false), (7, 4, false)])
    func coverCount(labels: Int, dimension: Int, bias: Bool) throws {
        let layer = try randomSigmoidLayer(labels: labels, dimension: dimension, bias: bias, seed: UInt64(labels + 7))
        let enumeration = try #require(SignPatternCount.enumerate(layer, domain: .unbounded))
        #expect(enumeration.isComplete)
        var expected = SignPatternCount.regions(labels: labels, dimension: dimension, bias: bias)
        // Without a bias, x = 0 realises the empty set even when no region is all-negative.
        if !bias, !(try allNegativeRegionExists(layer)) { expected = expected + BigInt(1) }
        #expect(BigInt(enumeration.feasible.count) == expected)
        for (labels, witness) in enumeration.feasible {
            let others = (0..<layer.classes).filter { !labels.contains($0) }
            #expect(
                SigmoidVerifier.check(
                    witness: witness, layer: layer, positive: labels, negative: others, domain: .unbounded) == nil)
        }
    }

    @Test("Cover's numbers: 2Σ C(n−1, i) without bias, Σ C(n, i) with")
    func formula() {
        #expect(SignPatternCount.regions(labels: 4, dimension: 2, bias: false) == BigInt(8))
        #expect(SignPatternCount.regions(labels: 4, dimension: 2, bias: true) == BigInt(11))
        #expect(SignPatternCount.regions(labels: 3, dimension: 5, bias: true) == BigInt(8))
        #expect(SignPatternCount.regions(labels: 100, dimension: 100, bias: false) == BigInt(1).shiftedLeft(100))
    }

    @Test(
        "every set of size ≤ 2 gets a verdict whose certificate checks exactly and agrees with the enumeration",
        arguments: [(6, 2, true, "box"), (7, 3, false, "unbounded"), (6, 2, true, "unbounded")])
    func pairs(labels: Int, dimension: Int, bias: Bool, domainName: String) throws {
        let layer = try randomSigmoidLayer(labels: labels, dimension: dimension, bias: bias, seed: 11)
        let domain: InputDomain = domainName == "box" ? .box(radius: 1) : .unbounded
        let results = LabelSetFeasibility.decideAll(layer, maxSize: 2, domain: domain, threads: 1)
        #expect(results.count == 1 + labels + labels * (labels - 1) / 2)
        let enumeration = try #require(SignPatternCount.enumerate(layer, domain: domain))
        let feasibleSets = Set(enumeration.feasible.map(\.labels))
        for result in results {
            let others = (0..<labels).filter { !result.labels.contains($0) }
            #expect(result.verdict != .undecided, "\(result.labels) \(feasibleSets.contains(result.labels))")
            #expect(
                SigmoidVerifier.check(
                    result.verdict, layer: layer, positive: result.labels, negative: others, domain: domain) == nil)
            if case .feasible = result.verdict {
                #expect(feasibleSets.contains(result.labels))
            } else {
                #expect(!feasibleSets.contains(result.labels))
            }
        }
    }

    @Test("opposite labels are never positive together; the certificate is exact and tampering is caught")
    func opposite() throws {
        let layer = try SoftmaxLayer(weights: [1, 0, -1, 0, 0, 1], classes: 3, dimension: 2)
        let verdict = LabelSetFeasibility.decide(layer, labels: [0, 1], domain: .unbounded)
        guard case .infeasible(let certificate) = verdict else {
            Issue.record("expected a certificate, got \(verdict)")
            return
        }
        #expect(
            SigmoidVerifier.check(certificate, layer: layer, positive: [0, 1], negative: [2], domain: .unbounded) == nil
        )
        let tampered = FarkasCertificate(
            positive: certificate.positive, positiveWeights: certificate.positiveWeights.map { $0 * Rational(2) },
            negative: certificate.negative, negativeWeights: certificate.negativeWeights)
        if certificate.positive.count == 2 {
            let skewed = FarkasCertificate(
                positive: certificate.positive, positiveWeights: [Rational(1), Rational(2)],
                negative: certificate.negative, negativeWeights: certificate.negativeWeights)
            #expect(
                SigmoidVerifier.check(skewed, layer: layer, positive: [0, 1], negative: [2], domain: .unbounded) != nil)
        }
        #expect(
            SigmoidVerifier.check(tampered, layer: layer, positive: [0, 1], negative: [2], domain: .unbounded) == nil)
        #expect(
            SigmoidVerifier.check(
                witness: [1, -1], layer: layer, positive: [0, 1], negative: [2], domain: .unbounded) != nil)
        #expect(LabelSetFeasibility.decide(layer, labels: [0, 2], domain: .unbounded) != .undecided)
    }
}

@Test("certificates reused from smaller sets still prove the larger sets (checked against each set)")
func reusedCertificates() throws {
    let layer = try randomSigmoidLayer(labels: 60, dimension: 3, bias: true, seed: 3)
    let results = LabelSetFeasibility.decideAll(layer, maxSize: 2, domain: .unbounded, threads: 2)
    #expect(results.count == 1 + 60 + 60 * 59 / 2)
    #expect(results.contains { $0.certificateFrom != nil })
    for result in results {
        let others = (0..<60).filter { !result.labels.contains($0) }
        #expect(result.verdict != .undecided)
        #expect(
            SigmoidVerifier.check(
                result.verdict, layer: layer, positive: result.labels, negative: others, domain: .unbounded)
                == nil)
    }
}
