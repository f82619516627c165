import ExactArithmetic
import RegionCounting
import Testing

@testable import BraidArrangements

@Suite("Certified regions")
struct CertifiedRegionsTests {
    static func layer(_ classes: Int, _ dimension: Int, bias: Bool, seed: UInt64) -> BraidArrangement {
        var values = Values(state: seed)
        let w = (0..<(classes * dimension)).map { _ in values.next() }
        let b = bias ? (0..<classes).map { _ in values.next() } : nil
        return BraidArrangement(weights: w, bias: b, classes: classes, dimension: dimension)
    }

    @Test(
        "certified regions equal the formula; bounded ones equal Good–Tideman's B",
        arguments: [(3, 1), (4, 1), (4, 2), (5, 2), (5, 3), (6, 2), (6, 3), (7, 2), (8, 2)])
    func countsMatchFormula(shape: (classes: Int, dimension: Int)) {
        for bias in [false, true] {
            let arrangement = Self.layer(shape.classes, shape.dimension, bias: bias, seed: UInt64(shape.classes * 31))
            let result = arrangement.certifiedRegions()
            let formula = FeasibleRankings.count(classes: shape.classes, dimension: shape.dimension, bias: bias)
            let label = "C=\(shape.classes) d=\(shape.dimension) bias=\(bias)"
            #expect(result.undetermined == 0, "\(label)")
            #expect(BigInt(result.regions.count) == formula.regions, "\(label)")
            let bounded = result.regions.filter { $0.boundedness.isBounded == true }.count
            #expect(result.regions.allSatisfy { $0.boundedness.isBounded != nil }, "\(label)")
            #expect(BigInt(bounded) == formula.boundedRegions, "\(label)")
            for region in result.regions {
                #expect(arrangement.verifyWitness(region.witness, chain: region.ranking))
                #expect(arrangement.verifyBoundedness(region.boundedness, ranking: region.ranking))
            }
        }
    }

    @Test("every infeasible full ranking of a small layer gets a Farkas certificate that verifies exactly")
    func farkasCertificates() {
        for bias in [false, true] {
            let arrangement = Self.layer(5, 2, bias: bias, seed: 9)
            var infeasible = 0
            for ranking in permutations(Array(0..<5)) {
                switch arrangement.certifiedFeasibility(of: ranking) {
                case .feasible(let x): #expect(arrangement.verifyWitness(x, chain: ranking))
                case .infeasible(let lambda):
                    infeasible += 1
                    #expect(arrangement.verifyFarkas(lambda, chain: ranking))
                    // Tampering breaks it: a certificate is not accepted for the reversed chain.
                    #expect(!arrangement.verifyFarkas(lambda, chain: ranking.reversed()))
                case .undetermined: Issue.record("undetermined: \(ranking)")
                }
            }
            let feasible = FeasibleRankings.count(classes: 5, dimension: 2, bias: bias).regions
            #expect(BigInt(120 - infeasible) == feasible)
        }
    }

    @Test("a box: Farkas certificates use the box term; witnesses stay inside")
    func boxedChains() {
        // Class 1 beats class 0 only for x > 10: infeasible in |x| ≤ 1, feasible in |x| ≤ 20.
        let w: [Double] = [0, 1]
        let b: [Double] = [10, 0]
        let small = BraidArrangement(weights: w, bias: b, classes: 2, dimension: 1, radius: 1)
        guard case .infeasible(let lambda) = small.certifiedFeasibility(of: [0, 1]) else {
            Issue.record("expected infeasible")
            return
        }
        #expect(small.verifyFarkas(lambda, chain: [0, 1]))
        let large = BraidArrangement(weights: w, bias: b, classes: 2, dimension: 1, radius: 20)
        guard case .feasible(let x) = large.certifiedFeasibility(of: [0, 1]) else {
            Issue.record("expected feasible")
            return
        }
        #expect(abs(x[0]) <= 20 && x[0] > 10)
    }

    @Test("layers not in general position give fewer rankings, never more")
    func degenerateLayers() {
        // Collinear weights, a duplicated row and equal biases.
        let w: [Double] = [0, 0, 1, 1, 2, 2, 3, 3, 1, 1, -1, 0.5]
        for bias in [nil, [0.0, 0.0, 1, 0, 0, 0.5]] {
            let arrangement = BraidArrangement(weights: w, bias: bias, classes: 6, dimension: 2)
            let result = arrangement.certifiedRegions(boundedness: false)
            #expect(result.undetermined == 0)
            let formula = FeasibleRankings.count(classes: 6, dimension: 2, bias: bias != nil).regions
            #expect(BigInt(result.regions.count) < formula)
        }
    }
}

func permutations(_ items: [Int]) -> [[Int]] {
    guard items.count > 1 else { return [items] }
    return items.indices.flatMap { i -> [[Int]] in
        var rest = items
        let first = rest.remove(at: i)
        return permutations(rest).map { [first] + $0 }
    }
}
