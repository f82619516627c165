import CGMP
import Foundation

extension BigInt: CustomStringConvertible, LosslessStringConvertible {
    /// The decimal representation, e.g. "-1234".
    public var description: String { toString(radix: 10) }

    /// The digits in base `radix` (2…62), with a leading `-` when negative.
    public func toString(radix: Int) -> String {
        precondition((2...62).contains(radix))
        return withMPZ { z in
            // sizeinbase may overshoot by one; +2 leaves room for the sign and the terminating NUL.
            let capacity = Int(__gmpz_sizeinbase(z, Int32(radix))) + 2
            var buffer = [CChar](repeating: 0, count: capacity)
            __gmpz_get_str(&buffer, Int32(radix), z)
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Number of decimal digits of |self| (1 for zero). Exact, without printing the number.
    public var decimalDigitCount: Int {
        if isZero { return 1 }
        let estimate = withMPZ { Int(__gmpz_sizeinbase($0, 10)) }  // exact or one too many
        guard estimate > 1 else { return 1 }
        let smallestWithEstimateDigits = BigInt.make { __gmpz_ui_pow_ui($0, 10, UInt(estimate - 1)) }
        return magnitude < smallestWithEstimateDigits ? estimate - 1 : estimate
    }

    /// log10(|self|) as a Double, accurate for values far beyond Double's range. −infinity for zero.
    public var log10Magnitude: Double {
        if isZero { return -.infinity }
        var exponent = 0
        let mantissa = withMPZ { __gmpz_get_d_2exp(&exponent, $0) }  // |mantissa| in [0.5, 1)
        return Foundation.log10(Swift.abs(mantissa)) + Double(exponent) * Foundation.log10(2.0)
    }
}
