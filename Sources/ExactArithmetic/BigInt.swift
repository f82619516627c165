import CGMP

/// An arbitrary-precision integer backed by GMP's `mpz_t`.
///
/// Value semantics: the GMP integer lives in an immutable, reference-counted box; every operation
/// builds a new box, so copies never alias mutable state. GMP memory is freed when the box dies.
public struct BigInt: Sendable {
    typealias Box = GMPBox<__mpz_struct>
    let box: Box

    init(box: Box) { self.box = box }

    /// Builds a new value by letting `fill` write into a fresh, initialised `mpz_t`.
    package static func make(_ fill: (UnsafeMutablePointer<__mpz_struct>) -> Void) -> BigInt {
        BigInt(box: Box(fill))
    }

    /// Read-only access to the underlying `mpz_t` for GMP calls.
    package func withMPZ<R>(_ body: (UnsafePointer<__mpz_struct>) -> R) -> R {
        body(box.pointer)
    }

    /// The integer `value`.
    public init(_ value: Int) {
        self = BigInt.make { __gmpz_set_si($0, value) }
    }

    /// Parses an optionally signed decimal string ("-123"). Returns nil for anything else.
    public init?(_ decimal: String) {
        var text = Substring(decimal)
        if text.first == "+" { text = text.dropFirst() }
        let digits = text.first == "-" ? text.dropFirst() : text
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let box = Box()
        let status = String(text).withCString { __gmpz_set_str(box.pointer, $0, 10) }
        guard status == 0 else { return nil }
        self.init(box: box)
    }

    /// The integer equal to `value`, or nil if `value` is not a finite integer.
    public init?(exactly value: Double) {
        guard value.isFinite, value.rounded(.towardZero) == value else { return nil }
        self = BigInt.make { __gmpz_set_d($0, value) }
    }

    /// −1, 0 or +1.
    public var signum: Int {
        withMPZ { Int($0.pointee._mp_size.signum()) }
    }

    /// Whether the value is 0.
    public var isZero: Bool { signum == 0 }

    /// Number of bits in |self| (0 for zero).
    public var bitWidth: Int {
        isZero ? 0 : withMPZ { Int(__gmpz_sizeinbase($0, 2)) }
    }

    /// The nearest `Double` (truncated by GMP for huge values; ±infinity past Double's range).
    public var doubleValue: Double {
        guard bitWidth <= 1023 else { return signum < 0 ? -.infinity : .infinity }
        return withMPZ { __gmpz_get_d($0) }
    }

    /// The value as an `Int` if it fits.
    public var intValue: Int? {
        withMPZ { __gmpz_fits_slong_p($0) != 0 ? __gmpz_get_si($0) : nil }
    }
}
