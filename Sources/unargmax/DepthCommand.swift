import ArgumentParser
import ExactArithmetic
import Foundation
import OutputHeads
import RankDepth
import Unargmaxable
import Vocabularies
import ResultFiles
import JSONDocuments

struct DepthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "depth",
        abstract: "How many classes must outscore each class at best: which top-k or beam widths can ever emit it.",
        discussion: """
            The rank depth r_c of class c is the fewest other classes that score at least as high as c at the \
            best input of the domain (ties count against c). r_c = 0 means argmaxable; top-k sampling can emit \
            c only if r_c < k, and beam search of width B can put c in the beam at a step only if r_c < B for \
            that step's distribution. Every class gets a certified bracket lower ≤ r_c ≤ upper: the upper bound \
            is a witness input with the classes beating c there (evaluated exactly), the lower bound a family of \
            exact unargmaxability proofs every input must hit (disjoint, fractional packing or hitting set). \
            r_c is found exactly (smallest hitting sets of the proofs) while the proofs involve at most 64 \
            classes; beyond that a greedy disjoint packing and a braid-reflect search for inputs give the \
            bracket. See Documentation/RankDepth.md.

              unargmax depth layer.npz --unbounded
              unargmax depth layer.npz --max-k 5 --format json --output depth.json
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, csv }

    @Argument(help: "The layer or model: .npz/.npy, .safetensors, a PyTorch .bin/.pt, .gguf, or a model folder.")
    var layer: String

    @OptionGroup var head: HeadOptions

    @Option(help: "Stop a class once r_c ≥ K is proved (top-k with k ≤ K can never emit it).")
    var maxK: Int?

    @Option(help: "Inputs lie in the box |x_j| ≤ R (default 100, the paper's setting).")
    var box: Double?

    @Flag(help: "Inputs may be anything in R^d.")
    var unbounded = false

    @Flag(help: "Ignore the file's bias (use y = Wx).")
    var ignoreBias = false

    @Option(help: "Threads over classes (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Output format: text, json or csv.")
    var format: Format = .text

    @Option(help: "Write the report to this file (atomically) instead of stdout.")
    var output: String?

    func validate() throws {
        if unbounded && box != nil { throw ValidationError("Give --box R or --unbounded, not both.") }
        if let box, !(box > 0 && box.isFinite) { throw ValidationError("--box needs a positive radius.") }
        if let maxK, maxK < 1 { throw ValidationError("--max-k must be at least 1.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
    }

    func run() throws {
        let model = try head.load(layer)
        let softmax = SoftmaxLayer(model.arrays, useBias: !ignoreBias)
        var options = DepthOptions()
        options.domain = unbounded ? .unbounded : .box(radius: box ?? 100)
        options.maxK = maxK
        options.threads = threads
        let report: DepthReport
        do { report = try RankDepthSolver.solve(softmax, options: options) } catch {
            throw CommandFailure("\(layer): \(error)")
        }
        let rendered: String
        switch format {
        case .json: rendered = Self.json(report, layerPath: layer, vocabulary: model.vocabulary)
        case .csv: rendered = Self.csv(report)
        case .text: rendered = Self.text(report, layerPath: layer)
        }
        try CommandSupport.emit(rendered, output: output)
    }

    static func proofs(_ proofs: [UnargmaxabilityProof]) -> JSONValue {
        .array(
            proofs.map { p in
                .object([
                    ("indices", .ints(p.support)), ("exact", .array(p.weights.map { .string($0.description) })),
                ])
            })
    }

    static func lowerCertificate(_ certificate: DepthLowerCertificate) -> JSONValue {
        var members: [(String, JSONValue)] = [("bound", .int(certificate.bound))]
        switch certificate.kind {
        case .disjoint: members.append(("kind", "disjoint"))
        case .transversal: members.append(("kind", "transversal"))
        case .fractional(let α):
            members.append(("kind", "fractional"))
            members.append(("packing", .array(α.map { .string($0.description) })))
        }
        members.append(("proofs", proofs(certificate.proofs)))
        return .object(members)
    }

    static func json(_ report: DepthReport, layerPath: String, vocabulary: Vocabulary?) -> String {
        let classes: [JSONValue] = report.results.map { r in
            var members: [(String, JSONValue)] = [("index", .int(r.index))]
            if let vocabulary {
                members.append(
                    ("token", r.index < vocabulary.count ? .string(vocabulary.tokens[r.index]) : .null))
            }
            members += [
                ("depth", .object([("lower", .int(r.lower)), ("upper", .int(r.upper))])),
                ("top_k_reachable_from", r.topKReachableFrom.map(JSONValue.int) ?? .null),
                ("top_k", .object([("lower", .int(r.lower + 1)), ("upper", .int(r.upper + 1))])),
                ("witness", .object([("input", .numbers(r.witness.input)), ("beaters", .ints(r.witness.beaters))])),
                ("lower_certificate", lowerCertificate(r.lowerCertificate)),
            ]
            return .object(members)
        }
        let histogram = report.histogram.sorted { $0.key < $1.key }.map { (String($0.key), JSONValue.int($0.value)) }
        let undecided = report.results.filter { !$0.isDecided }.count
        let value: JSONValue = .object([
            ("schema", "unargmaxable.depth/1"),
            ("generator", .string("unargmax \(Unargmax.version)")),
            (
                "layer",
                .object([
                    ("path", .string(layerPath)), ("classes", .int(report.classes)),
                    ("dimension", .int(report.dimension)), ("bias", .bool(report.hasBias)),
                ])
            ),
            ("domain", ReportRendering.domain(report.domain)),
            ("max_k", report.maxK.map(JSONValue.int) ?? .null),
            (
                "summary",
                .object([
                    ("decided", .int(report.results.count - undecided)), ("undecided", .int(undecided)),
                    ("seconds", .number(report.seconds)),
                ])
            ),
            ("histogram", .object(histogram)),
            ("classes", .array(classes)),
        ])
        return value.rendered()
    }

    static func csv(_ report: DepthReport) -> String {
        "index,depth_lower,depth_upper,top_k_reachable_from\n"
            + report.results.map { r in
                "\(r.index),\(r.lower),\(r.upper),\(r.topKReachableFrom.map(String.init) ?? "")"
            }.joined(separator: "\n")
    }

    static func text(_ report: DepthReport, layerPath: String) -> String {
        let domainText: String
        switch report.domain {
        case .box(let r): domainText = "box [−\(r), \(r)]^\(report.dimension)"
        case .unbounded: domainText = "all of R^\(report.dimension)"
        case .bounds: domainText = "per-dimension bounds"
        }
        let bias = report.hasBias ? "with bias" : "no bias"
        var lines = [
            "layer:         \(layerPath) (\(report.classes) classes, d = \(report.dimension), \(bias))",
            "inputs:        \(domainText)",
            "rank depth r   classes   (top-k can emit them from k = r + 1)",
        ]
        for (depth, count) in report.histogram.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "  %-12d %-9d", depth, count))
        }
        let undecided = report.results.filter { !$0.isDecided }
        if !undecided.isEmpty {
            let atLeast = report.maxK.map { k in undecided.filter { $0.lower >= k }.count } ?? 0
            lines.append(
                "bracketed:     \(undecided.count) (lower < upper)"
                    + (report.maxK.map { " — \(atLeast) with r ≥ \($0) proved" } ?? ""))
            lines += undecided.prefix(30).map { "  class \($0.index): \($0.lower) ≤ r ≤ \($0.upper)" }
            if undecided.count > 30 { lines.append("  … (\(undecided.count - 30) more; see --format json)") }
        }
        lines.append(String(format: "time:          %.3f s", report.seconds))
        return lines.joined(separator: "\n")
    }
}
