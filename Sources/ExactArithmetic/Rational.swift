import CGMP

/// An exact rational number backed by GMP's `mpq_t`, always in canonical form
/// (positive denominator, numerator and denominator coprime).
///
/// Every finite `Double` and `Float` converts exactly (they are dyadic rationals), which is what
/// certificate checking needs: re-evaluate a floating-point claim with no rounding at all.
public struct Rational: Sendable {
    typealias Box = GMPBox<__mpq_struct>
    let box: Box

    init(box: Box) { self.box = box }

    package static func make(_ fill: (UnsafeMutablePointer<__mpq_struct>) -> Void) -> Rational {
        Rational(box: Box(fill))
    }

    package func withMPQ<R>(_ body: (UnsafePointer<__mpq_struct>) -> R) -> R {
        body(box.pointer)
    }

    /// The integer `value` as a fraction `value/1`.
    public init(_ value: Int) {
        self = Rational.make { q in
            let n = BigInt(value)
            n.withMPZ { __gmpq_set_z(q, $0) }
        }
    }

    /// The integer `integer` as a fraction `integer/1`.
    public init(_ integer: BigInt) {
        self = Rational.make { q in integer.withMPZ { __gmpq_set_z(q, $0) } }
    }

    /// numerator / denominator, reduced. The denominator must not be zero.
    public init(_ numerator: BigInt, _ denominator: BigInt) {
        precondition(!denominator.isZero, "Rational with zero denominator")
        self = Rational.make { q in
            numerator.withMPZ { __gmpq_set_num(q, $0) }
            denominator.withMPZ { __gmpq_set_den(q, $0) }
            __gmpq_canonicalize(q)
        }
    }

    /// The exact value of a finite Double; nil for NaN and infinities.
    public init?(exactly value: Double) {
        guard value.isFinite else { return nil }
        self = Rational.make { __gmpq_set_d($0, value) }
    }

    /// The exact value of a finite Float; nil for NaN and infinities.
    public init?(exactly value: Float) {
        self.init(exactly: Double(value))  // Float → Double is exact
    }

    /// The numerator in lowest terms (carries the sign).
    public var numerator: BigInt { BigInt.make { __gmpq_get_num($0, box.pointer) } }

    /// The denominator in lowest terms (always positive).
    public var denominator: BigInt { BigInt.make { __gmpq_get_den($0, box.pointer) } }

    /// −1, 0 or +1.
    public var signum: Int { withMPQ { Int($0.pointee._mp_num._mp_size.signum()) } }

    /// Whether the value is 0.
    public var isZero: Bool { signum == 0 }

    /// The nearest Double (GMP truncates; within one ulp).
    public var doubleValue: Double { withMPQ { __gmpq_get_d($0) } }

    /// The absolute value.
    public var magnitude: Rational { withMPQ { a in Rational.make { __gmpq_abs($0, a) } } }
}

extension Rational: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self.init(value) }
}

extension Rational: AdditiveArithmetic {
    /// Zero.
    public static var zero: Rational { Rational(0) }

    public static func + (lhs: Rational, rhs: Rational) -> Rational {
        lhs.withMPQ { a in rhs.withMPQ { b in make { __gmpq_add($0, a, b) } } }
    }

    public static func - (lhs: Rational, rhs: Rational) -> Rational {
        lhs.withMPQ { a in rhs.withMPQ { b in make { __gmpq_sub($0, a, b) } } }
    }
}

extension Rational {
    public static func * (lhs: Rational, rhs: Rational) -> Rational {
        lhs.withMPQ { a in rhs.withMPQ { b in make { __gmpq_mul($0, a, b) } } }
    }

    public static func / (lhs: Rational, rhs: Rational) -> Rational {
        precondition(!rhs.isZero, "Rational division by zero")
        return lhs.withMPQ { a in rhs.withMPQ { b in make { __gmpq_div($0, a, b) } } }
    }

    public static func *= (lhs: inout Rational, rhs: Rational) { lhs = lhs * rhs }
    public static func /= (lhs: inout Rational, rhs: Rational) { lhs = lhs / rhs }

    public static prefix func - (value: Rational) -> Rational {
        value.withMPQ { a in make { __gmpq_neg($0, a) } }
    }
}

extension Rational: Equatable, Hashable, Comparable {
    public static func == (lhs: Rational, rhs: Rational) -> Bool {
        lhs.withMPQ { a in rhs.withMPQ { b in __gmpq_equal(a, b) != 0 } }
    }

    public static func < (lhs: Rational, rhs: Rational) -> Bool {
        lhs.withMPQ { a in rhs.withMPQ { b in __gmpq_cmp(a, b) < 0 } }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(numerator)
        hasher.combine(denominator)
    }
}

extension Rational: CustomStringConvertible {
    /// "p/q", or "p" when the denominator is 1.
    public var description: String {
        let q = denominator
        return q == 1 ? numerator.description : "\(numerator)/\(q)"
    }
}
