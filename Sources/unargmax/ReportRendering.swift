import Foundation
import OutputHeads
import Unargmaxable
import Vocabularies

/// The documented outputs of `unargmax check`: report (JSON schema "unargmaxable.report/1", CSV,
/// text) and certificates (JSON schema "unargmaxable.certificates/1"). In JSON, a margin bound that
/// is infinite (unknown) is null: null lower means −∞, null upper means +∞.
enum ReportRendering {
    static func domain(_ domain: InputDomain) -> JSONValue {
        switch domain {
        case .box(let r): return .object([("kind", "box"), ("radius", .number(r))])
        case .unbounded: return .object([("kind", "unbounded")])
        case let .bounds(lower, upper):
            return .object([("kind", "bounds"), ("lower", .numbers(lower)), ("upper", .numbers(upper))])
        }
    }

    /// The model's raw token for class `index` (nil without a vocabulary or past its end).
    static func token(_ index: Int, _ vocabulary: Vocabulary?) -> String? {
        guard let vocabulary, index < vocabulary.count else { return nil }
        return vocabulary.tokens[index]
    }

    /// How a person reads class `index`: its index and, when known, its token made readable.
    static func label(_ index: Int, _ vocabulary: Vocabulary?) -> String {
        guard let vocabulary else { return String(index) }
        guard index < vocabulary.count else { return "\(index) (no token)" }
        return "\(index) \(vocabulary.display(index))"
    }

    static func json(
        _ report: ArgmaxabilityReport, layerPath: String, model: ModelHead? = nil, filters: [String] = []
    ) -> String {
        let vocabulary = model?.vocabulary
        let classes: [JSONValue] = report.results.map { r in
            var members: [(String, JSONValue)] = [("index", .int(r.index))]
            if vocabulary != nil {
                members.append(("token", token(r.index, vocabulary).map(JSONValue.string) ?? .null))
            }
            members += [
                ("verdict", .string(r.verdict.rawValue)), ("steps", .int(r.steps)),
                ("margin", .object([("lower", .number(r.margin.lower)), ("upper", .number(r.margin.upper))])),
                ("stage", .string(r.stage.rawValue)),
            ]
            return .object(members)
        }
        var layer: [(String, JSONValue)] = [
            ("path", .string(layerPath)), ("classes", .int(report.classes)),
            ("dimension", .int(report.dimension)), ("bias", .bool(report.hasBias)),
        ]
        if let model, let weightName = model.weightName {
            layer.append(("weights_tensor", .string(weightName)))
            layer.append(("bias_tensor", model.biasName.map(JSONValue.string) ?? .null))
            layer.append(("weights_file", .string(model.weightsFile)))
        }
        if let vocabulary {
            layer.append(
                ("vocabulary", .object([("source", .string(vocabulary.source)), ("tokens", .int(vocabulary.count))])))
        }
        if let model, !model.warnings.isEmpty {
            layer.append(("warnings", .array(model.warnings.map(JSONValue.string))))
        }
        let value: JSONValue = .object([
            ("schema", "unargmaxable.report/1"),
            ("generator", .string("unargmax \(Unargmax.version)")),
            ("layer", .object(layer)),
            ("domain", domain(report.domain)),
            (
                "summary",
                .object([
                    ("argmaxable", .int(report.count(.argmaxable))),
                    ("unargmaxable", .int(report.count(.unargmaxable))),
                    ("undecided", .int(report.count(.undecided))), ("decided_classes", .int(report.results.count)),
                    ("filters", .array(filters.map(JSONValue.string))), ("seconds", .number(report.seconds)),
                ])
            ),
            ("classes", .array(classes)),
        ])
        return value.rendered()
    }

    static func csv(_ report: ArgmaxabilityReport, vocabulary: Vocabulary? = nil) -> String {
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : (x > 0 ? "inf" : "-inf") }
        // RFC 4180: quote every token, doubling quotes inside (tokens hold commas, quotes, newlines).
        func quoted(_ text: String?) -> String {
            text.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" } ?? ""
        }
        let tokenColumn = vocabulary == nil ? "" : ",token"
        return "index\(tokenColumn),verdict,steps,margin_lower,margin_upper,stage\n"
            + report.results.map { r in
                let token = vocabulary == nil ? "" : "," + quoted(self.token(r.index, vocabulary))
                return "\(r.index)\(token),\(r.verdict.rawValue),\(r.steps),"
                    + "\(number(r.margin.lower)),\(number(r.margin.upper)),\(r.stage.rawValue)"
            }.joined(separator: "\n")
    }

    static func text(
        _ report: ArgmaxabilityReport, layerPath: String, model: ModelHead? = nil, filters: [String] = []
    ) -> String {
        let vocabulary = model?.vocabulary
        let domainText: String
        switch report.domain {
        case .box(let r): domainText = "box [−\(r), \(r)]^\(report.dimension)"
        case .unbounded: domainText = "all of R^\(report.dimension)"
        case .bounds: domainText = "per-dimension bounds"
        }
        let unargmaxable = report.indices(.unargmaxable), undecided = report.indices(.undecided)
        let approximate = report.results.filter { $0.stage == .approximate }.count
        var lines = [
            "layer:         \(layerPath) (\(report.classes) classes, d = \(report.dimension), \(report.hasBias ? "with bias" : "no bias"))",
            "inputs:        \(domainText)",
            "argmaxable:    \(report.count(.argmaxable)) (\(approximate) by braid reflect, \(report.count(.argmaxable) - approximate) by the exact LP)",
        ]
        if let model, let weightName = model.weightName {
            lines.insert("head:          \(weightName)" + (model.biasName.map { ", bias \($0)" } ?? ", no bias"), at: 1)
        }
        if let vocabulary { lines.insert("vocabulary:    \(vocabulary.source) (\(vocabulary.count) tokens)", at: 2) }
        for warning in model?.warnings ?? [] { lines.append("note:          \(warning)") }
        if !filters.isEmpty {
            lines.append(
                "classes:       \(report.results.count) of \(report.classes) decided (\(filters.joined(separator: "; "))),"
                    + " all \(report.classes) competing")
        }
        if vocabulary != nil {
            lines.append("unargmaxable:  \(unargmaxable.count)")
            lines += unargmaxable.prefix(200).map { "  " + label($0, vocabulary) }
            if unargmaxable.count > 200 { lines.append("  … (\(unargmaxable.count - 200) more; see --format json)") }
        } else {
            lines.append("unargmaxable:  \(unargmaxable.count) — \(CommandSupport.indexList(unargmaxable))")
        }
        if !undecided.isEmpty {
            lines.append("undecided:     \(undecided.count) — \(CommandSupport.indexList(undecided))")
        }
        lines.append(String(format: "time:          %.3f s", report.seconds))
        return lines.joined(separator: "\n")
    }

    static func certificates(_ report: ArgmaxabilityReport) -> String {
        let entries: [JSONValue] = report.results.compactMap { r in
            guard r.verdict != .undecided, let certificate = r.certificate else { return nil }
            switch certificate {
            case .witness(let x):
                return .object([("index", .int(r.index)), ("witness", .numbers(x))])
            case let .multipliers(indices, weights, exact):
                var members: [(String, JSONValue)] = [("indices", .ints(indices)), ("weights", .numbers(weights))]
                if let exact { members.append(("exact", .array(exact.map(JSONValue.string)))) }
                return .object([("index", .int(r.index)), ("multipliers", .object(members))])
            }
        }
        return JSONValue.object([
            ("schema", "unargmaxable.certificates/1"),
            ("generator", .string("unargmax \(Unargmax.version)")),
            ("domain", domain(report.domain)),
            ("bias", .bool(report.hasBias)),
            ("classes", .array(entries)),
        ]).rendered()
    }
}
