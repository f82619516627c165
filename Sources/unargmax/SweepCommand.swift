import ArgumentParser
import Foundation
import LayerStudies
import Unargmaxable

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run the detectors over random layers of many dimensions and seeds; resumable.",
        discussion: """
            One random layer per (dimension, seed) cell, seeds 0 ..< --seeds. Per cell: the number of unargmaxable \
            classes by the exact pipeline (certified), the mean braid-reflect steps per class, its time, and for \
            each --patience value the approximate detector alone (braid reflect, no exact stage) scored against \
            those verdicts: it flags every class it could not clear; precision = truly unargmaxable flagged / \
            flagged, recall = truly unargmaxable flagged / truly unargmaxable (1 when the denominator is 0). \
            Qhull's count is shown beside them for unbounded inputs within its budget. With --state FILE every \
            finished cell is appended to FILE and synced to disk; rerunning the same command skips the finished \
            cells, so a killed sweep loses at most the cell it was computing.

              unargmax sweep --classes 10000 --dims 2:40 --distribution uniform --seeds 5 --patience 1,10,50,2500
              unargmax sweep --classes 2000 --dims 2:8 --seeds 3 --bias --state sweep.jsonl --format csv
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, csv }

    @Option(help: "Classes |C| per layer.")
    var classes: Int

    @Option(help: "Dimensions: a range 2:40 (inclusive), 2:40:2 with a step, a list 2,4,8, or a mix.")
    var dims: String

    @Option(help: "Distribution of weights and biases: normal (N(0,1)) or uniform (U(−1,1)).")
    var distribution: WeightDistribution = .normal

    @Option(help: "Seeds per dimension (0 ..< seeds).")
    var seeds = 1

    @Option(help: "Patience values at which to score braid reflect alone, e.g. 1,10,50,2500.")
    var patience = "50"

    @Flag(help: "Give the layers a bias term.")
    var bias = false

    @Option(help: "Inputs in the box |x_j| ≤ R (default: unbounded, what Qhull decides).")
    var box: Double?

    @Option(help: "Output format: json or csv.")
    var format: Format = .json

    @Option(help: "Append each finished cell to this JSON-lines file and skip cells it already holds.")
    var state: String?

    @Option(help: "Write each cell's layer as .npz into this directory (named by distribution, classes, d, seed).")
    var saveLayers: String?

    @Option(help: "Write the results to this file (atomically) instead of stdout.")
    var output: String?

    @Option(help: "Threads for the detectors (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func run() throws {
        let parameters = SweepParameters(
            classes: classes, dimensions: try SweepParameters.integers(dims, name: "--dims"),
            distribution: distribution, seeds: seeds,
            patience: try SweepParameters.integers(patience, name: "--patience"), bias: bias, box: box)
        var sweep = try Sweep(parameters)
        sweep.threads = max(1, threads)
        let result = try sweep.run(statePath: state, saveLayers: saveLayers) { event in
            guard !quiet else { return }
            let line: String
            if let cell = event.cell {
                line =
                    "cell \(event.done)/\(event.total): d = \(cell.dimension), seed \(cell.seed): "
                    + "\(cell.unargmaxable) unargmaxable"
                    + (cell.qhullUnargmaxable.map { " (qhull \($0))" } ?? "")
                    + String(format: ", %.2f s\n", cell.seconds)
            } else {
                line = "sweep: \(event.total) cells, \(event.resumed) already in the state file\n"
            }
            FileHandle.standardError.write(Data(line.utf8))
        }
        try CommandSupport.emit(format == .json ? result.json() : result.csv(), output: output)
    }
}
