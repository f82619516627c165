import ArgumentParser
import ConvexHulls
import Foundation
import LayerFormats
import Unargmaxable
import ResultFiles
import JSONDocuments

struct RandomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "random",
        abstract: "Make a seeded random layer and report which classes are unargmaxable (Qhull ground truth).",
        discussion: """
            The sanity check of the original tool (stollen_random): a reproducible random layer, its exact \
            verdicts from Qhull (for d < 10), optionally saved as .npz and drawn as SVG (d = 2 or 3).

              unargmax random --classes 20 --dim 2 --seed 1 --plot hull.svg
              unargmax random --classes 300 --dim 8 --seed 3 --bias --save layer.npz --format json
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(name: .customLong("classes"), help: "Number of classes |C|.")
    var classes: Int

    @Option(name: .customLong("dim"), help: "Input dimension d.")
    var dimension: Int

    @Option(help: "Random seed (the same seed gives the same layer on every machine).")
    var seed: UInt64 = 0

    @Flag(help: "Give the layer a bias term.")
    var bias = false

    @Option(help: "Distribution of weights and biases: normal (N(0,1)) or uniform (U(−1,1)).")
    var distribution: WeightDistribution = .normal

    @Option(help: "Save the layer as .npz (arrays W and, with --bias, b).")
    var save: String?

    @Option(help: "Draw the classes and the hull as SVG (d = 2 or 3).")
    var plot: String?

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(help: "Braid-reflect steps per class before the exact stage.")
    var patience = 50

    @Option(help: "Inputs in the box |x_j| ≤ R for the detectors (default: unbounded, which is what Qhull decides).")
    var box: Double?

    @Flag(help: "Skip the detectors (Qhull only).")
    var noDetectors = false

    @Flag(help: "Run Qhull beyond its default budget (large |C| in 8+ dimensions can take hours).")
    var forceQhull = false

    func validate() throws {
        guard classes >= 1 else { throw ValidationError("--classes must be at least 1.") }
        guard dimension >= 1 else { throw ValidationError("--dim must be at least 1.") }
        guard classes.multipliedReportingOverflow(by: dimension).overflow == false, classes * dimension <= 1 << 28
        else {
            throw ValidationError("--classes × --dim is too large for a random layer (at most 2^28 weights, 1 GiB).")
        }
        if plot != nil && !(2...3).contains(dimension) { throw ValidationError("--plot draws d = 2 or 3 only.") }
    }

    func run() throws {
        let layer = RandomLayerArrays(
            classes: classes, dimension: dimension, bias: bias, distribution: distribution, seed: seed)
        let arrays = try LayerArrays(
            weights: FloatMatrix(rows: classes, columns: dimension, values: layer.weights), bias: layer.bias)
        if let save { try arrays.writeNPZ(to: save) }
        let hullDimension = dimension + (bias ? 1 : 0)
        let qhullRuns = forceQhull || QhullBudget.allows(points: classes, dimension: hullDimension)
        let truth = qhullRuns ? try HullCommand.groundTruth(arrays, bias: bias) : nil
        if let plot, let truth { try drawPlot(arrays, truth: truth, to: plot) }
        let comparison = noDetectors ? nil : try compareDetectors(arrays, truth: truth)
        switch format {
        case .json:
            let qhull: JSONValue =
                truth.map { .object([("unargmaxable", .ints($0.unargmaxable)), ("vertices", .ints($0.argmaxable))]) }
                ?? .null
            let report: JSONValue = .object([
                ("classes", .int(classes)), ("dimension", .int(dimension)), ("bias", .bool(bias)),
                ("seed", seed <= UInt64(Int.max) ? .int(Int(seed)) : .string(String(seed))),
                ("distribution", .string(distribution.rawValue)), ("qhull", qhull),
                ("detectors", comparison.map { $0.json } ?? .null),
            ])
            print(report.rendered())
        case .text:
            var lines = [
                "random layer:  \(classes) classes, d = \(dimension), \(bias ? "with bias" : "no bias"), "
                    + "\(distribution.rawValue), seed \(seed)"
            ]
            if let truth {
                lines.append(
                    "qhull:         \(truth.unargmaxable.count) unargmaxable — "
                        + "\(CommandSupport.indexList(truth.unargmaxable))"
                )
            } else {
                lines.append(
                    "qhull:         skipped (\(classes) points in \(hullDimension) dimensions is beyond its budget; "
                        + "--force-qhull runs it)"
                )
            }
            if let comparison { lines += comparison.lines }
            if let save { lines.append("saved:         \(save)") }
            if let plot { lines.append("plot:          \(plot)") }
            print(lines.joined(separator: "\n"))
        }
    }

    /// The detectors' verdicts, scored against Qhull like the original tool's stollen_random:
    /// the approximate detector predicts "unargmaxable" for every class it could not clear.
    struct DetectorComparison {
        let approximate: [Int]
        let exact: [Int]
        let undecided: [Int]
        let truth: [Int]?
        let seconds: Double

        static func score(_ predicted: [Int], _ truth: [Int]) -> (precision: Double, recall: Double) {
            let hits = Double(Set(predicted).intersection(truth).count)
            return (
                predicted.isEmpty ? 1 : hits / Double(predicted.count), truth.isEmpty ? 1 : hits / Double(truth.count)
            )
        }

        func entry(_ predicted: [Int]) -> JSONValue {
            var members: [(String, JSONValue)] = [("unargmaxable", .ints(predicted))]
            if let truth {
                let (p, r) = Self.score(predicted, truth)
                members += [("precision", .number(p)), ("recall", .number(r))]
            }
            return .object(members)
        }

        var json: JSONValue {
            .object([
                ("approximate", entry(approximate)), ("exact", entry(exact)), ("undecided", .ints(undecided)),
                ("seconds", .number(seconds)),
            ])
        }

        var lines: [String] {
            func describe(_ predicted: [Int]) -> String {
                guard let truth else { return "\(predicted.count) unargmaxable" }
                let (p, r) = Self.score(predicted, truth)
                return String(
                    format: "%d unargmaxable, precision %.1f%%, recall %.1f%%", predicted.count, 100 * p, 100 * r)
            }
            var out = [
                "approximate:   \(describe(approximate)) (classes braid reflect could not clear)",
                "exact:         \(describe(exact))",
            ]
            if !undecided.isEmpty { out.append("undecided:     \(CommandSupport.indexList(undecided))") }
            return out
        }
    }

    func compareDetectors(_ arrays: LayerArrays, truth: ArgmaxGroundTruth?) throws -> DetectorComparison {
        var options = DetectorOptions()
        options.domain = box.map { .box(radius: $0) } ?? .unbounded
        options.patience = patience
        let report = UnargmaxableDetector.detect(SoftmaxLayer(arrays), options: options)
        // Qhull answers the unbounded question; with a box its answer is not the reference.
        let reference = box == nil ? truth?.unargmaxable : nil
        return DetectorComparison(
            approximate: report.results.filter { $0.stage != .approximate }.map(\.index),
            exact: report.indices(.unargmaxable), undecided: report.indices(.undecided),
            truth: reference, seconds: report.seconds)
    }

    /// The weight vectors with the edges of the hull that decides the verdicts: conv{w_i} without
    /// bias; with bias, the upper hull of the lifted points seen from above (its projection).
    func drawPlot(_ arrays: LayerArrays, truth: ArgmaxGroundTruth, to path: String) throws {
        let weights = arrays.weights.values.map(Double.init)
        var edges = Set<[Int]>()
        if let b = arrays.bias {
            var lifted: [Double] = []
            for i in 0..<classes { lifted += weights[(i * dimension)..<((i + 1) * dimension)] + [Double(b[i])] }
            let hull = try ConvexHull(points: lifted, count: classes, dimension: dimension + 1)
            for facet in hull.facets where facet.normal[dimension] > 1e-12 { edges.formUnion(pairs(facet.vertices)) }
        } else {
            let hull = try ConvexHull(points: weights, count: classes, dimension: dimension)
            for facet in hull.facets { edges.formUnion(pairs(facet.vertices)) }
        }
        let points = (0..<classes).map { Array(weights[($0 * dimension)..<(($0 + 1) * dimension)]) }
        let title =
            "\(classes) classes, d = \(dimension), \(bias ? "bias" : "no bias"), seed \(seed): "
            + "\(truth.unargmaxable.count) unargmaxable"
        let plot = HullPlot(
            points: points, edges: edges.sorted { $0.lexicographicallyPrecedes($1) }.map { ($0[0], $0[1]) },
            unargmaxable: Set(truth.unargmaxable), title: title)
        try AtomicFileWriter.write(plot.svg(), to: path)
    }

    private func pairs(_ vertices: [Int]) -> [[Int]] {
        var out: [[Int]] = []
        for i in vertices.indices {
            for j in vertices.indices where i < j {
                out.append([min(vertices[i], vertices[j]), max(vertices[i], vertices[j])])
            }
        }
        return out
    }
}

extension WeightDistribution: ExpressibleByArgument {}
