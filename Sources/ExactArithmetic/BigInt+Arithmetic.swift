import CGMP

extension BigInt: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self.init(value) }
}

extension BigInt: AdditiveArithmetic {
    /// Zero.
    public static var zero: BigInt { BigInt(0) }

    public static func + (lhs: BigInt, rhs: BigInt) -> BigInt {
        lhs.withMPZ { a in rhs.withMPZ { b in make { __gmpz_add($0, a, b) } } }
    }

    public static func - (lhs: BigInt, rhs: BigInt) -> BigInt {
        lhs.withMPZ { a in rhs.withMPZ { b in make { __gmpz_sub($0, a, b) } } }
    }
}

extension BigInt {
    public static func * (lhs: BigInt, rhs: BigInt) -> BigInt {
        lhs.withMPZ { a in rhs.withMPZ { b in make { __gmpz_mul($0, a, b) } } }
    }

    public static func * (lhs: BigInt, rhs: Int) -> BigInt {
        lhs.withMPZ { a in make { __gmpz_mul_si($0, a, rhs) } }
    }

    public static func *= (lhs: inout BigInt, rhs: BigInt) { lhs = lhs * rhs }
    public static func *= (lhs: inout BigInt, rhs: Int) { lhs = lhs * rhs }

    public static prefix func - (value: BigInt) -> BigInt {
        value.withMPZ { a in make { __gmpz_neg($0, a) } }
    }

    /// The absolute value.
    public var magnitude: BigInt {
        withMPZ { a in BigInt.make { __gmpz_abs($0, a) } }
    }

    /// Truncating division (quotient rounds toward zero, remainder has the sign of `self`), like `Int`.
    public func quotientAndRemainder(dividingBy divisor: BigInt) -> (quotient: BigInt, remainder: BigInt) {
        precondition(!divisor.isZero, "BigInt division by zero")
        let q = Box(), r = Box()
        withMPZ { n in divisor.withMPZ { d in __gmpz_tdiv_qr(q.pointer, r.pointer, n, d) } }
        return (BigInt(box: q), BigInt(box: r))
    }

    public static func / (lhs: BigInt, rhs: BigInt) -> BigInt { lhs.quotientAndRemainder(dividingBy: rhs).quotient }
    public static func % (lhs: BigInt, rhs: BigInt) -> BigInt { lhs.quotientAndRemainder(dividingBy: rhs).remainder }

    /// The non-negative residue of `self` modulo a positive word-size modulus.
    public func residue(modulo modulus: UInt) -> UInt {
        precondition(modulus > 0)
        return withMPZ { a in
            let r = BigInt.make { __gmpz_fdiv_r_ui($0, a, modulus) }
            return r.withMPZ { UInt(__gmpz_get_ui($0)) }
        }
    }

    /// `self` raised to a non-negative power.
    public func power(_ exponent: Int) -> BigInt {
        precondition(exponent >= 0)
        return withMPZ { a in BigInt.make { __gmpz_pow_ui($0, a, UInt(exponent)) } }
    }

    /// `self · 2^shift` for shift ≥ 0.
    public func shiftedLeft(_ shift: Int) -> BigInt {
        precondition(shift >= 0)
        return withMPZ { a in BigInt.make { __gmpz_mul_2exp($0, a, UInt(shift)) } }
    }

    /// Greatest common divisor (non-negative).
    public static func gcd(_ a: BigInt, _ b: BigInt) -> BigInt {
        a.withMPZ { x in b.withMPZ { y in make { __gmpz_gcd($0, x, y) } } }
    }

    /// n! for n ≥ 0 (GMP's binary-splitting factorial).
    public static func factorial(_ n: Int) -> BigInt {
        precondition(n >= 0, "factorial of a negative number")
        return make { __gmpz_fac_ui($0, UInt(n)) }
    }

    /// The binomial coefficient C(n, k) for n, k ≥ 0.
    public static func binomial(_ n: Int, _ k: Int) -> BigInt {
        precondition(n >= 0 && k >= 0)
        return make { __gmpz_bin_uiui($0, UInt(n), UInt(k)) }
    }

    /// Sum of a sequence, accumulated in place (one GMP integer, no per-term allocation).
    public static func sum<S: Sequence>(_ terms: S) -> BigInt where S.Element == BigInt {
        make { acc in for t in terms { t.withMPZ { __gmpz_add(acc, acc, $0) } } }
    }
}

extension BigInt: Equatable, Hashable, Comparable {
    public static func == (lhs: BigInt, rhs: BigInt) -> Bool { compare(lhs, rhs) == 0 }
    public static func < (lhs: BigInt, rhs: BigInt) -> Bool { compare(lhs, rhs) < 0 }

    static func compare(_ lhs: BigInt, _ rhs: BigInt) -> Int32 {
        lhs.withMPZ { a in rhs.withMPZ { b in __gmpz_cmp(a, b) } }
    }

    public func hash(into hasher: inout Hasher) {
        // Limbs and sign determine the value uniquely (GMP keeps integers normalised).
        withMPZ { z in
            let size = Int(z.pointee._mp_size)
            hasher.combine(size)
            for i in 0..<abs(size) { hasher.combine(z.pointee._mp_d[i]) }
        }
    }
}
