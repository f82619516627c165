import ConvexHulls
import ExactArithmetic
import Testing
@testable import Unargmaxable

/// Independent re-verification of every certificate in a report, in exact rational arithmetic.
func verifyCertificatesExactly(_ report: ArgmaxabilityReport, layer: SoftmaxLayer) -> [String] {
    var problems: [String] = []
    for result in report.results where result.verdict != .undecided {
        switch result.certificate {
        case .witness(let x)?:
            guard
                let margin = ExactCertificates.witnessMargin(
                    layer, class: result.index, witness: x, domain: report.domain), margin.signum > 0
            else {
                problems.append("class \(result.index): witness does not verify")
                continue
            }
            if result.verdict != .argmaxable {
                problems.append("class \(result.index): witness on a non-argmaxable verdict")
            }
        case let .multipliers(indices, weights, exact)?:
            let λ = exact.map { $0.map(parseRational) } ?? weights.map { Rational(exactly: $0)! }
            guard
                let bound = ExactCertificates.multiplierBound(
                    layer, class: result.index, indices: indices, weights: λ, domain: report.domain),
                bound.signum <= 0
            else {
                problems.append("class \(result.index): multipliers do not verify")
                continue
            }
            if result.verdict != .unargmaxable {
                problems.append("class \(result.index): multipliers on a non-unargmaxable verdict")
            }
        case nil:
            problems.append("class \(result.index): \(result.verdict) without a certificate")
        }
    }
    return problems
}

func parseRational(_ text: String) -> Rational {
    let parts = text.split(separator: "/")
    return parts.count == 2 ? Rational(BigInt(String(parts[0]))!, BigInt(String(parts[1]))!) : Rational(BigInt(text)!)
}

func randomLayer(classes: Int, dimension: Int, bias: Bool, seed: UInt64) throws -> SoftmaxLayer {
    let arrays = RandomLayerArrays(
        classes: classes, dimension: dimension, bias: bias, distribution: .normal, seed: seed)
    return try SoftmaxLayer(weights: arrays.weights, classes: classes, dimension: dimension, bias: arrays.bias)
}

func qhullTruth(_ layer: SoftmaxLayer) throws -> [Int] {
    let w = layer.weights.values
    if let b = layer.bias {
        return try ArgmaxGroundTruth.withBias(weights: w, bias: b, classes: layer.classes, dimension: layer.dimension)
            .unargmaxable
    }
    return try ArgmaxGroundTruth.withoutBias(weights: w, classes: layer.classes, dimension: layer.dimension)
        .unargmaxable
}

@Suite("Detectors against Qhull")
struct DetectorTests {
    @Test(
        "verdicts equal Qhull's on random layers, d = 2…9, with and without bias (unbounded inputs)",
        arguments: [false, true], 2...9)
    func againstQhull(bias: Bool, dimension: Int) throws {
        for seed in UInt64(1)...3 {
            // Qhull's cost grows like C^⌊d/2⌋ (and d + 1 with bias): keep C modest in high dimension.
            let classes = dimension <= 6 ? 20 + 15 * dimension : 60 - 4 * dimension
            let layer = try randomLayer(classes: classes, dimension: dimension, bias: bias, seed: seed)
            var options = DetectorOptions()
            options.domain = .unbounded
            options.patience = 5
            let report = UnargmaxableDetector.detect(layer, options: options)
            #expect(
                report.count(.undecided) == 0,
                "d=\(dimension) bias=\(bias) seed=\(seed): undecided \(report.indices(.undecided))")
            #expect(
                report.indices(.unargmaxable) == (try qhullTruth(layer)), "d=\(dimension) bias=\(bias) seed=\(seed)")
            #expect(verifyCertificatesExactly(report, layer: layer) == [])
        }
    }

    @Test("the exact stage alone agrees, with both objectives")
    func exactOnly() throws {
        for objective in ExactObjective.allCases {
            for bias in [false, true] {
                let layer = try randomLayer(classes: 60, dimension: 4, bias: bias, seed: 7)
                var options = DetectorOptions()
                options.domain = .unbounded
                options.approximate = false
                options.exact = objective
                let report = UnargmaxableDetector.detect(layer, options: options)
                #expect(report.indices(.unargmaxable) == (try qhullTruth(layer)), "\(objective) bias=\(bias)")
                #expect(report.count(.undecided) == 0)
                #expect(verifyCertificatesExactly(report, layer: layer) == [])
            }
        }
    }

    @Test("approximate alone never calls an argmaxable class unargmaxable; the rest stay undecided")
    func approximateOnly() throws {
        let layer = try randomLayer(classes: 100, dimension: 3, bias: false, seed: 2)
        var options = DetectorOptions()
        options.exact = nil
        let report = UnargmaxableDetector.detect(layer, options: options)
        #expect(report.count(.unargmaxable) == 0)
        let truth = Set(try qhullTruth(layer))
        #expect(Set(report.indices(.argmaxable)).isDisjoint(with: truth))
        #expect(truth.isSubset(of: Set(report.indices(.undecided))))
    }

    @Test("degenerate layers: duplicates, zero rows, rank-deficient W, C ≤ d + 1")
    func degenerate() throws {
        // Duplicated rows (both unargmaxable), a zero row inside the hull, and collinear points.
        let w: [Float] = [2, 0, 0, 2, -2, 0, 0, -2, 2, 0, 0, 0, 1, 0]
        let layer = try SoftmaxLayer(weights: w, classes: 7, dimension: 2)
        var options = DetectorOptions()
        options.domain = .unbounded
        let report = UnargmaxableDetector.detect(layer, options: options)
        #expect(report.indices(.unargmaxable) == [0, 4, 5, 6])
        #expect(verifyCertificatesExactly(report, layer: layer) == [])
        // Duplicated weights with different biases: only the larger bias can win (both objectives).
        let biased = try SoftmaxLayer(weights: w, classes: 7, dimension: 2, bias: [0, 0, 0, 0, 1, 0, 0])
        for objective in ExactObjective.allCases {
            var exactOnly = options
            exactOnly.approximate = false
            exactOnly.exact = objective
            let r = UnargmaxableDetector.detect(biased, options: exactOnly)
            #expect(r.results[0].verdict == .unargmaxable && r.results[4].verdict == .argmaxable, "\(objective)")
            #expect(r.count(.undecided) == 0 && verifyCertificatesExactly(r, layer: biased) == [])
        }
        // Rank-deficient: 3-D weights exactly on a plane through the origin (w₃ = w₁ + w₂; values on a
        // 1/64 grid so the sums are exact in Float32 — otherwise rounding lifts points off the plane).
        var planar: [Float] = []
        let flat = RandomLayerArrays(classes: 40, dimension: 2, bias: false, distribution: .normal, seed: 5).weights.map
        { ($0 * 64).rounded() / 64 }
        for i in 0..<40 { planar += [flat[2 * i], flat[2 * i + 1], flat[2 * i] + flat[2 * i + 1]] }
        let deficient = try SoftmaxLayer(weights: planar, classes: 40, dimension: 3)
        let report2 = UnargmaxableDetector.detect(deficient, options: options)
        #expect(report2.indices(.unargmaxable) == (try qhullTruth(deficient)))
        #expect(report2.count(.undecided) == 0)
        // C ≤ d + 1: every class argmaxable (general position).
        let small = try randomLayer(classes: 5, dimension: 6, bias: true, seed: 1)
        #expect(UnargmaxableDetector.detect(small, options: options).count(.argmaxable) == 5)
        // One class.
        let one = try SoftmaxLayer(weights: [1, 2], classes: 1, dimension: 2)
        #expect(UnargmaxableDetector.detect(one).count(.argmaxable) == 1)
    }

    @Test("the box matters with a bias: a class that needs large inputs is unargmaxable in a small box")
    func boxDomain() throws {
        // Class 2 wins only for x > 10 (logits x, 0, 2x − 10 in d = 1).
        let layer = try SoftmaxLayer(weights: [1, 0, 2], classes: 3, dimension: 1, bias: [0, 0, -10])
        var options = DetectorOptions()
        options.domain = .box(radius: 5)
        let small = UnargmaxableDetector.detect(layer, options: options)
        #expect(small.indices(.unargmaxable) == [2])
        options.domain = .box(radius: 100)
        #expect(UnargmaxableDetector.detect(layer, options: options).indices(.unargmaxable) == [])
        #expect(verifyCertificatesExactly(small, layer: layer) == [])
    }

    @Test("a margin of exactly 0 with a bias: undecided in floating point, closed by --exact-arithmetic")
    func exactZeroMargin() throws {
        // Class 2 sits exactly halfway between classes 0 and 1 (weights and biases): it ties at best.
        let layer = try SoftmaxLayer(
            weights: [1, 0, -1, 0, 0, 0, 0, 1], classes: 4, dimension: 2, bias: [0.5, 0.25, 0.375, -3])
        var options = DetectorOptions()
        options.domain = .box(radius: 10)
        let floating = UnargmaxableDetector.detect(layer, options: options)
        #expect(floating.results[2].verdict == .undecided)
        #expect(floating.results[2].margin.lower <= 0 && floating.results[2].margin.upper >= 0)
        options.exactArithmetic = true
        let exact = UnargmaxableDetector.detect(layer, options: options)
        #expect(exact.indices(.unargmaxable) == [2] && exact.count(.undecided) == 0)
        #expect(exact.results[2].margin.upper == 0)
        #expect(verifyCertificatesExactly(exact, layer: layer) == [])
    }

    @Test("results are identical for one and two threads")
    func threads() throws {
        let layer = try randomLayer(classes: 400, dimension: 5, bias: true, seed: 11)
        var options = DetectorOptions()
        options.threads = 1
        let one = UnargmaxableDetector.detect(layer, options: options)
        options.threads = 2
        let two = UnargmaxableDetector.detect(layer, options: options)
        #expect(one.results == two.results)
    }
}

@Suite("Certificate verifier")
struct CertificateVerifierTests {
    @Test("accepts every certificate the detectors produce, in both witness modes, and rejects swapped ones")
    func verifier() throws {
        for bias in [false, true] {
            let layer = try randomLayer(classes: 150, dimension: 4, bias: bias, seed: 21)
            var options = DetectorOptions()
            options.domain = .box(radius: 50)
            let report = UnargmaxableDetector.detect(layer, options: options)
            let entries = report.results.compactMap { r in r.certificate.map { (index: r.index, certificate: $0) } }
            #expect(entries.count == 150)
            for exact in [false, true] {
                let verifier = CertificateVerifier(layer: layer, domain: options.domain, exactWitnesses: exact)
                let outcomes = verifier.check(entries, threads: 2)
                for (entry, outcome) in zip(entries, outcomes) {
                    #expect(
                        outcome
                            == (report.results[entry.index].verdict == .argmaxable
                                ? .provesArgmaxable : .provesUnargmaxable))
                }
            }
            // Give every class the certificate of the next one: nothing may verify as it did.
            let verifier = CertificateVerifier(layer: layer, domain: options.domain)
            let shifted = entries.indices.map {
                (index: entries[$0].index, certificate: entries[($0 + 1) % entries.count].certificate)
            }
            let wrong = verifier.check(shifted, threads: 2).enumerated().filter { k, outcome in
                if case .invalid = outcome { return false }
                // A witness for another class never proves this one.
                if case .witness = shifted[k].certificate { return true }
                return false
            }
            #expect(wrong.isEmpty)
        }
    }
}
