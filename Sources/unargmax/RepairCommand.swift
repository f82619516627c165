import ArgumentParser
import Foundation
import LayerFormats
import LayerStudies
import Unargmaxable
import ResultFiles
import JSONDocuments

struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Make every unargmaxable class argmaxable by the certified amount, and write the repaired layer.",
        discussion: """
            --method bias (default) raises the bias of each unargmaxable class c by its certified deficit: the \
            detector brackets c's margin lower ≤ m_c ≤ upper ≤ 0, and raising b_c by Δ raises m_c by exactly \
            Δ, so Δ = −lower + δ·max(|lower|, 1) makes c argmaxable while −upper would not. A layer without \
            bias gains one. Every class is re-checked with certificates after each round, since a raised class \
            can swallow a neighbour, which the next round raises. Rows that are exact duplicates can never all \
            be argmaxable (the copy with the larger bias wins everywhere): the repair keeps one copy and \
            reports the others. --method norm (layers without bias) instead scales the row w_c by the smallest \
            factor s found by bisection with certified verdicts at every step. The layer is written as .npz \
            (W, b) atomically; exit code 1 when some class could not be repaired (the file is still written, \
            and the report says which).

              unargmax repair layer.npz --output repaired.npz
              unargmax repair layer.npz --output repaired.npz --unbounded --format json
              unargmax repair nobias.npz --output scaled.npz --method norm
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "The layer or model: .npz/.npy, .safetensors, a PyTorch .bin/.pt, .gguf, or a Hugging Face folder.")
    var layer: String

    @OptionGroup var head: HeadOptions

    @Option(help: "Write the repaired layer here (.npz with W and b).")
    var output: String

    @Option(help: "Inputs lie in the box |x_j| ≤ R (default 100, the paper's setting).")
    var box: Double?

    @Flag(help: "Inputs may be anything in R^d.")
    var unbounded = false

    @Option(help: "bias (raise biases) or norm (scale weight rows; layers without bias).")
    var method: RepairMethod = .bias

    @Option(help: "Safety margin δ, relative (bias: added δ·max(|deficit|, 1); norm: bisection tolerance).")
    var margin = 1e-3

    @Option(help: "Rounds of repair and re-check before giving up.")
    var rounds = 25

    @Option(help: "Threads for the detectors (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Output format of the report: text or json.")
    var format: Format = .text

    @Option(help: "Write the report to this file (atomically) instead of stdout.")
    var report: String?

    func validate() throws {
        if unbounded && box != nil { throw ValidationError("Give --box R or --unbounded, not both.") }
        if let box, !(box > 0 && box.isFinite) { throw ValidationError("--box needs a positive radius.") }
        guard margin > 0, margin.isFinite else { throw ValidationError("--margin must be a positive number.") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
    }

    func run() throws {
        let model = try head.load(layer)
        let softmax = SoftmaxLayer(model.arrays)
        var options = RepairOptions()
        options.method = method
        options.margin = margin
        options.maximumRounds = rounds
        options.detector.domain = unbounded ? .unbounded : .box(radius: box ?? 100)
        options.detector.threads = threads
        let result = try Repair.run(softmax, options: options)
        try result.arrays().writeNPZ(to: output)
        let rendered = format == .json ? json(result) : text(result)
        try CommandSupport.emit(rendered, output: report)
        if !result.succeeded {
            throw CommandFailure(
                "\(layer): \(result.unfixed.count) class(es) could not be repaired "
                    + "(\(CommandSupport.indexList(result.unfixed))); "
                    + "\(result.newlyUnargmaxable.count) newly unargmaxable. \(output) holds the best layer found."
            )
        }
    }

    func json(_ result: RepairResult) -> String {
        let changes: [JSONValue] = result.changes.map { change in
            var members: [(String, JSONValue)] = [
                ("index", .int(change.index)),
                (
                    "margin_before",
                    .object([("lower", .number(change.bracket.lower)), ("upper", .number(change.bracket.upper))])
                ),
            ]
            if result.method == .bias {
                members += [
                    ("old_bias", .number(change.oldBias)), ("new_bias", .number(change.newBias)),
                    ("change", .number(change.newBias - change.oldBias)),
                ]
            } else {
                members += [
                    ("scale", .number(change.scale)),
                    ("scale_unargmaxable", change.scaleUnargmaxable.map(JSONValue.number) ?? .null),
                ]
            }
            members.append(("rounds", .int(change.raises)))
            return .object(members)
        }
        let value: JSONValue = .object([
            ("schema", "unargmaxable.repair/1"), ("generator", .string("unargmax \(Unargmax.version)")),
            ("layer", .string(layer)), ("output", .string(output)), ("method", .string(result.method.rawValue)),
            ("domain", ReportRendering.domain(result.before.domain)), ("margin", .number(margin)),
            ("bias_added", .bool(!result.inputHadBias && result.repaired.hasBias)),
            (
                "before",
                .object([
                    ("unargmaxable", .ints(result.before.indices(.unargmaxable))),
                    ("undecided", .ints(result.before.indices(.undecided))),
                ])
            ),
            (
                "after",
                .object([
                    ("unargmaxable", .ints(result.after.indices(.unargmaxable))),
                    ("undecided", .ints(result.after.indices(.undecided))),
                ])
            ),
            ("changes", .array(changes)), ("total_bias_change", .number(result.totalBiasChange)),
            (
                "duplicates",
                .array(result.conflicts.map { .object([("kept", .int($0.kept)), ("unfixable", .ints($0.others))]) })
            ),
            ("zero_rows", .ints(result.zeroRows)), ("unfixed", .ints(result.unfixed)),
            ("newly_unargmaxable", .ints(result.newlyUnargmaxable)), ("rounds", .int(result.rounds)),
            ("succeeded", .bool(result.succeeded)),
        ])
        return value.rendered()
    }

    func text(_ result: RepairResult) -> String {
        var lines = [
            "layer:         \(layer) (\(result.before.classes) classes, d = \(result.before.dimension), "
                + "\(result.inputHadBias ? "with bias" : "no bias"))",
            "method:        \(result.method.rawValue), safety margin δ = \(margin), \(result.rounds) round(s)",
            "before:        \(result.before.count(.unargmaxable)) unargmaxable, "
                + "\(result.before.count(.undecided)) undecided",
            "after:         \(result.after.count(.unargmaxable)) unargmaxable, "
                + "\(result.after.count(.undecided)) undecided (re-checked with certificates)",
        ]
        if result.method == .bias && !result.inputHadBias && result.repaired.hasBias {
            lines.append("note:          the layer had no bias; the repaired layer has one (0 for unchanged classes)")
        }
        if !result.changes.isEmpty {
            lines.append(
                result.method == .bias
                    ? "changes:       class  margin before [lower, upper]  old bias → new bias  (change)"
                    : "changes:       class  margin before [lower, upper]  scale (certified unargmaxable at)")
        }
        for change in result.changes {
            let bracket = String(format: "[%.6g, %.6g]", change.bracket.lower, change.bracket.upper)
            if result.method == .bias {
                lines.append(
                    String(
                        format: "  %8d  %@  %.9g → %.9g  (%+.6g)", change.index, bracket, change.oldBias,
                        change.newBias, change.newBias - change.oldBias))
            } else {
                lines.append(
                    String(
                        format: "  %8d  %@  s = %.6g (%@)", change.index, bracket, change.scale,
                        change.scaleUnargmaxable.map { String(format: "%.6g", $0) } ?? "—"))
            }
        }
        if result.method == .bias { lines.append("total change:  \(result.totalBiasChange)") }
        for conflict in result.conflicts {
            lines.append(
                "duplicates:    classes "
                    + "\(([conflict.kept] + conflict.others).sorted().map(String.init).joined(separator: ", ")) "
                    + "have identical rows: at most one can be argmaxable; "
                    + "kept \(conflict.kept), cannot fix \(CommandSupport.indexList(conflict.others))"
            )
        }
        if !result.zeroRows.isEmpty {
            lines.append(
                "zero rows:     \(CommandSupport.indexList(result.zeroRows)) cannot be scaled (use --method bias)")
        }
        lines.append(
            result.succeeded
                ? "result:        every class is argmaxable"
                    + "\(result.conflicts.isEmpty ? "" : " except the duplicate copies above")"
                : "result:        NOT repaired: \(CommandSupport.indexList(result.unfixed)) still not argmaxable, "
                    + "\(CommandSupport.indexList(result.newlyUnargmaxable)) newly unargmaxable"
        )
        lines.append("written:       \(output)")
        return lines.joined(separator: "\n")
    }
}

extension RepairMethod: ExpressibleByArgument {}
