import ArgumentParser
import ClassGeometry
import ConvexHulls
import Foundation
import LayerFormats
import OutputHeads
import Unargmaxable
import ResultFiles
import JSONDocuments

struct HullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hull",
        abstract: "Exact unargmaxable classes of a layer file from its convex hull (Qhull), for d < 10.",
        discussion: """
            Without --bias a class is unargmaxable exactly when its weight vector is not a vertex of the \
            convex hull of all weight vectors (duplicated rows: both copies). With --bias (inputs unbounded), \
            when its lifted point (w, b) is not a vertex of the upper hull of the lifted points.

            Layer files: .npz with W (classes × features) and optional b, the original tool's decoder_Wemb \
            (features × classes), or an .npy holding W.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "The layer or model: .npz/.npy, .safetensors, PyTorch .bin/.pt, .gguf, or a model folder.")
    var layer: String

    @Flag(help: "Use the layer's bias b (the file must have one).")
    var bias = false

    @Flag(help: "Run Qhull beyond its default budget (e.g. d ≥ 10; its cost grows roughly like |C|^⌊d/2⌋).")
    var force = false

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Flag(
        help: """
            Also give each class's depth for inputs in all of R^d: margin bracket, bias increase, weight scaling, \
            Chebyshev ball and Qhull signed distance; see Documentation/Interiority.md.
            """)
    var interiority = false

    @Option(help: "Write the result to this file instead of stdout (atomically).")
    var output: String?

    func run() throws {
        let arrays = try ModelHead.load(path: layer).arrays
        guard !bias || arrays.bias != nil else {
            throw CommandFailure("\(layer): has no bias array (b or decoder_ff_logit_out_b); drop --bias")
        }
        let hullDimension = arrays.dimension + (bias ? 1 : 0)
        guard force || QhullBudget.allows(points: arrays.classes, dimension: hullDimension) else {
            throw CommandFailure("\(layer): \(QhullBudget.refusal(points: arrays.classes, dimension: hullDimension))")
        }
        let truth = try HullCommand.groundTruth(arrays, bias: bias)
        var depths: [ClassInteriority]? = nil
        if interiority {
            var options = InteriorityOptions()
            options.domain = .unbounded
            depths = Interiority.measure(SoftmaxLayer(arrays, useBias: bias), options: options)
        }
        switch format {
        case .json:
            var members: [(String, JSONValue)] = [
                ("classes", .int(arrays.classes)), ("dimension", .int(arrays.dimension)), ("bias", .bool(bias)),
                ("unargmaxable", .ints(truth.unargmaxable)), ("vertices", .ints(truth.argmaxable)),
            ]
            if let depths {
                let entries = depths.map { JSONValue.object([("index", .int($0.index))] + ReportRendering.members($0)) }
                members.append(("interiority", .array(entries)))
            }
            try CommandSupport.emit(JSONValue.object(members).rendered(), output: output)
        case .text:
            var text = """
                layer:         \(layer) (\(arrays.classes) classes, d = \(arrays.dimension), \
                \(bias ? "with bias, unbounded inputs" : "no bias"))
                unargmaxable:  \(truth.unargmaxable.count) — \(CommandSupport.indexList(truth.unargmaxable))
                argmaxable:    \(truth.argmaxable.count)
                """
            if let depths { text += "\n" + ReportRendering.interiorityTable(depths) }
            try CommandSupport.emit(text, output: output)
        }
    }

    static func groundTruth(_ arrays: LayerArrays, bias: Bool) throws -> ArgmaxGroundTruth {
        let weights = arrays.weights.values
        if bias, let b = arrays.bias {
            return try ArgmaxGroundTruth.withBias(
                weights: weights, bias: b, classes: arrays.classes, dimension: arrays.dimension)
        }
        return try ArgmaxGroundTruth.withoutBias(weights: weights, classes: arrays.classes, dimension: arrays.dimension)
    }
}
