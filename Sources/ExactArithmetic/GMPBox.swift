import CGMP

/// A GMP value type (`mpz_t`, `mpq_t`) with its initialiser and destructor.
protocol GMPValue {
    static func initialize(_ value: UnsafeMutablePointer<Self>)
    static func clear(_ value: UnsafeMutablePointer<Self>)
}

extension __mpz_struct: GMPValue {
    static func initialize(_ value: UnsafeMutablePointer<Self>) { __gmpz_init(value) }
    static func clear(_ value: UnsafeMutablePointer<Self>) { __gmpz_clear(value) }
}

extension __mpq_struct: GMPValue {
    static func initialize(_ value: UnsafeMutablePointer<Self>) { __gmpq_init(value) }
    static func clear(_ value: UnsafeMutablePointer<Self>) { __gmpq_clear(value) }
}

/// Owns one initialised GMP value at a stable address, freed on deinit. Never mutated after the
/// code that filled it returns, so sharing it across threads is safe; reads go through the
/// pointer, not through inout access to a stored property. `BigInt` and `Rational` get value
/// semantics by building a new box for every result.
final class GMPBox<Value: GMPValue>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Value>

    init() {
        pointer = .allocate(capacity: 1)
        Value.initialize(pointer)
    }

    /// A new box filled by `fill`.
    convenience init(_ fill: (UnsafeMutablePointer<Value>) -> Void) {
        self.init()
        fill(pointer)
    }

    deinit {
        Value.clear(pointer)
        pointer.deallocate()
    }
}
