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
        let starts = gram.certifiedStarts(for: Array(0..<layer.classes), threads: 2)
        let scans = Self.rowByRow(layer)
        let certified = Set((0..<layer.classes).filter { scans[$0].ownerMargin > 0 })
        #expect(Set(starts.keys) == certified)
        #expect(certified.count > layer.classes / 2 && certified.count < layer.classes)
        #expect(starts[7] == nil && starts[2050] == nil)
        for (c, start) in starts {
            #expect(start.runnerUp == scans[c].runnerUp, "class \(c)")
            #expect(abs(start.lower - scans[c].ownerMargin) <= 1e-3 * abs(scans[c].ownerMargin), "class \(c)")
            // Independently: the certified lower bound may not exceed the margin at w_c evaluated in Double.
            let check = RigorousBounds.witnessLowerBound(
                layer, class: c, witness: layer.weights.row(c).map(Double.init), domain: .unbounded)
            #expect(start.lower <= check.bound * (1 + 1e-12), "class \(c)")
        }
    }

    @Test("the same starts, bit for bit, whatever the chunks, their order and the threads")
    func deterministic() throws {
        let layer = try Self.layer(bias: true)
        let errors = Float32LogitErrors(layer)
        let whole = try #require(GramFirstStep(layer: layer, errors: errors))
            .certifiedStarts(for: Array(0..<layer.classes), threads: 2)
        let chunked = try #require(GramFirstStep(layer: layer, errors: errors))
        var pieces: [Int: GramFirstStep.Start] = [:]
        for begin in stride(from: 0, to: layer.classes, by: 700).reversed() {
            let chunk = Array(begin..<min(layer.classes, begin + 700))
            pieces.merge(chunked.certifiedStarts(for: chunk, threads: 1)) { a, _ in a }
        }
        #expect(pieces.count == whole.count)
        for (c, start) in whole {
            #expect(pieces[c]?.lower == start.lower && pieces[c]?.runnerUp == start.runnerUp, "class \(c)")
        }
    }

    @Test("starts outside the domain are not used: clipping would change them")
    func domain() throws {
        let layer = try Self.layer(bias: false)
        let gram = try #require(GramFirstStep(layer: layer, errors: Float32LogitErrors(layer)))
        #expect(gram.startsLie(in: .unbounded))
        #expect(gram.startsLie(in: .paperDefault))
        #expect(!gram.startsLie(in: InputDomain.box(radius: 1)))
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
}
