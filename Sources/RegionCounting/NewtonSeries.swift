import CFLINT

/// Power-series inverse, quotient and exponential modulo a word-size prime by Newton iteration,
/// built on FLINT's full products.
///
/// Why not FLINT 2.9's own `_nmod_poly_exp_series` and `_nmod_poly_div_series`: its exponential
/// runs the O(n²) basecase up to length ~n/2 below its compiled-in cutoff of 4000, and all its
/// series code multiplies with `_nmod_poly_mullow`, which for ~62-bit primes always takes
/// single-point Kronecker substitution. The full `_nmod_poly_mul` takes the four-point variant
/// (KS4), and is ~35 % faster even though it also computes the unwanted high half. So every
/// product here is a full product, and every iteration halves down to a small cutoff.
///
/// One workspace serves one thread; its buffers are allocated once and reused for every prime.
final class SeriesWorkspace {
    /// The longest series this workspace handles.
    let capacity: Int
    /// Lengths at or below which the exponential runs FLINT's basecase. Measured on the 128256 × 4096 count,
    /// any cutoff from 16 to 1024 gives the same time (FLINT's basecases keep up with Newton up to ~1000).
    let exponentialCutoff: Int
    /// Lengths at or below which the inverse runs FLINT's basecase (as flat as `exponentialCutoff`).
    let inverseCutoff: Int
    /// Truncated products of fewer coefficients use `_nmod_poly_mullow` (classical, cheaper when short).
    /// Thresholds 1–512 measure the same; 1024 is slower, and mullow everywhere costs the count 40 %.
    let fullProductThreshold: Int

    private let inverse: UnsafeMutablePointer<UInt>  // 1/f (exponential) or 1/b (quotient)
    private let derivative: UnsafeMutablePointer<UInt>  // h'
    private let middle: UnsafeMutablePointer<UInt>  // the slice of a product one step needs
    private let correction: UnsafeMutablePointer<UInt>
    private let product: UnsafeMutablePointer<UInt>  // full products land here first

    /// A workspace for series of length at most `capacity`.
    init(capacity: Int, exponentialCutoff: Int = 128, inverseCutoff: Int = 128, fullProductThreshold: Int = 256) {
        precondition(capacity >= 1 && exponentialCutoff >= 1 && inverseCutoff >= 1)
        self.capacity = capacity
        self.exponentialCutoff = exponentialCutoff
        self.inverseCutoff = inverseCutoff
        self.fullProductThreshold = fullProductThreshold
        func buffer(_ count: Int) -> UnsafeMutablePointer<UInt> {
            let pointer = UnsafeMutablePointer<UInt>.allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
            return pointer
        }
        inverse = buffer(capacity)
        derivative = buffer(capacity)
        middle = buffer(capacity)
        correction = buffer(capacity)
        product = buffer(2 * capacity)
    }

    deinit {
        for pointer in [inverse, derivative, middle, correction, product] { pointer.deallocate() }
    }

    /// q = a / b mod tⁿ (b₀ invertible mod p). `q` must not overlap `a` or `b`; a and b have at least n entries.
    ///
    /// Karp–Markstein: the inverse only to ⌈n/2⌉, then q₀ = a·b⁻¹ mod t^⌈n/2⌉ and one correction
    /// q₁ = b⁻¹·(a − b q₀)/t^⌈n/2⌉, which saves the inverse's last (most expensive) step.
    func divide(
        _ q: UnsafeMutablePointer<UInt>, _ a: UnsafePointer<UInt>, by b: UnsafePointer<UInt>, length n: Int,
        modulus: nmod_t
    ) {
        precondition(n >= 1 && n <= capacity)
        let m = (n + 1) / 2
        invert(inverse, b, length: m, modulus: modulus)
        multiply(q, a, m, inverse, m, from: 0, to: m, modulus: modulus)
        if n == m { return }
        // a − b·q₀ vanishes below t^m; its next n − m coefficients, divided by b, continue q.
        multiply(middle, b, n, q, m, from: m, to: n, modulus: modulus)
        for i in 0..<(n - m) { middle[i] = MultimodularSeries.subMod(a[m + i], middle[i], modulus.n) }
        multiply(q + m, inverse, n - m, middle, n - m, from: 0, to: n - m, modulus: modulus)
    }

    /// g = 1/b mod tⁿ (b₀ invertible mod p); `g` must not overlap `b`, which has at least n entries.
    func invert(_ g: UnsafeMutablePointer<UInt>, _ b: UnsafePointer<UInt>, length n: Int, modulus: nmod_t) {
        precondition(n >= 1 && n <= capacity)
        if n <= inverseCutoff {
            _nmod_poly_inv_series_basecase(g, b, n, n, modulus)
            return
        }
        let m = (n + 1) / 2
        invert(g, b, length: m, modulus: modulus)
        extendInverse(g, of: b, from: m, to: n, modulus: modulus)
    }

    /// f = exp(h) mod tⁿ, for h₀ = 0 and n ≤ p. `reciprocals[k]` is 1/k mod p for 1 ≤ k < n.
    /// `f` must not overlap `h`, which has at least n entries.
    func exponential(
        _ f: UnsafeMutablePointer<UInt>, _ h: UnsafePointer<UInt>, length n: Int,
        reciprocals: UnsafePointer<UInt>, modulus: nmod_t
    ) {
        precondition(n >= 1 && n <= capacity && h[0] == 0)
        if n > 1 { _nmod_poly_derivative(derivative, h, n, modulus) }
        exponentialStep(f, h, length: n, needsInverse: false, reciprocals: reciprocals, modulus: modulus)
    }

    /// f = exp(h) mod tⁿ from f mod t^⌈n/2⌉, keeping 1/f in `inverse` to the same precision as f
    /// while a longer step still needs it.
    ///
    /// From f = exp(h) mod t^m and g = 1/f mod t^m (n ≤ 2m): ε = h − log f vanishes below t^m and
    /// ε' = h' − f'/f = g·(h'f − f'). As deg f' < m − 1, coefficients m − 1 … n − 2 of h'f − f' are
    /// those of h'f. Then exp(h) = f·exp(ε) = f·(1 + ε) mod tⁿ, because ε² vanishes below t^{2m}.
    private func exponentialStep(
        _ f: UnsafeMutablePointer<UInt>, _ h: UnsafePointer<UInt>, length n: Int, needsInverse: Bool,
        reciprocals: UnsafePointer<UInt>, modulus: nmod_t
    ) {
        if n <= exponentialCutoff {
            _nmod_poly_exp_series_basecase(f, h, n, n, modulus)
            if needsInverse { _nmod_poly_inv_series_basecase(inverse, f, n, n, modulus) }
            return
        }
        let m = (n + 1) / 2
        let k = n - m  // new coefficients, k ≤ m
        exponentialStep(f, h, length: m, needsInverse: true, reciprocals: reciprocals, modulus: modulus)
        // (h'f)[m − 1 ..< n − 1], then ε'[m − 1 ..< n − 1] = (g · that) mod t^k.
        multiply(middle, derivative, n - 1, f, m, from: m - 1, to: n - 1, modulus: modulus)
        multiply(correction, inverse, k, middle, k, from: 0, to: k, modulus: modulus)
        // ε_j = ε'_{j−1} / j for m ≤ j < n (stored shifted by m).
        let p = modulus.n
        let pInverse = modulus.ninv
        for i in 0..<k {
            correction[i] = n_mulmod2_preinv(correction[i], reciprocals[m + i], p, pInverse)
        }
        // f[m ..< n] = (f·ε)[m ..< n] = (f mod t^k · ε/t^m) mod t^k.
        multiply(f + m, f, k, correction, k, from: 0, to: k, modulus: modulus)
        if needsInverse { extendInverse(inverse, of: f, from: m, to: n, modulus: modulus) }
    }

    /// g = 1/b mod t^m → mod tⁿ (m < n ≤ 2m): b·g = 1 + t^m·e mod tⁿ, so g − g·t^m·e is 1/b mod tⁿ.
    private func extendInverse(
        _ g: UnsafeMutablePointer<UInt>, of b: UnsafePointer<UInt>, from m: Int, to n: Int, modulus: nmod_t
    ) {
        let k = n - m
        multiply(middle, b, n, g, m, from: m, to: n, modulus: modulus)
        multiply(g + m, g, k, middle, k, from: 0, to: k, modulus: modulus)
        for i in 0..<k where g[m + i] != 0 { g[m + i] = modulus.n - g[m + i] }
    }

    /// Coefficients [low, high) of a·b into `out` (which must not overlap a or b). Full products are
    /// KS4 in FLINT 2.9 and faster than its truncated `mullow` except for short products.
    private func multiply(
        _ out: UnsafeMutablePointer<UInt>, _ a: UnsafePointer<UInt>, _ aLength: Int, _ b: UnsafePointer<UInt>,
        _ bLength: Int, from low: Int, to high: Int, modulus: nmod_t
    ) {
        // Coefficients at or above `high` cannot contribute.
        var (x, xLength, y, yLength) = (a, min(aLength, high), b, min(bLength, high))
        if xLength < yLength {
            swap(&x, &y)
            swap(&xLength, &yLength)
        }
        let fullLength = xLength + yLength - 1
        if high < fullProductThreshold && high < fullLength {
            _nmod_poly_mullow(product, x, xLength, y, yLength, high, modulus)
        } else {
            _nmod_poly_mul(product, x, xLength, y, yLength, modulus)
        }
        let available = min(high, fullLength)
        if low < available { out.update(from: product + low, count: available - low) }
        if available < high { (out + max(0, available - low)).update(repeating: 0, count: high - max(low, available)) }
    }
}
