import Testing
@testable import RegionCounting
import ExactArithmetic

@Suite("Stirling numbers")
struct StirlingNumberTests {
    @Test("known values and row sums")
    func knownValues() {
        #expect(StirlingNumbers.firstKind(5, 2) == 50)
        #expect(StirlingNumbers.firstKind(10, 3) == 1_172_700)
        #expect(StirlingNumbers.secondKind(5, 2) == 15)
        #expect(StirlingNumbers.secondKind(10, 4) == 34_105)
        for n in 0...25 {
            // Σ_k c(n, k) = n!  (permutations by number of cycles)
            #expect(BigInt.sum(StirlingNumbers.firstKindRow(n)) == BigInt.factorial(n))
        }
        // Σ_k S(n, k) = Bell numbers.
        #expect(BigInt.sum(StirlingNumbers.secondKindRow(10)) == 115_975)
        #expect(BigInt.sum(StirlingNumbers.secondKindRow(20)) == BigInt("51724158235372")!)
        #expect(StirlingNumbers.firstKind(3, 5) == 0 && StirlingNumbers.secondKind(4, -1) == 0)
    }

    @Test("the two kinds are inverse matrices: Σ_k S(n, k)·s(k, m) = δ(n, m) with signed s")
    func inverseRelation() {
        let size = 15
        let second = (0...size).map { StirlingNumbers.secondKindRow($0) }
        let first = (0...size).map { StirlingNumbers.firstKindRow($0) }
        for n in 0...size {
            for m in 0...n {
                let total = BigInt.sum(
                    (m...n).map { k -> BigInt in
                        let signed = (k - m) % 2 == 0 ? first[k][m] : -first[k][m]
                        return second[n][k] * signed
                    })
                #expect(total == (n == m ? 1 : 0), "n=\(n) m=\(m)")
            }
        }
    }
}

@Suite("Feasible rankings")
struct FeasibleRankingTests {
    static let methods = FeasibleRankings.Method.allCases

    @Test("the paper's example: |C| = 4, d = 2 gives 12 rankings without bias, 18 with, of 24", arguments: methods)
    func paperExample(method: FeasibleRankings.Method) {
        let noBias = FeasibleRankings.count(classes: 4, dimension: 2, bias: false, method: method)
        let bias = FeasibleRankings.count(classes: 4, dimension: 2, bias: true, method: method)
        #expect(noBias.regions == 12 && bias.regions == 18)
        #expect(noBias.permutations == 24 && bias.permutations == 24)
        #expect(noBias.boundedRegions == 0 && bias.boundedRegions == 6)
        #expect(abs(noBias.log10FeasibleFraction - (-0.30102999566398120)) < 1e-12)
    }

    @Test("bounded regions for |C| = 3, d = 1 with bias: 2 (three points on a line)")
    func boundedOnALine() {
        let count = FeasibleRankings.count(classes: 3, dimension: 1, bias: true)
        #expect(count.regions == 4 && count.boundedRegions == 2 && count.unboundedRegions == 2)
    }

    @Test("d ≥ |C| − 1 realises all |C|! rankings", arguments: methods)
    func fullDimension(method: FeasibleRankings.Method) {
        for c in 1...12 {
            for d in max(0, c - 1)...(c + 2) {
                for bias in [false, true] {
                    let count = FeasibleRankings.count(classes: c, dimension: d, bias: bias, method: method)
                    #expect(count.regions == BigInt.factorial(c), "C=\(c) d=\(d) bias=\(bias)")
                    #expect(count.log10FeasibleFraction == 0)
                }
            }
        }
    }

    @Test("the no-bias table is OEIS A071223")
    func oeisA071223() {
        let rows: [[Int]] = [
            [1], [2, 2], [2, 6, 6], [2, 12, 24, 24], [2, 20, 72, 120, 120], [2, 30, 172, 480, 720, 720],
            [2, 42, 352, 1512, 3600, 5040, 5040], [2, 56, 646, 3976, 14184, 30240, 40320, 40320],
        ]
        let table = RegionCountTable(maxClasses: rows.count, maxDimension: rows.count, bias: false)
        for (i, row) in rows.enumerated() {
            for (j, value) in row.enumerated() {
                #expect(table.regions(classes: i + 1, dimension: j + 1) == BigInt(value), "C=\(i + 1) d=\(j + 1)")
            }
        }
    }

    @Test("d = 1 and d = 2 with bias match the independent line-arrangement counts")
    func lineArrangements() {
        for c in 2...60 {
            let pairs = BigInt.binomial(c, 2), triples = BigInt.binomial(c, 3), quads = BigInt.binomial(c, 4)
            // d = 1: C(C,2) distinct break points on a line → C(C,2) + 1 intervals, two unbounded.
            let line = FeasibleRankings.count(classes: c, dimension: 1, bias: true)
            #expect(line.regions == pairs + 1 && line.boundedRegions == pairs - 1)
            guard c >= 3 else { continue }
            // d = 2: C(C,2) lines; each triple of classes meets in one point (3 lines), each pair of disjoint
            // class pairs in a simple point. Regions = 1 + lines + Σ_points (lines through it − 1);
            // bounded = |1 − lines + Σ_points (…)| (Zaslavsky).
            let crossings = triples * 2 + quads * 3
            let plane = FeasibleRankings.count(classes: c, dimension: 2, bias: true)
            #expect(plane.regions == 1 + pairs + crossings, "C=\(c)")
            #expect(plane.boundedRegions == (1 - pairs + crossings).magnitude, "C=\(c)")
            // Without bias, d = 2: the 2·C(C,2) rays of a central line arrangement bound as many cones.
            #expect(FeasibleRankings.count(classes: c, dimension: 2, bias: false).regions == pairs * 2)
        }
    }

    @Test("closed forms, recurrence, Good–Tideman, multi-modular series and the table agree on a 30×30 grid")
    func allMethodsAgree() {
        for bias in [false, true] {
            let table = RegionCountTable(maxClasses: 30, maxDimension: 30, bias: bias)
            for c in 1...30 {
                for d in 1...30 {
                    let reference = FeasibleRankings.count(classes: c, dimension: d, bias: bias, method: .closedForm)
                    #expect(table.regions(classes: c, dimension: d) == reference.regions)
                    for method in [FeasibleRankings.Method.recurrence, .goodTideman, .multimodular, .automatic] {
                        let other = FeasibleRankings.count(classes: c, dimension: d, bias: bias, method: method)
                        #expect(other == reference, "C=\(c) d=\(d) bias=\(bias) \(method)")
                    }
                }
            }
        }
    }

    @Test("the multi-modular series equals the exact product on larger shapes")
    func multimodularAgreesOnLargerShapes() {
        for (c, d) in [(2000, 60), (700, 350), (401, 399), (5000, 12)] {
            for bias in [false, true] {
                let exact = FeasibleRankings.count(classes: c, dimension: d, bias: bias, method: .closedForm)
                let fast = FeasibleRankings.count(classes: c, dimension: d, bias: bias, method: .multimodular)
                #expect(fast == exact, "C=\(c) d=\(d) bias=\(bias)")
            }
        }
    }

    @Test("the prime budget really covers the answer: the size bound is never below the true size")
    func bitBoundIsSound() {
        for (c, d) in [(30, 10), (2000, 60), (700, 350), (401, 399)] {
            let exact = FeasibleRankings.count(classes: c, dimension: d, bias: true, method: .closedForm)
            #expect(exact.regions.bitWidth <= MultimodularSeries.sumBitBound(classes: c, degree: d))
        }
    }

    @Test("Chinese remaindering recovers signed values")
    func chineseRemainder() {
        let primes = MultimodularSeries.wordPrimes(coveringBits: 400, above: 10)
        for value in [BigInt(0), BigInt(-1), BigInt.factorial(60), -BigInt.factorial(61), BigInt(2).power(390) - 7] {
            let residues = primes.map { value.residue(modulo: $0) }
            #expect(ChineseRemainder.signedValue(residues: residues, primes: primes) == value)
        }
    }
}

@Suite("Both bias cases at once")
struct BothCasesTests {
    @Test("countBothCases equals the two single counts", arguments: [(4, 2), (60, 7), (3000, 40), (20, 25), (1, 0)])
    func equalsSingles(classes: Int, dimension: Int) {
        let both = FeasibleRankings.countBothCases(classes: classes, dimension: dimension)
        let single = (
            FeasibleRankings.count(classes: classes, dimension: dimension, bias: true),
            FeasibleRankings.count(classes: classes, dimension: dimension, bias: false)
        )
        #expect(both.bias.regions == single.0.regions && both.bias.boundedRegions == single.0.boundedRegions)
        #expect(both.noBias.regions == single.1.regions && both.noBias.boundedRegions == single.1.boundedRegions)
        let multimodular = FeasibleRankings.countBothCases(
            classes: classes, dimension: dimension, method: .multimodular)
        #expect(multimodular.bias.regions == single.0.regions && multimodular.noBias.regions == single.1.regions)
    }
}
