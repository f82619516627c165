import ArgumentParser
import ExactArithmetic
import Foundation
import OutputHeads
import SigmoidLayers
import Unargmaxable
import ResultFiles
import JSONDocuments

struct SigmoidCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigmoid",
        abstract: "Which label sets a multi-label (sigmoid) layer can output, with proof.",
        discussion: """
            Reads the layer as independent sigmoid labels: a label set S is feasible when some input makes \
            exactly the labels of S positive (y_i > 0 for i in S, y_i ≤ 0 otherwise). Decides every set of \
            size ≤ k (k = 1: the empty set and every single label; k = 2: also every pair, for up to 2000 \
            labels), each with a witness input or a Farkas certificate, both checked in exact rational \
            arithmetic. Also prints how many sign patterns a layer of this shape has when its hyperplanes are \
            in general position (Σ_{i≤d} C(n, i) with a bias, Cover's 2 Σ_{i<d} C(n−1, i) without), and for \
            small layers (--enumerate-up-to) the certified number this layer actually realises. See \
            Documentation/RankDepth.md.

              unargmax sigmoid layer.npz --k 2 --unbounded --format json
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, csv }

    @Argument(help: "The layer or model: .npz/.npy, .safetensors, a PyTorch .bin/.pt, .gguf, or a model folder.")
    var layer: String

    @OptionGroup var head: HeadOptions

    @Option(help: "Decide every label set of size ≤ k (1 or 2).")
    var k = 1

    @Option(help: "Inputs lie in the box |x_j| ≤ R (default 100).")
    var box: Double?

    @Flag(help: "Inputs may be anything in R^d.")
    var unbounded = false

    @Flag(help: "Ignore the file's bias (use y = Wx).")
    var ignoreBias = false

    @Option(help: "Enumerate every feasible label set when the layer has at most this many labels.")
    var enumerateUpTo = 16

    @Option(help: "Threads over label sets (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Output format: text, json or csv.")
    var format: Format = .text

    @Option(help: "Write the report to this file (atomically) instead of stdout.")
    var output: String?

    static let pairLimit = 2000

    func validate() throws {
        guard k == 1 || k == 2 else { throw ValidationError("--k must be 1 or 2.") }
        if unbounded && box != nil { throw ValidationError("Give --box R or --unbounded, not both.") }
        if let box, !(box > 0 && box.isFinite) { throw ValidationError("--box needs a positive radius.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        guard enumerateUpTo >= 0 else { throw ValidationError("--enumerate-up-to cannot be negative.") }
    }

    func run() throws {
        let model = try head.load(layer)
        let softmax = SoftmaxLayer(model.arrays, useBias: !ignoreBias)
        if k == 2, softmax.classes > Self.pairLimit {
            throw CommandFailure(
                "\(layer): \(softmax.classes) labels is too many for --k 2"
                    + " (all pairs, at most \(Self.pairLimit) labels)"
            )
        }
        let domain: InputDomain = unbounded ? .unbounded : .box(radius: box ?? 100)
        do { try domain.validate(dimension: softmax.dimension) } catch { throw CommandFailure("\(layer): \(error)") }
        let start = Date()
        let results = LabelSetFeasibility.decideAll(softmax, maxSize: k, domain: domain, threads: threads)
        let formula = SignPatternCount.regions(
            labels: softmax.classes, dimension: softmax.dimension, bias: softmax.hasBias)
        let enumeration =
            softmax.classes <= enumerateUpTo ? SignPatternCount.enumerate(softmax, domain: domain) : nil
        let seconds = Date().timeIntervalSince(start)
        let rendered: String
        switch format {
        case .json:
            rendered = json(results, softmax, domain, formula, enumeration, seconds)
        case .csv:
            rendered =
                "labels,feasible\n"
                + results.map { r in
                    let labels = r.labels.map(String.init).joined(separator: " ")
                    return "\"\(labels)\",\(Self.feasible(r.verdict).map { "\($0)" } ?? "")"
                }.joined(separator: "\n")
        case .text:
            rendered = text(results, softmax, domain, formula, enumeration, seconds)
        }
        try CommandSupport.emit(rendered, output: output)
    }

    static func feasible(_ verdict: LabelSetVerdict) -> Bool? {
        switch verdict {
        case .feasible: return true
        case .infeasible: return false
        case .undecided: return nil
        }
    }

    private func countObject(
        _ softmax: SoftmaxLayer, _ domain: InputDomain, _ formula: BigInt, _ e: SignPatternCount.Enumeration?
    )
        -> JSONValue
    {
        .object([
            ("general_position", .string(formula.description)),
            ("formula", .string(softmax.hasBias ? "sum_{i=0..d} C(n, i)" : "2 sum_{i=0..d-1} C(n-1, i)")),
            (
                "formula_note",
                .string(
                    softmax.hasBias
                        ? (domain == .unbounded
                            ? "regions of an affine arrangement in general position; equals the feasible sets then"
                            : "regions on all of R^d: an upper bound for the box")
                        : "regions of a central arrangement in general position;"
                            + " feasible sets add 1 when only x = 0 gives the empty set"
                )
            ),
            ("enumerated", e.map { .int($0.feasible.count) } ?? .null),
            ("enumeration_complete", e.map { .bool($0.isComplete) } ?? .null),
        ])
    }

    private func json(
        _ results: [LabelSetResult], _ softmax: SoftmaxLayer, _ domain: InputDomain, _ formula: BigInt,
        _ enumeration: SignPatternCount.Enumeration?, _ seconds: Double
    ) -> String {
        func weights(_ indices: [Int], _ values: [Rational]) -> JSONValue {
            .object([("indices", .ints(indices)), ("exact", .array(values.map { .string($0.description) }))])
        }
        let sets: [JSONValue] = results.map { r in
            var members: [(String, JSONValue)] = [("labels", .ints(r.labels))]
            switch r.verdict {
            case .feasible(let x):
                members += [("feasible", .bool(true)), ("witness", .numbers(x))]
            case .infeasible where r.certificateFrom != nil:
                // The certificate of a smaller set, which applies here: referenced, not repeated.
                members += [
                    ("feasible", .bool(false)), ("certificate", .object([("same_as", .ints(r.certificateFrom!))])),
                ]
            case .infeasible(let c):
                members += [
                    ("feasible", .bool(false)),
                    (
                        "certificate",
                        .object([
                            ("positive", weights(c.positive, c.positiveWeights)),
                            ("negative", weights(c.negative, c.negativeWeights)),
                        ])
                    ),
                ]
            case .undecided:
                members.append(("feasible", .null))
            }
            return .object(members)
        }
        let feasibleCount = results.filter { Self.feasible($0.verdict) == true }.count
        let infeasibleCount = results.filter { Self.feasible($0.verdict) == false }.count
        return JSONValue.object([
            ("schema", "unargmaxable.sigmoid/1"),
            ("generator", .string("unargmax \(Unargmax.version)")),
            (
                "layer",
                .object([
                    ("path", .string(layer)), ("labels", .int(softmax.classes)),
                    ("dimension", .int(softmax.dimension)), ("bias", .bool(softmax.hasBias)),
                ])
            ),
            ("domain", ReportRendering.domain(domain)),
            ("k", .int(k)),
            (
                "summary",
                .object([
                    ("sets", .int(results.count)), ("feasible", .int(feasibleCount)),
                    ("infeasible", .int(infeasibleCount)),
                    ("undecided", .int(results.count - feasibleCount - infeasibleCount)),
                    ("seconds", .number(seconds)),
                ])
            ),
            ("count", countObject(softmax, domain, formula, enumeration)),
            ("sets", .array(sets)),
        ]).rendered()
    }

    private func text(
        _ results: [LabelSetResult], _ softmax: SoftmaxLayer, _ domain: InputDomain, _ formula: BigInt,
        _ enumeration: SignPatternCount.Enumeration?, _ seconds: Double
    ) -> String {
        let infeasible = results.filter { Self.feasible($0.verdict) == false }
        let undecided = results.filter { Self.feasible($0.verdict) == nil }
        let bias = softmax.hasBias ? "with bias" : "no bias"
        func name(_ labels: [Int]) -> String { "{" + labels.map(String.init).joined(separator: ", ") + "}" }
        var lines = [
            "layer:         \(layer) (\(softmax.classes) labels, d = \(softmax.dimension), \(bias))",
            "inputs:        \(domain == .unbounded ? "all of R^\(softmax.dimension)" : "box")",
            "label sets:    \(results.count) of size ≤ \(k): "
                + "\(results.count - infeasible.count - undecided.count) feasible, \(infeasible.count) infeasible",
        ]
        if !infeasible.isEmpty {
            lines.append(
                "infeasible:    " + infeasible.prefix(30).map { name($0.labels) }.joined(separator: " ")
                    + (infeasible.count > 30 ? " … (\(infeasible.count) in all)" : ""))
        }
        if !undecided.isEmpty {
            lines.append("undecided:     " + undecided.prefix(30).map { name($0.labels) }.joined(separator: " "))
        }
        let formulaText = softmax.hasBias ? "Σ_{i≤d} C(n, i)" : "2 Σ_{i<d} C(n−1, i)"
        lines.append("patterns:      \(formula) in general position (\(formulaText))")
        if let enumeration {
            lines.append(
                "enumerated:    \(enumeration.feasible.count) feasible label sets"
                    + (enumeration.isComplete
                        ? " (every branch certified)" : " (\(enumeration.undecidedBranches) branches undecided)"))
        }
        lines.append(String(format: "time:          %.3f s", seconds))
        return lines.joined(separator: "\n")
    }
}
