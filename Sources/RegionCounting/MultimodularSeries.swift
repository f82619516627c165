import CFLINT
import Dispatch
import ExactArithmetic
import Foundation

/// Exact partial sums Σ_k w_k e_k of e_k = e_k(1, …, C − 1), k ≤ D, for very large C and D,
/// by computing them modulo many word-size primes and recombining with the Chinese remainder theorem.
///
/// Why: the exact product ∏(1 + i t) costs C·D big-integer steps on numbers of up to ~10⁵ bits —
/// hours at (C, D) = (128256, 4096). Modulo one prime p > D + 1, every step is a power series of
/// length D + 1, and Newton series division and exponential (NewtonSeries.swift) cost Õ(D):
///
///     Σ_{i<C} e^{i t} = (e^{C t} − 1) / (e^t − 1)            → power sums p_j = Σ_{i<C} i^j
///     log ∏(1 + i t)   = Σ_{j≥1} (−1)^{j−1} p_j t^j / j
///     ∏(1 + i t)       = exp(log …)                            → e_0 … e_D  (mod p)
///
/// The number of primes follows from a rigorous bound on the answer's size, the primes are
/// independent (so they run in parallel), and only the few requested sums are recombined.
enum MultimodularSeries {
    /// The exact values of `weights.map { Σ_k w_k e_k }` (each row has D + 1 entries, D ≥ 1).
    static func partialSums(
        classes: Int, degree: Int, weights: [[Int]], threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [BigInt] {
        precondition(degree >= 1 && weights.allSatisfy { $0.count == degree + 1 })
        let maxWeight = weights.flatMap { $0 }.map { abs($0) }.max() ?? 1
        // |Σ w_k e_k| ≤ maxWeight · Σ e_k < 2^bits; signed results need the modulus to exceed twice that.
        let bits = Int(log2(Double(maxWeight))) + sumBitBound(classes: classes, degree: degree) + 2
        let primes = wordPrimes(coveringBits: bits, above: UInt(degree + 2))
        var residues = [[UInt]](repeating: [], count: primes.count)
        let workers = max(1, min(threads, primes.count))
        residues.withUnsafeMutableBufferPointer { output in
            nonisolated(unsafe) let output = output
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                // Each worker owns its scratch buffers; primes are dealt round-robin for balance.
                var scratch = SeriesScratch(length: degree + 1)
                for index in stride(from: worker, to: primes.count, by: workers) {
                    let e = scratch.elementarySymmetric(classes: classes, prime: primes[index])
                    output[index] = weights.map { row in weightedSum(e, row, prime: primes[index]) }
                }
            }
        }
        return (0..<weights.count).map { target in
            ChineseRemainder.signedValue(residues: residues.map { $0[target] }, primes: primes)
        }
    }

    /// Bits of an upper bound on Σ_{k≤D} e_k(1, …, C−1).
    /// e_k ≤ s^k / k! with s = Σ i = C(C−1)/2 (Maclaurin), and the sum is at most C!.
    static func sumBitBound(classes: Int, degree: Int) -> Int {
        let s = Double(classes) * Double(classes - 1) / 2
        var best = -Double.infinity
        for k in 0...degree {  // the maximum term; cheap, and avoids reasoning about where it peaks
            best = max(best, Double(k) * log2(s) - lgamma(Double(k) + 1) / log(2))
        }
        let termsBound = best + log2(Double(degree + 1))
        let factorialBound = lgamma(Double(classes) + 1) / log(2)
        return Int(min(termsBound, factorialBound).rounded(.up)) + 1
    }

    /// Consecutive primes just above 2^62 whose product exceeds 2^bits.
    /// (Below 2^63 so FLINT's preinverted arithmetic applies; far above D + 2 so j! is invertible.)
    static func wordPrimes(coveringBits bits: Int, above minimum: UInt) -> [UInt] {
        precondition(minimum < 1 << 62)
        var primes: [UInt] = []
        var covered = 0.0
        var candidate: UInt = 1 << 62
        while covered <= Double(bits) {
            candidate = UInt(n_nextprime(ulong(candidate), 1))
            primes.append(candidate)
            covered += log2(Double(candidate)) - 1e-9
        }
        return primes
    }

    static func weightedSum(_ e: [UInt], _ weights: [Int], prime: UInt) -> UInt {
        var total: UInt = 0
        for (k, w) in weights.enumerated() where w != 0 {
            let term = UInt(
                n_mulmod2_preinv(ulong(e[k]), ulong(UInt(abs(w)) % prime), ulong(prime), n_preinvert_limb(ulong(prime)))
            )
            total = w > 0 ? addMod(total, term, prime) : subMod(total, term, prime)
        }
        return total
    }

    static func addMod(_ a: UInt, _ b: UInt, _ p: UInt) -> UInt {
        let s = a &+ b
        return s >= p || s < a ? s &- p : s
    }
    static func subMod(_ a: UInt, _ b: UInt, _ p: UInt) -> UInt { a >= b ? a - b : a &+ (p - b) }
}

/// Per-thread buffers for one prime's series computation (reused across primes).
struct SeriesScratch {
    let length: Int
    var numerator: [UInt], denominator: [UInt], quotient: [UInt], logarithm: [UInt], result: [UInt]
    var factorials: [UInt], inverseFactorials: [UInt], reciprocals: [UInt]
    /// The Newton iterations' own buffers (FLINT 2.9's series functions are slower at these lengths).
    let workspace: SeriesWorkspace

    init(length: Int) {
        self.length = length
        let zeros = [UInt](repeating: 0, count: length + 2)
        numerator = zeros
        denominator = zeros
        quotient = zeros
        logarithm = zeros
        result = zeros
        factorials = zeros
        inverseFactorials = zeros
        reciprocals = zeros
        workspace = SeriesWorkspace(capacity: length)
    }

    /// e_0 … e_{length−1} of 1, …, C − 1 modulo `prime`.
    mutating func elementarySymmetric(classes: Int, prime p: UInt) -> [UInt] {
        var modulus = nmod_t()
        nmod_init(&modulus, ulong(p))
        let inverse = UInt(n_preinvert_limb(ulong(p)))
        func mul(_ a: UInt, _ b: UInt) -> UInt { UInt(n_mulmod2_preinv(ulong(a), ulong(b), ulong(p), ulong(inverse))) }
        let n = length

        // j! and 1/j! for j ≤ n + 1.
        factorials[0] = 1
        for j in 1...(n + 1) { factorials[j] = mul(factorials[j - 1], UInt(j) % p) }
        inverseFactorials[n + 1] = UInt(n_invmod(ulong(factorials[n + 1]), ulong(p)))
        for j in stride(from: n + 1, through: 1, by: -1) {
            inverseFactorials[j - 1] = mul(inverseFactorials[j], UInt(j) % p)
        }

        // (e^{Ct} − 1)/t = Σ_j C^{j+1} t^j/(j+1)!   and   (e^t − 1)/t = Σ_j t^j/(j+1)!
        let c = UInt(classes) % p
        var power = c
        for j in 0..<n {
            numerator[j] = mul(power, inverseFactorials[j + 1])
            denominator[j] = inverseFactorials[j + 1]
            power = mul(power, c)
        }
        // Their quotient is Σ_j p_j t^j / j!, with p_j = Σ_{i<C} i^j.
        numerator.withUnsafeBufferPointer { a in
            denominator.withUnsafeBufferPointer { b in
                quotient.withUnsafeMutableBufferPointer { q in
                    workspace.divide(q.baseAddress!, a.baseAddress!, by: b.baseAddress!, length: n, modulus: modulus)
                }
            }
        }
        // log ∏(1 + i t) = Σ_{j≥1} (−1)^{j−1} (p_j / j) t^j, and p_j / j = q_j · (j − 1)!.
        logarithm[0] = 0
        for j in 1..<n {
            let value = mul(quotient[j], factorials[j - 1])
            logarithm[j] = j % 2 == 1 ? value : (value == 0 ? 0 : p - value)
        }
        // 1/k = (k − 1)! · (1/k!) for the exponential's integrals.
        for k in 1..<n { reciprocals[k] = mul(factorials[k - 1], inverseFactorials[k]) }
        logarithm.withUnsafeBufferPointer { h in
            reciprocals.withUnsafeBufferPointer { r in
                result.withUnsafeMutableBufferPointer { f in
                    workspace.exponential(
                        f.baseAddress!, h.baseAddress!, length: n, reciprocals: r.baseAddress!, modulus: modulus)
                }
            }
        }
        return Array(result[0..<n])
    }
}
