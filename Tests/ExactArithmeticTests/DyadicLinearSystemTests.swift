import Testing

@testable import ExactArithmetic

@Suite("Exact solutions of dyadic linear systems")
struct DyadicLinearSystemTests {
    /// A deterministic generator, so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A random Float32-valued entry spanning many binades (and sometimes exactly 0).
    static func entry(_ g: inout SplitMix, spread: Int) -> Double {
        if Int.random(in: 0..<7, using: &g) == 0 { return 0 }
        let scale = Double(sign: .plus, exponent: Int.random(in: -spread...spread, using: &g), significand: 1)
        return Double(Float(Double.random(in: -1...1, using: &g) * scale))
    }

    @Test("equals Gauss–Jordan over the rationals on random, rank-deficient and inconsistent systems")
    func agreesWithRationalElimination() throws {
        var g = SplitMix(state: 2026)
        for trial in 0..<400 {
            let m = Int.random(in: 1...8, using: &g), n = Int.random(in: 1...8, using: &g)
            var rows = (0..<m).map { _ in (0...n).map { _ in Self.entry(&g, spread: trial % 3 == 0 ? 60 : 4) } }
            if trial % 5 == 1, m >= 2 {  // a repeated row (rank-deficient), sometimes with another right side
                rows[m - 1] = rows[0]
                if trial % 10 == 1 { rows[m - 1][n] += 1 }
            }
            let exact = rows.map { $0.map { Rational(exactly: $0)! } }
            let expected = Rational.basicSolution(exact)
            let solution = Rational.dyadicBasicSolution(rows)
            #expect((expected == nil) == (solution == nil), "trial \(trial)")
            guard let expected, let solution else { continue }
            #expect(solution.denominator.signum > 0)
            // Both are basic solutions with the same pivot columns (first nonzero column per step).
            #expect(solution.values == expected, "trial \(trial)")
            #expect(solution.signs == expected.map(\.signum))
            // And it solves the system exactly.
            for row in exact {
                let lhs = zip(row.dropLast(), solution.values).reduce(Rational(0)) { $0 + $1.0 * $1.1 }
                #expect(lhs == row[n])
            }
        }
    }

    @Test("a barycentric system: a point inside a simplex gets its positive coordinates exactly")
    func barycentric() throws {
        // Vertices (0,0), (1,0), (0,1); the point (1/4, 1/2): weights 1/4, 1/4, 1/2.
        let rows: [[Double]] = [[0, 1, 0, 0.25], [0, 0, 1, 0.5], [1, 1, 1, 1]]
        let solution = try #require(Rational.dyadicBasicSolution(rows))
        #expect(solution.values == [Rational(1, 4), Rational(1, 4), Rational(1, 2)])
        #expect(Rational.dyadicBasicSolution([[1, 1], [1, 2]]) == nil)  // x = 1 and x = 2
        #expect(Rational.dyadicBasicSolution([[1, .nan]]) == nil)
        let tiny = try #require(Rational.dyadicBasicSolution([[Double.leastNonzeroMagnitude, 1]]))
        #expect(tiny.values == [Rational(1) / Rational(exactly: Double.leastNonzeroMagnitude)!])
    }
}
