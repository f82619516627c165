import CGMP

/// The exact solution of a linear system: unknown k is `numerators[k] / denominator`.
public struct ExactSolution: Sendable {
    /// One numerator per unknown (zero for the free unknowns of a basic solution).
    public let numerators: [BigInt]
    /// The common denominator, positive: the determinant of the pivot block (after row scaling).
    public let denominator: BigInt

    /// The unknowns as reduced fractions.
    public var values: [Rational] { numerators.map { Rational($0, denominator) } }

    /// The sign of each unknown (−1, 0 or 1), read off the numerators: no division needed.
    public var signs: [Int] { numerators.map(\.signum) }
}

extension Rational {
    /// A basic solution of the augmented system `rows` (each row: the n coefficients, then the
    /// right-hand side), all finite Doubles, exactly; nil if the system is inconsistent or a value
    /// is not finite. Unknowns without a pivot are 0.
    ///
    /// Floating-point numbers are dyadic, so each row becomes integers once scaled by a power of two.
    /// Fraction-free Gauss–Jordan elimination (Bareiss) then works on integers only: every entry
    /// stays a minor of the scaled matrix, every division is exact, and there is no gcd anywhere —
    /// several times cheaper than `basicSolution` over the rationals, and with entries bounded by
    /// Hadamard's bound instead of growing with the number of steps, so it serves any dimension.
    public static func dyadicBasicSolution(_ rows: [[Double]]) -> ExactSolution? {
        guard let width = rows.first?.count, width >= 1, rows.allSatisfy({ $0.count == width }),
            rows.allSatisfy({ $0.allSatisfy(\.isFinite) })
        else { return nil }
        let m = rows.count, n = width - 1
        var matrix = IntegerMatrix(rows: m, columns: width)
        defer { matrix.release() }
        for (i, row) in rows.enumerated() {
            // The row's smallest unit in the last place: x = integer × 2^unit for every entry.
            var unit = Int.max
            for x in row where x != 0 { unit = Swift.min(unit, Int(x.exponent) - x.significandWidth) }
            for (k, x) in row.enumerated() where x != 0 {
                // x = m × 2^e with m an integer below 2^53: set m, then shift by e − unit ≥ 0.
                let e = Int(x.exponent) - x.significandWidth
                let m = Double(sign: x.sign, exponent: x.significandWidth, significand: x.significand)
                __gmpz_set_d(matrix[i, k], m)
                __gmpz_mul_2exp(matrix[i, k], matrix[i, k], mp_bitcnt_t(e - unit))
            }
        }
        var previous = GMPInteger(1), product = GMPInteger(0)
        defer {
            previous.release()
            product.release()
        }
        var pivotColumns: [Int] = []
        var r = 0
        for column in 0..<n where r < m {
            guard let p = (r..<m).first(where: { matrix.signum(matrix[$0, column]) != 0 }) else { continue }
            matrix.swapRows(p, r)
            let pivot = matrix[r, column]
            for i in 0..<m where i != r {
                let factor = matrix[i, column]
                // Only the columns right of the pivot change (earlier pivot columns stay 0 off the
                // diagonal, and free columns do not enter the solution); the diagonal is fixed below.
                for k in (column + 1)..<width {
                    __gmpz_mul(product.pointer, pivot, matrix[i, k])
                    __gmpz_submul(product.pointer, factor, matrix[r, k])
                    __gmpz_divexact(matrix[i, k], product.pointer, previous.pointer)
                }
                __gmpz_set_ui(factor, 0)
            }
            __gmpz_set(previous.pointer, pivot)
            pivotColumns.append(column)
            r += 1
        }
        // Rows without a pivot must read 0 = 0.
        for i in r..<m where matrix.signum(matrix[i, n]) != 0 { return nil }
        let negate = matrix.signum(previous.pointer) < 0
        var numerators = [BigInt](repeating: BigInt(0), count: n)
        for (i, column) in pivotColumns.enumerated() {
            numerators[column] = BigInt.make {
                if negate { __gmpz_neg($0, matrix[i, n]) } else { __gmpz_set($0, matrix[i, n]) }
            }
        }
        let denominator = BigInt.make { __gmpz_abs($0, previous.pointer) }
        return ExactSolution(numerators: numerators, denominator: pivotColumns.isEmpty ? BigInt(1) : denominator)
    }
}

/// One GMP integer owned by a solver's frame (no per-operation allocation, unlike `BigInt`).
private struct GMPInteger {
    let pointer: UnsafeMutablePointer<__mpz_struct>

    init(_ value: Int) {
        pointer = .allocate(capacity: 1)
        __gmpz_init_set_si(pointer, value)
    }

    func release() {
        __gmpz_clear(pointer)
        pointer.deallocate()
    }
}

/// A dense matrix of GMP integers, row-major, updated in place.
private struct IntegerMatrix {
    let rows: Int
    let columns: Int
    private let storage: UnsafeMutablePointer<__mpz_struct>
    private var order: [Int]  // row swaps permute this instead of the entries

    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        storage = .allocate(capacity: rows * columns)
        for k in 0..<(rows * columns) { __gmpz_init(storage + k) }
        order = Array(0..<rows)
    }

    subscript(i: Int, k: Int) -> UnsafeMutablePointer<__mpz_struct> { storage + order[i] * columns + k }

    func signum(_ value: UnsafePointer<__mpz_struct>) -> Int { Int(value.pointee._mp_size.signum()) }

    mutating func swapRows(_ a: Int, _ b: Int) { order.swapAt(a, b) }

    func release() {
        for k in 0..<(rows * columns) { __gmpz_clear(storage + k) }
        storage.deallocate()
    }
}
