import ExactArithmetic

/// Recombination of residues modulo distinct primes (Garner's mixed-radix form, incremental).
enum ChineseRemainder {
    /// The unique x with |x| < M/2 (M = ∏ primes) and x ≡ rᵢ (mod pᵢ).
    /// O(n²) word operations for n primes — negligible next to computing the residues, since only a
    /// handful of values are recombined.
    static func signedValue(residues: [UInt], primes: [UInt]) -> BigInt {
        precondition(residues.count == primes.count && !primes.isEmpty)
        var value = BigInt(0)
        var modulus = BigInt(1)
        for (r, p) in zip(residues, primes) {
            // value + modulus·t ≡ r (mod p)  ⇒  t = (r − value)·modulus⁻¹ (mod p)
            let difference = MultimodularSeries.subMod(r % p, value.residue(modulo: p), p)
            let t = mulMod(difference, invMod(modulus.residue(modulo: p), p), p)
            value = value + modulus * BigInt(Int(bitPattern: t))  // t < p < 2^63
            modulus = modulus * BigInt(Int(bitPattern: p))
        }
        // value ∈ [0, M): map to the symmetric range.
        return value.shiftedLeft(1) > modulus ? value - modulus : value
    }

    static func mulMod(_ a: UInt, _ b: UInt, _ p: UInt) -> UInt {
        let (high, low) = a.multipliedFullWidth(by: b)
        return p.dividingFullWidth((high, low)).remainder
    }

    /// Inverse modulo a prime by Fermat: a^(p−2).
    static func invMod(_ a: UInt, _ p: UInt) -> UInt {
        precondition(a % p != 0)
        var result: UInt = 1, base = a % p, exponent = p - 2
        while exponent > 0 {
            if exponent & 1 == 1 { result = mulMod(result, base, p) }
            base = mulMod(base, base, p)
            exponent >>= 1
        }
        return result
    }
}
