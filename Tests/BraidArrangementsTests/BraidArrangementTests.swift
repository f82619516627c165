import Testing
import BraidArrangements
import RegionCounting
import ExactArithmetic

/// Deterministic Gaussian-ish values (sum of uniforms) for generic layers.
struct Values {
    var state: UInt64
    mutating func next() -> Double {
        var s = 0.0
        for _ in 0..<4 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            s += Double(state >> 11) / Double(1 << 53) - 0.5
        }
        return s
    }
}

@Suite("Braid arrangements")
struct BraidArrangementTests {
    @Test(
        "enumerated regions of random layers equal the exact counts",
        arguments: [(3, 1), (4, 2), (5, 2), (5, 3), (6, 2), (6, 3), (7, 3)])
    func enumerationMatchesCount(shape: (classes: Int, dimension: Int)) {
        for bias in [false, true] {
            var values = Values(state: UInt64(shape.classes * 100 + shape.dimension + (bias ? 7 : 0)))
            let w = (0..<(shape.classes * shape.dimension)).map { _ in values.next() }
            let b = bias ? (0..<shape.classes).map { _ in values.next() } : nil
            let arrangement = BraidArrangement(weights: w, bias: b, classes: shape.classes, dimension: shape.dimension)
            let (rankings, undetermined) = arrangement.enumerateRankings()
            let expected = FeasibleRankings.count(classes: shape.classes, dimension: shape.dimension, bias: bias)
                .regions
            #expect(undetermined == 0)
            #expect(BigInt(rankings.count) == expected, "C=\(shape.classes) d=\(shape.dimension) bias=\(bias)")
            #expect(Set(rankings.map { $0.description }).count == rankings.count)
        }
    }

    @Test("a feasible ranking's witness realises exactly that ranking")
    func witnessRealisesRanking() {
        var values = Values(state: 3)
        let w = (0..<(6 * 3)).map { _ in values.next() }
        let arrangement = BraidArrangement(weights: w, classes: 6, dimension: 3)
        for ranking in arrangement.enumerateRankings().rankings {
            guard case .feasible(let x, _) = arrangement.feasibility(of: ranking) else {
                Issue.record("not feasible: \(ranking)")
                continue
            }
            #expect(arrangement.ranking(at: x) == ranking)
        }
    }

    @Test("without bias, reversing a feasible ranking is feasible (x ↦ −x); in d = 1 only two rankings exist")
    func symmetries() {
        let arrangement = BraidArrangement(weights: [0.3, -1.2, 2.5, 0.9], classes: 4, dimension: 1)
        let rankings = arrangement.enumerateRankings().rankings
        #expect(rankings.count == 2)
        #expect(rankings.contains([1, 0, 3, 2]) && rankings.contains([2, 3, 0, 1]))
        #expect(arrangement.feasibility(of: [0, 1, 2, 3]) != .feasible(witness: [], smallestGap: 0))
        if case .infeasible = arrangement.feasibility(of: [0, 1, 2, 3]) {
        } else {
            Issue.record("[0,1,2,3] must be infeasible")
        }
    }

    @Test("a box removes bounded regions that need large inputs")
    func boxRestriction() {
        // Classes with logits x, 0 and 2x − 10 (d = 1): the ranking 1 < 0 < 2 needs x > 10.
        let unbounded = BraidArrangement(weights: [1, 0, 2], bias: [0, 0, -10], classes: 3, dimension: 1)
        let boxed = BraidArrangement(weights: [1, 0, 2], bias: [0, 0, -10], classes: 3, dimension: 1, radius: 5)
        #expect(unbounded.feasibility(of: [1, 0, 2]).isFeasible)
        #expect(!boxed.feasibility(of: [1, 0, 2]).isFeasible)
    }
}
