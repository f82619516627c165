import Testing

@testable import Unargmaxable

@Suite("First steps from the symmetric Gram product")
struct GramFirstStepTests {
    /// A random layer of 2600 classes (three blocks, the last one partial) with two exact duplicates,
    /// whose classes tie everywhere and so may never be certified.
    static func layer(bias: Bool) throws -> SoftmaxLayer {
        let (C, d) = (2600, 24)
        let arrays = RandomLayerArrays(classes: C, dimension: d, bias: bias, distribution: .normal, seed: 5)
        var weights = arrays.weights, biases = arrays.bias
        for k in 0..<d { weights[2050 * d + k] = weights[7 * d + k] }
        if let b = biases { biases![2050] = b[7] }
        return try SoftmaxLayer(weights: weights, classes: C, dimension: d, bias: biases)
    }

    /// Owner margins at x = w_c from the row-by-row search's own GEMM and scan.
    static func rowByRow(_ layer: SoftmaxLayer) -> [LogitScan] {
        let errors = Float32LogitErrors(layer)
        var block = LogitBlock(layer: layer, errors: errors, threads: 2, inputs: layer.classes)
        var scans: [LogitScan] = []
        for begin in stride(from: 0, to: layer.classes, by: block.capacity) {
            let rows = min(block.capacity, layer.classes - begin)
            let inputs = (begin..<(begin + rows)).flatMap { layer.weights.row($0) }
            scans += block.scan(inputs: inputs, rows: rows, owners: Array(begin..<(begin + rows)))
        }
        return scans
    }

    @Test(
        "certifies the classes the row-by-row scan certifies, with margins that hold in Double",
        arguments: [false, true])
    func sameAsRowByRow(bias: Bool) throws {
        let layer = try Self.layer(bias: bias)
        let gram = try #require(GramFirstStep(layer: layer, errors: Float32LogitErrors(layer)))
        let starts = gram.certifiedStarts(for: Array(0..<layer.classes), threads: 2, domain: .unbounded)
        let scans = Self.rowByRow(layer)
        let certified = Set((0..<layer.classes).filter { scans[$0].ownerMargin > 0 })
        #expect(Set(starts.keys) == certified)
        #expect(certified.count > layer.classes / 2 && certified.count < layer.classes)
        #expect(starts[7] == nil && starts[2050] == nil)
        for (c, start) in starts {
            #expect(start.witness == layer.weights.row(c))
            #expect(start.runnerUp == scans[c].runnerUp, "class \(c)")
            #expect(abs(start.lower - scans[c].ownerMargin) <= 1e-3 * abs(scans[c].ownerMargin), "class \(c)")
            // Independently: the certified lower bound may not exceed the margin at w_c evaluated in Double.
            let check = RigorousBounds.witnessLowerBound(
                layer, class: c, witness: layer.weights.row(c).map(Double.init), domain: .unbounded)
            #expect(start.lower <= check.bound * (1 + 1e-12), "class \(c)")
        }
    }

    /// An anisotropic layer (a shared direction plus correlated noise, with a bias) and its whitened Gram.
    static func whitenedGram() throws -> (SoftmaxLayer, WhitenedStarts, GramFirstStep) {
        let plain = try WhitenedStartsTests.anisotropicLayer(classes: 2600, dimension: 32)
        let bias = (0..<plain.classes).map { Float(($0 * 7919) % 101) / 50 - 1 }
        let layer = try SoftmaxLayer(weights: plain.weights, bias: bias)
        let errors = Float32LogitErrors(layer)
        let whitening = try #require(WhitenedStarts(layer: layer, threads: 2, withGram: true))
        let factors = try #require(whitening.gramFactors)
        return (layer, whitening, try #require(GramFirstStep(layer: layer, errors: errors, whitened: factors)))
    }

    @Test("whitened rows: most classes certified, at starts along Σ⁻¹(w_c − μ), margins hold in Double")
    func whitened() throws {
        var (layer, whitening, gram) = try Self.whitenedGram()
        let starts = gram.certifiedStarts(for: Array(0..<layer.classes), threads: 2, domain: .paperDefault)
        #expect(starts.count > layer.classes * 3 / 4)
        for (c, start) in starts {
            let x = start.witness.map(Double.init)
            let check = RigorousBounds.witnessLowerBound(layer, class: c, witness: x, domain: .paperDefault)
            #expect(start.lower > 0 && start.lower <= check.bound * (1 + 1e-12), "class \(c)")
            let direction = whitening.start(for: c).map(Double.init)
            let cosine =
                zip(x, direction).reduce(0) { $0 + $1.0 * $1.1 }
                / (x.reduce(0) { $0 + $1 * $1 } * direction.reduce(0) { $0 + $1 * $1 }).squareRoot()
            #expect(cosine > 0.999, "class \(c)")
        }
    }

    @Test("the same starts, bit for bit, whatever the chunks, their order and the threads", arguments: [false, true])
    func deterministic(whitened: Bool) throws {
        let layer = whitened ? try Self.whitenedGram().0 : try Self.layer(bias: true)
        func gram() throws -> GramFirstStep {
            whitened
                ? try Self.whitenedGram().2
                : try #require(GramFirstStep(layer: layer, errors: Float32LogitErrors(layer)))
        }
        let whole = try gram().certifiedStarts(for: Array(0..<layer.classes), threads: 2, domain: .unbounded)
        let chunked = try gram()
        var pieces: [Int: GramFirstStep.Start] = [:]
        for begin in stride(from: 0, to: layer.classes, by: 700).reversed() {
            let chunk = Array(begin..<min(layer.classes, begin + 700))
            pieces.merge(chunked.certifiedStarts(for: chunk, threads: 1, domain: .unbounded)) { a, _ in a }
        }
        #expect(pieces.count == whole.count && whole.count > 0)
        for (c, start) in whole {
            let piece = pieces[c]
            #expect(piece?.lower == start.lower && piece?.runnerUp == start.runnerUp, "class \(c)")
            #expect(piece?.witness == start.witness, "class \(c)")
        }
    }

    @Test("used where most classes lead at their start, not where a large bias decides almost everywhere")
    func pays() throws {
        let layer = try Self.layer(bias: true)
        #expect(try #require(GramFirstStep(layer: layer, errors: Float32LogitErrors(layer))).pays(threads: 2))
        let biased = try SoftmaxLayer(weights: layer.weights, bias: layer.bias!.map { $0 * 1000 })
        #expect(!(try #require(GramFirstStep(layer: biased, errors: Float32LogitErrors(biased))).pays(threads: 2)))
        let (whitened, _, gram) = try Self.whitenedGram()
        #expect(whitened.classes >= GramFirstStep.minimumClasses && gram.pays(threads: 1))
    }

    @Test("starts outside the domain are not used: clipping would change them")
    func domain() throws {
        let layer = try Self.layer(bias: false)
        let gram = try #require(GramFirstStep(layer: layer, errors: Float32LogitErrors(layer)))
        let all = Array(0..<layer.classes)
        let unbounded = gram.certifiedStarts(for: all, threads: 2, domain: .unbounded)
        #expect(gram.certifiedStarts(for: all, threads: 2, domain: .paperDefault).count == unbounded.count)
        let small = gram.certifiedStarts(for: all, threads: 2, domain: .box(radius: 2.5))
        #expect(small.count < unbounded.count)
        #expect(small.values.allSatisfy { $0.witness.allSatisfy { abs($0) <= 2.5 } })
    }

    @Test("a layer large enough for the Gram path: verdicts equal Qhull's, certificates verify exactly")
    func againstQhull() throws {
        let layer = try randomLayer(classes: 2100, dimension: 5, bias: true, seed: 3)
        var options = DetectorOptions()
        options.domain = .unbounded
        let report = UnargmaxableDetector.detect(layer, options: options)
        #expect(report.count(.undecided) == 0)
        #expect(report.indices(.unargmaxable) == (try qhullTruth(layer)))
        #expect(verifyCertificatesExactly(report, layer: layer) == [])
    }

    @Test("an anisotropic layer large enough for the whitened Gram path: every class decided, every certificate holds")
    func whitenedDetection() throws {
        let layer = try Self.whitenedGram().0
        let report = UnargmaxableDetector.detect(layer)
        #expect(report.count(.undecided) == 0)
        let verifier = CertificateVerifier(layer: layer, domain: .paperDefault)
        let outcomes = verifier.check(report.results.map { ($0.index, $0.certificate!) }, threads: 2)
        for (result, outcome) in zip(report.results, outcomes) {
            #expect(outcome == (result.verdict == .argmaxable ? .provesArgmaxable : .provesUnargmaxable))
        }
        // The verifier checks this anisotropic head on centred rows; a witness given to the wrong class
        // must still fail.
        #expect(CenteredLayer(layer) != nil)
        // Enough witnesses for the verifier's own symmetric first starts: each one given to the next
        // class must fail, and each one moved by an ulp must still hold (the certified-distance path).
        let C = layer.classes
        let swapped = (0..<C).map { (index: $0, certificate: report.results[($0 + 1) % C].certificate!) }
        #expect(verifier.check(swapped, threads: 2).allSatisfy { $0 != .provesArgmaxable })
        let nudged = report.results.map { result -> (index: Int, certificate: Certificate) in
            guard case .witness(var x) = result.certificate! else { return (result.index, result.certificate!) }
            x[0] = Double(Float(x[0]).nextUp)
            return (result.index, .witness(x))
        }
        let nudgedOutcomes = verifier.check(nudged, threads: 2)
        #expect(zip(report.results, nudgedOutcomes).allSatisfy { $0.verdict != .argmaxable || $1 == .provesArgmaxable })
        // The first steps' margins are certified lower bounds: never above the witness's own bound.
        for result in report.results where result.steps == 1 {
            guard case .witness(let x) = result.certificate else { continue }
            let check = RigorousBounds.witnessLowerBound(layer, class: result.index, witness: x, domain: .paperDefault)
            #expect(result.margin.lower <= check.bound * (1 + 1e-12), "class \(result.index)")
        }
    }
}
