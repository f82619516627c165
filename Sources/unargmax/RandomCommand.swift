import ArgumentParser
import ConvexHulls
import Foundation
import LayerFormats
import Unargmaxable

struct RandomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "random",
        abstract: "Make a seeded random layer and report which classes are unargmaxable (Qhull ground truth).",
        discussion: """
        The sanity check of the original tool (stollen_random): a reproducible random layer, its exact
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

    func validate() throws {
        guard classes >= 1 else { throw ValidationError("--classes must be at least 1.") }
        guard dimension >= 1 else { throw ValidationError("--dim must be at least 1.") }
        guard classes.multipliedReportingOverflow(by: dimension).overflow == false, classes * dimension <= 1 << 31 else {
            throw ValidationError("--classes × --dim is too large for a random layer.")
        }
        if plot != nil && !(2...3).contains(dimension) { throw ValidationError("--plot draws d = 2 or 3 only.") }
    }

    func run() throws {
        let layer = RandomLayerArrays(classes: classes, dimension: dimension, bias: bias, distribution: distribution, seed: seed)
        let arrays = LayerArrays(weights: FloatMatrix(rows: classes, columns: dimension, values: layer.weights), bias: layer.bias)
        if let save { try arrays.writeNPZ(to: save) }
        let truth = dimension < 10 ? try HullCommand.groundTruth(arrays, bias: bias) : nil
        if let plot, let truth { try drawPlot(arrays, truth: truth, to: plot) }
        switch format {
        case .json:
            let qhull: JSONValue = truth.map { .object([("unargmaxable", .ints($0.unargmaxable)), ("vertices", .ints($0.argmaxable))]) } ?? .null
            let report: JSONValue = .object([
                ("classes", .int(classes)), ("dimension", .int(dimension)), ("bias", .bool(bias)),
                ("seed", seed <= UInt64(Int.max) ? .int(Int(seed)) : .string(String(seed))), ("distribution", .string(distribution.rawValue)), ("qhull", qhull),
            ])
            print(report.rendered())
        case .text:
            var lines = ["random layer:  \(classes) classes, d = \(dimension), \(bias ? "with bias" : "no bias"), \(distribution.rawValue), seed \(seed)"]
            if let truth {
                lines.append("qhull:         \(truth.unargmaxable.count) unargmaxable — \(CommandSupport.indexList(truth.unargmaxable))")
            } else {
                lines.append("qhull:         skipped (d ≥ 10)")
            }
            if let save { lines.append("saved:         \(save)") }
            if let plot { lines.append("plot:          \(plot)") }
            print(lines.joined(separator: "\n"))
        }
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
        let title = "\(classes) classes, d = \(dimension), \(bias ? "bias" : "no bias"), seed \(seed): \(truth.unargmaxable.count) unargmaxable"
        let plot = HullPlot(points: points, edges: edges.sorted { $0.lexicographicallyPrecedes($1) }.map { ($0[0], $0[1]) },
                            unargmaxable: Set(truth.unargmaxable), title: title)
        try AtomicFileWriter.write(plot.svg(), to: path)
    }

    private func pairs(_ vertices: [Int]) -> [[Int]] {
        var out: [[Int]] = []
        for i in vertices.indices { for j in vertices.indices where i < j { out.append([min(vertices[i], vertices[j]), max(vertices[i], vertices[j])]) } }
        return out
    }
}

extension WeightDistribution: ExpressibleByArgument {}
