import Foundation
import Testing
import Unargmaxable

@testable import LayerStudies

/// A cell with every measured time set to 0: what must agree between runs.
private func untimed(_ cell: SweepCell) -> SweepCell {
    SweepCell(
        dimension: cell.dimension, seed: cell.seed, unargmaxable: cell.unargmaxable, undecided: cell.undecided,
        meanSteps: cell.meanSteps, seconds: 0, qhullUnargmaxable: cell.qhullUnargmaxable,
        qhullAgrees: cell.qhullAgrees, qhullSeconds: cell.qhullSeconds.map { _ in 0 }, qhullError: cell.qhullError,
        approximate: cell.approximate.map {
            PatienceScore(
                patience: $0.patience, flagged: $0.flagged, truePositives: $0.truePositives,
                precision: $0.precision, recall: $0.recall, seconds: 0)
        })
}

@Suite struct SweepTests {
    @Test(arguments: [false, true], [WeightDistribution.normal, .uniform])
    func countsEqualQhull(bias: Bool, distribution: WeightDistribution) throws {
        let parameters = SweepParameters(
            classes: 80, dimensions: [2, 3, 4], distribution: distribution, seeds: 2, patience: [1, 50], bias: bias)
        let result = try Sweep(parameters).run()
        #expect(result.cells.count == 6)
        for cell in result.cells {
            #expect(cell.qhullUnargmaxable == cell.unargmaxable, "d = \(cell.dimension), seed \(cell.seed)")
            #expect(cell.qhullAgrees == true && cell.undecided == 0)
            for score in cell.approximate {
                // Braid reflect only clears classes with a witness: it never misses an unargmaxable one.
                #expect(score.recall == 1 && score.flagged >= cell.unargmaxable)
                #expect(score.truePositives == cell.unargmaxable)
            }
        }
    }

    @Test func killedSweepResumesToTheSameResult() throws {
        let parameters = SweepParameters(
            classes: 50, dimensions: [2, 3], distribution: .uniform, seeds: 3, patience: [1, 10], bias: true)
        try withTemporaryDirectory { directory in
            let statePath = directory + "/state.jsonl"
            let full = try Sweep(parameters).run(statePath: statePath)
            #expect(full.resumedCells == 0)
            let lines = try String(contentsOfFile: statePath, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 1 + 6)
            // Keep the header and 2 cells, plus half a line as a kill during a write leaves it.
            let cut = lines[0...2].joined(separator: "\n") + "\n" + lines[3].prefix(25)
            try cut.write(toFile: statePath, atomically: false, encoding: .utf8)
            var progress: [Int] = []
            let resumed = try Sweep(parameters).run(statePath: statePath) { progress.append($0.done) }
            #expect(resumed.resumedCells == 2 && progress == [2, 3, 4, 5, 6])
            #expect(resumed.cells.map(untimed) == full.cells.map(untimed))
            #expect(Array(resumed.cells[0..<2]) == Array(full.cells[0..<2]))  // read back, times included
            let after = try String(contentsOfFile: statePath, encoding: .utf8).split(separator: "\n")
            #expect(after.count == 7 && after[0...2] == lines[0...2])
            // Finished: a third run computes nothing.
            #expect(try Sweep(parameters).run(statePath: statePath).resumedCells == 6)
            // Another sweep's state file is refused.
            var other = parameters
            other.classes = 51
            #expect(throws: StudyError.self) { try Sweep(other).run(statePath: statePath) }
        }
    }

    @Test func savedLayersAreTheSweepsLayers() throws {
        let parameters = SweepParameters(
            classes: 30, dimensions: [2], distribution: .normal, seeds: 2, patience: [5], bias: false)
        try withTemporaryDirectory { directory in
            let sweep = try Sweep(parameters)
            _ = try sweep.run(saveLayers: directory + "/layers")
            let names = try FileManager.default.contentsOfDirectory(atPath: directory + "/layers").sorted()
            #expect(names == ["normal-c30-d2-seed0.npz", "normal-c30-d2-seed1.npz"])
            let counts = try python(
                """
                for s in (0, 1):
                    z = np.load("\(directory)/layers/normal-c30-d2-seed%d.npz" % s)
                    print(z["W"].shape, "b" in z)
                """)
            #expect(counts == "(30, 2) False\n(30, 2) False")
        }
    }

    @Test func integerLists() throws {
        #expect(try SweepParameters.integers("2:5", name: "--dims") == [2, 3, 4, 5])
        #expect(try SweepParameters.integers("2:10:4,16", name: "--dims") == [2, 6, 10, 16])
        #expect(try SweepParameters.integers("1,10,50,2500", name: "--patience") == [1, 10, 50, 2500])
        #expect(throws: StudyError.self) { try SweepParameters.integers("5:2", name: "--dims") }
        #expect(throws: StudyError.self) { try SweepParameters.integers("a", name: "--dims") }
    }
}
