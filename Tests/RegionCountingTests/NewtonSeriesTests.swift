import CFLINT
import Testing

@testable import RegionCounting

/// The Newton series against FLINT's own functions, coefficient for coefficient.
@Suite("Newton power series modulo a prime")
struct NewtonSeriesTests {
    /// Two primes just above 2^62 (the ones counting uses) and one far smaller, still above every length.
    static let primes: [UInt] = [
        UInt(n_nextprime(1 << 62, 1)), UInt(n_nextprime(n_nextprime(1 << 62, 1), 1)), 1_000_003,
    ]
    /// The default basecase cutoff, and lengths around it, at the count's 4097 and beyond.
    static let cutoff = SeriesWorkspace(capacity: 1).exponentialCutoff
    /// Lengths that hit the basecase alone, its edges, and several odd/even halving chains.
    static let lengths = [1, 2, 3, cutoff - 1, cutoff, cutoff + 1, 1000, 4097, 5000]

    /// Reproducible residues (SplitMix64).
    struct Residues {
        var state: UInt64
        mutating func next(below p: UInt) -> UInt {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt(z ^ (z >> 31)) % p
        }
        mutating func series(_ n: Int, below p: UInt) -> [UInt] { (0..<n).map { _ in next(below: p) } }
    }

    /// FLINT's modulus with its precomputed inverse.
    static func modulus(_ p: UInt) -> nmod_t {
        var modulus = nmod_t()
        nmod_init(&modulus, p)
        return modulus
    }

    /// 1/k mod p at index k (index 0 unused).
    static func reciprocals(_ n: Int, _ p: UInt) -> [UInt] { [0] + (1..<max(n, 1)).map { n_invmod(UInt($0), p) } }

    /// exp(h) by the workspace's Newton iteration.
    static func newtonExponential(_ h: [UInt], _ p: UInt, workspace: SeriesWorkspace) -> [UInt] {
        var f = [UInt](repeating: 0, count: h.count)
        let r = reciprocals(h.count, p)
        workspace.exponential(&f, h, length: h.count, reciprocals: r, modulus: modulus(p))
        return f
    }

    @Test("exp equals FLINT's _nmod_poly_exp_series and its basecase", arguments: lengths)
    func exponential(length n: Int) {
        let workspace = SeriesWorkspace(capacity: 5000)
        for (index, p) in Self.primes.enumerated() {
            var random = Residues(state: UInt64(n * 31 + index))
            var h = random.series(n, below: p)
            h[0] = 0
            var flint = [UInt](repeating: 0, count: n)
            var basecase = [UInt](repeating: 0, count: n)
            _nmod_poly_exp_series(&flint, h, n, n, Self.modulus(p))
            _nmod_poly_exp_series_basecase(&basecase, h, n, n, Self.modulus(p))
            let newton = Self.newtonExponential(h, p, workspace: workspace)
            #expect(newton == flint, "n=\(n) p=\(p)")
            #expect(newton == basecase, "n=\(n) p=\(p)")
        }
    }

    @Test("exp with tiny cutoffs (every step's odd and even halvings) and sparse h", arguments: [1, 2, 3, 5])
    func exponentialTinyCutoffs(cutoff: Int) {
        let workspace = SeriesWorkspace(
            capacity: 300, exponentialCutoff: cutoff, inverseCutoff: cutoff, fullProductThreshold: 16)
        let p = Self.primes[0]
        var random = Residues(state: UInt64(cutoff))
        for n in [1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 31, 32, 33, 100, 257, 300] {
            var h = random.series(n, below: p)
            h[0] = 0
            if n > 4 { h[3..<n] = ArraySlice(repeating: 0, count: n - 3) }  // a short h: exp(h) is still length n
            var flint = [UInt](repeating: 0, count: n)
            _nmod_poly_exp_series(&flint, h, n, n, Self.modulus(p))
            #expect(Self.newtonExponential(h, p, workspace: workspace) == flint, "n=\(n) cutoff=\(cutoff)")
        }
    }

    @Test("inverse and quotient equal FLINT's _nmod_poly_inv_series and _nmod_poly_div_series", arguments: lengths)
    func inverseAndQuotient(length n: Int) {
        let workspace = SeriesWorkspace(capacity: 5000)
        for (index, p) in Self.primes.enumerated() {
            var random = Residues(state: UInt64(n * 37 + index))
            let a = random.series(n, below: p)
            var b = random.series(n, below: p)
            if b[0] == 0 { b[0] = 5 }
            let modulus = Self.modulus(p)
            var expected = [UInt](repeating: 0, count: n)
            var actual = [UInt](repeating: 0, count: n)
            _nmod_poly_inv_series(&expected, b, n, n, modulus)
            workspace.invert(&actual, b, length: n, modulus: modulus)
            #expect(actual == expected, "inverse n=\(n) p=\(p)")
            _nmod_poly_div_series(&expected, a, n, b, n, n, modulus)
            workspace.divide(&actual, a, by: b, length: n, modulus: modulus)
            #expect(actual == expected, "quotient n=\(n) p=\(p)")
        }
    }
}
