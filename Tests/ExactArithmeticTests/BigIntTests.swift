import Testing
import Foundation
@testable import ExactArithmetic

@Suite("BigInt")
struct BigIntTests {
    @Test("decimal strings round-trip, including signs and huge values")
    func decimalRoundTrip() throws {
        for text in ["0", "7", "-7", "123456789012345678901234567890", "-98765432109876543210987654321098765"] {
            let value = try #require(BigInt(text))
            #expect(value.description == text)
        }
        #expect(BigInt("+42")?.description == "42")
        for bad in ["", "-", "1.5", "12a", " 3", "0x10", "--1"] {
            #expect(BigInt(bad) == nil, "\(bad) should not parse")
        }
    }

    @Test("arithmetic agrees with Int where Int does not overflow")
    func agreesWithInt() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let a = Int.random(in: -1_000_000_000...1_000_000_000, using: &generator)
            let b = Int.random(in: -1_000_000_000...1_000_000_000, using: &generator)
            let x = BigInt(a), y = BigInt(b)
            #expect((x + y).intValue == a + b)
            #expect((x - y).intValue == a - b)
            #expect((x * y).intValue == a * b)
            #expect((x < y) == (a < b))
            #expect((x == y) == (a == b))
            if b != 0 {
                let (q, r) = x.quotientAndRemainder(dividingBy: y)
                #expect(q.intValue == a / b && r.intValue == a % b)
            }
            #expect((-x).intValue == -a)
            #expect(x.signum == a.signum())
        }
    }

    @Test("products past 64 bits: (2^64 + 1)(2^64 − 1) = 2^128 − 1")
    func bigProducts() {
        let two64 = BigInt(1).shiftedLeft(64)
        let product = (two64 + 1) * (two64 - 1)
        #expect(product == BigInt(1).shiftedLeft(128) - 1)
        #expect(product.description == "340282366920938463463374607431768211455")
        #expect(product.bitWidth == 128)
        #expect(BigInt(2).power(128) - 1 == product)
    }

    @Test("factorials and binomials have their known values")
    func factorials() {
        #expect(BigInt.factorial(0) == 1)
        #expect(BigInt.factorial(20).intValue == 2_432_902_008_176_640_000)
        #expect(BigInt.factorial(30).description == "265252859812191058636308480000000")
        #expect(BigInt.factorial(100).decimalDigitCount == 158)
        #expect(BigInt.binomial(50, 25).description == "126410606437752")
        // n! = n · (n−1)!
        for n in 1...60 { #expect(BigInt.factorial(n) == BigInt.factorial(n - 1) * n) }
    }

    @Test("digit counts are exact at powers of ten")
    func digitCounts() {
        #expect(BigInt(0).decimalDigitCount == 1)
        for k in 1...200 {
            let power = BigInt(10).power(k)
            #expect(power.decimalDigitCount == k + 1)
            #expect((power - 1).decimalDigitCount == k)
            #expect((-power).decimalDigitCount == k + 1)
        }
    }

    @Test("log10 of huge values: 10^5000 and 1000!")
    func logarithms() {
        #expect(abs(BigInt(10).power(5000).log10Magnitude - 5000) < 1e-9)
        // log10(1000!) = 2567.604644222133... (Stirling / lgamma)
        let expected = lgamma(1001.0) / log(10.0)
        #expect(abs(BigInt.factorial(1000).log10Magnitude - expected) < 1e-9)
        #expect(BigInt(0).log10Magnitude == -.infinity)
        // Far past Double's range: 100000! has 456574 digits.
        let huge = BigInt.factorial(100_000)
        #expect(huge.decimalDigitCount == 456_574)
        #expect(abs(huge.log10Magnitude - lgamma(100_001.0) / log(10.0)) < 1e-6)
        #expect(huge.doubleValue == .infinity)
    }

    @Test("residues, gcd, sums and hashing")
    func residuesAndHashing() {
        let x = BigInt.factorial(50) + 17
        #expect(x.residue(modulo: 1_000_000_007) == UInt((x % BigInt(1_000_000_007)).intValue!))
        #expect((-BigInt(5)).residue(modulo: 3) == 1)
        #expect(BigInt.gcd(BigInt(84), BigInt(-36)) == 12)
        #expect(BigInt.sum((1...100).map { BigInt($0) }) == 5050)
        let set: Set<BigInt> = [BigInt(3), BigInt("3")!, BigInt(-3), BigInt.factorial(40), BigInt.factorial(40) * 1]
        #expect(set.count == 3)
    }

    @Test("exact conversion from Double")
    func fromDouble() {
        #expect(BigInt(exactly: 1e20)?.description == "100000000000000000000")
        #expect(BigInt(exactly: -3.0) == -3)
        #expect(BigInt(exactly: 0.5) == nil)
        #expect(BigInt(exactly: .nan) == nil)
        #expect(BigInt(exactly: .infinity) == nil)
    }

    @Test("values are independent copies and GMP memory is released")
    func valueSemanticsAndMemory() {
        var a = BigInt.factorial(100)
        let b = a
        a = a + 1
        #expect(a - b == 1)
        // Many large temporaries (~7 kB each): a leak would add ~350 MB; other suites running in
        // parallel in this process move RSS by far less than the 150 MB allowed.
        let before = residentKilobytes()
        for _ in 0..<50_000 { _ = BigInt.factorial(2000) * BigInt.factorial(1000) }
        let growth = residentKilobytes() - before
        // Under AddressSanitizer freed memory sits in quarantine (256 MB by default), so RSS says nothing
        // there; LeakSanitizer checks the same loop for leaks at exit instead.
        let underAddressSanitizer = dlsym(nil, "__asan_init") != nil
        #expect(underAddressSanitizer || growth < 150_000, "RSS grew by \(growth) kB: GMP memory is leaking")
    }
}

/// Current resident set size from /proc (Linux).
func residentKilobytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

@Suite("Rational")
struct RationalTests {
    @Test("every finite Double converts exactly")
    func exactDoubles() throws {
        let tenth = try #require(Rational(exactly: 0.1))
        #expect(tenth.description == "3602879701896397/36028797018963968")
        #expect(tenth != Rational(1, 10))
        #expect(Rational(exactly: Double.nan) == nil)
        #expect(Rational(exactly: Float.infinity) == nil)
        let tiny = try #require(Rational(exactly: Double.leastNonzeroMagnitude))
        #expect(tiny.denominator == BigInt(2).power(1074))
        for _ in 0..<1000 {
            let x = Double.random(in: -1e6...1e6)
            #expect(Rational(exactly: x)!.doubleValue == x)
        }
    }

    @Test("field operations are exact: 0.1 + 0.2 ≠ 0.3 as doubles, but (1/10 + 2/10) = 3/10")
    func fieldOperations() {
        let a = Rational(1, 10), b = Rational(2, 10)
        #expect(a + b == Rational(3, 10))
        #expect(Rational(exactly: 0.1)! + Rational(exactly: 0.2)! != Rational(exactly: 0.3)!)
        #expect(Rational(2, 4).description == "1/2")
        #expect(Rational(3, -6).description == "-1/2")
        #expect((a / b) == Rational(1, 2))
        #expect((a * b) == Rational(1, 50))
        #expect(a - b == -a)
        #expect(a < b && -b < -a)
        #expect(Rational(6, 3).description == "2")
        #expect(Rational(0).signum == 0 && Rational(-1, 3).signum == -1)
    }
}

@Suite("Sharing across threads")
struct ConcurrencyTests {
    @Test("one BigInt and one Rational read from many threads at once give consistent results")
    func sharedReads() {
        let shared = BigInt.factorial(500)
        let third = Rational(1, 3)
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 64)
        defer { results.deallocate() }
        nonisolated(unsafe) let output = results
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let product = shared * BigInt(i + 1)
            let back = product.quotientAndRemainder(dividingBy: BigInt(i + 1))
            output[i] = back.quotient == shared && back.remainder.isZero && (third * Rational(3) == Rational(1))
        }
        #expect(results.allSatisfy { $0 })
    }
}
