import LayerFormats
import Testing
import Unargmaxable

@testable import LayerStudies

@Suite struct RepairTests {
    /// The corners of a square and its centre, whose bias −1 keeps it 1 below the best corner
    /// everywhere: margin exactly −1 (at x = 0), so it needs a raise of exactly 1.
    static let square: [Float] = [1, 1, 1, -1, -1, 1, -1, -1, 0, 0]

    @Test func centreOfSquareGetsTheCertifiedAmount() throws {
        let layer = try SoftmaxLayer(weights: Self.square, classes: 5, dimension: 2, bias: [0, 0, 0, 0, -1])
        let result = try Repair.run(layer)
        #expect(result.before.indices(.unargmaxable) == [4])
        #expect(result.succeeded && result.after.count(.argmaxable) == 5 && result.newlyUnargmaxable.isEmpty)
        #expect(result.changes.count == 1 && result.rounds == 1)
        let change = try #require(result.changes.first)
        #expect(change.index == 4 && change.oldBias == -1)
        #expect(change.bracket.lower <= -1 && -1 <= change.bracket.upper && change.bracket.upper <= 0)
        // Raised by −lower + δ·max(|lower|, 1), rounded up to Float32.
        let planned = -1 - change.bracket.lower + 1e-3 * max(abs(change.bracket.lower), 1)
        #expect(change.newBias >= planned && change.newBias < planned + 1e-6)
        #expect(result.repaired.bias?[0..<4] == [0, 0, 0, 0])

        // Tightness: raising by only −upper (the certified lower end of −margin) is not enough.
        var options = DetectorOptions()
        options.exactArithmetic = true  // the margin is then exactly 0, which floating point cannot show
        let short = try SoftmaxLayer(
            weights: Self.square, classes: 5, dimension: 2,
            bias: [0, 0, 0, 0, Float(-1 - change.bracket.upper)])
        #expect(UnargmaxableDetector.detect(short, options: options).results[4].verdict == .unargmaxable)
        // And the repaired layer's class 4 has margin about δ.
        let after = result.after.results[4].margin
        #expect(after.lower > 0 && after.lower <= 1.001e-3 + 1e-9)
    }

    @Test func exactDuplicatesAreReportedAndOneCopyRepaired() throws {
        // Rows 0 and 4 are equal and tie everywhere: both unargmaxable without a bias.
        let weights: [Float] = [1, 0, -1, 0, 0, 1, 0, -1, 1, 0]
        let layer = try SoftmaxLayer(weights: weights, classes: 5, dimension: 2)
        #expect(Repair.duplicateRows(layer.weights) == [[0, 4]])
        for domain in [InputDomain.box(radius: 100), .unbounded] {
            var options = RepairOptions()
            options.detector.domain = domain
            let result = try Repair.run(layer, options: options)
            #expect(result.before.indices(.unargmaxable) == [0, 4])
            #expect(result.conflicts == [DuplicateConflict(kept: 0, others: [4])])
            #expect(result.after.indices(.unargmaxable) == [4])
            #expect(result.succeeded && result.unfixed.isEmpty)
            #expect(result.repaired.hasBias && !result.inputHadBias)
            #expect(result.changes.map(\.index) == [0] && result.changes[0].newBias > 0)
        }
    }

    /// Many unargmaxable classes next to each other: raised classes swallow neighbours, and the
    /// rounds continue until every class is certified argmaxable and none was lost.
    @Test(arguments: [InputDomain.box(radius: 100), .unbounded])
    func randomLayerBecomesFullyArgmaxable(domain: InputDomain) throws {
        let random = RandomLayerArrays(classes: 60, dimension: 3, bias: true, distribution: .normal, seed: 7)
        let layer = try SoftmaxLayer(weights: random.weights, classes: 60, dimension: 3, bias: random.bias)
        var options = RepairOptions()
        options.detector.domain = domain
        let result = try Repair.run(layer, options: options)
        #expect(result.before.count(.unargmaxable) > 10)
        #expect(result.succeeded, "unfixed \(result.unfixed), lost \(result.newlyUnargmaxable)")
        var check = DetectorOptions()
        check.domain = domain
        #expect(UnargmaxableDetector.detect(result.repaired, options: check).count(.argmaxable) == 60)
        // Only raised: biases never go down, and untouched classes keep theirs.
        let changed = Set(result.changes.map(\.index))
        for c in 0..<60 {
            let old = random.bias![c], new = result.repaired.bias![c]
            #expect(changed.contains(c) ? new > old : new == old)
        }
    }

    @Test func normScalesTheInnerRowOut() throws {
        // No bias: the inner point (0.2, 0.1) leaves the square's hull once scaled by s > 5.
        let weights: [Float] = [1, 1, 1, -1, -1, 1, -1, -1, 0.2, 0.1]
        let layer = try SoftmaxLayer(weights: weights, classes: 5, dimension: 2)
        var options = RepairOptions()
        options.method = .norm
        let result = try Repair.run(layer, options: options)
        #expect(result.succeeded && result.after.count(.argmaxable) == 5)
        let change = try #require(result.changes.first)
        // The boundary is s = 1/0.2 = 5 (the edge x = 1): argmaxable above, not at or below.
        #expect(change.scale > 5 && change.scale <= 5 * (1 + 2e-3))
        let below = try #require(change.scaleUnargmaxable)
        #expect(below <= 5 && below >= 5 / (1 + 2e-3))
        #expect(!result.repaired.hasBias)
        #expect(throws: StudyError.self) {
            try Repair.run(
                try SoftmaxLayer(weights: weights, classes: 5, dimension: 2, bias: [0, 0, 0, 0, 0]),
                options: options)
        }
    }

    @Test func repairedLayerRoundTripsThroughNPZ() throws {
        let layer = try SoftmaxLayer(weights: Self.square, classes: 5, dimension: 2, bias: [0, 0, 0, 0, -1])
        let result = try Repair.run(layer)
        try withTemporaryDirectory { directory in
            try result.arrays().writeNPZ(to: directory + "/r.npz")
            let back = try LayerArrays.load(path: directory + "/r.npz")
            #expect(back.bias == result.repaired.bias && back.weights.values == Self.square)
        }
    }
}
