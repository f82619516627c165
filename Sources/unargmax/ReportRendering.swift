import ClassGeometry
import Foundation
import OutputHeads
import Unargmaxable
import Vocabularies
import ResultFiles
import JSONDocuments

/// The documented outputs of `unargmax check`: report (JSON schema "unargmaxable.report/1", CSV,
/// text) and certificates (JSON schema "unargmaxable.certificates/1"). In JSON, a margin bound that
/// is infinite (unknown) is null: null lower means −∞, null upper means +∞.
enum ReportRendering {
    static func domain(_ domain: InputDomain) -> JSONValue { CertificatesFile.domain(domain) }

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
        _ report: ArgmaxabilityReport, layerPath: String, model: ModelHead? = nil, filters: [String] = [],
        interiority: [Int: ClassInteriority]? = nil, digest: String? = nil, options: JSONValue? = nil,
        shard: ShardSpec? = nil
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
            if let interiority { members.append(("interiority", interiority[r.index].map(json) ?? .null)) }
            return .object(members)
        }
        var layer: [(String, JSONValue)] = [
            ("path", .string(layerPath)), ("classes", .int(report.classes)),
            ("dimension", .int(report.dimension)), ("bias", .bool(report.hasBias)),
        ]
        if let digest { layer.append(("digest", .string(digest))) }
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
        var top: [(String, JSONValue)] = [
            ("schema", "unargmaxable.report/1"),
            ("generator", .string("unargmax \(Unargmax.version)")),
            ("layer", .object(layer)),
            ("domain", domain(report.domain)),
        ]
        if let options { top.append(("options", options)) }
        if let shard { top.append(("shard", .object([("index", .int(shard.index)), ("count", .int(shard.count))]))) }
        top += [
            (
                "summary",
                summary(classes, filters: .array(filters.map(JSONValue.string)), seconds: report.seconds)
            ),
            ("classes", .array(classes)),
        ]
        return JSONValue.object(top).rendered()
    }

    /// A report's summary, counted from its class entries (also used by `unargmax merge`).
    static func summary(_ classes: [JSONValue], filters: JSONValue, seconds: Double) -> JSONValue {
        func count(_ verdict: Verdict) -> Int {
            classes.reduce(0) { $0 + ($1["verdict"]?.stringValue == verdict.rawValue ? 1 : 0) }
        }
        return .object([
            ("argmaxable", .int(count(.argmaxable))), ("unargmaxable", .int(count(.unargmaxable))),
            ("undecided", .int(count(.undecided))), ("decided_classes", .int(classes.count)), ("filters", filters),
            ("seconds", .number(seconds)),
        ])
    }

    static func csv(
        _ report: ArgmaxabilityReport, vocabulary: Vocabulary? = nil, interiority: [Int: ClassInteriority]? = nil
    ) -> String {
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : (x > 0 ? "inf" : "-inf") }
        // RFC 4180: quote every token, doubling quotes inside (tokens hold commas, quotes, newlines).
        func quoted(_ text: String?) -> String {
            text.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" } ?? ""
        }
        let tokenColumn = vocabulary == nil ? "" : ",token"
        let interiorityColumns = interiority == nil ? "" : "," + interiorityCSVHeader
        return "index\(tokenColumn),verdict,steps,margin_lower,margin_upper,stage\(interiorityColumns)\n"
            + report.results.map { r in
                let token = vocabulary == nil ? "" : "," + quoted(self.token(r.index, vocabulary))
                let extra = interiority.map { "," + interiorityCSV($0[r.index]) } ?? ""
                return "\(r.index)\(token),\(r.verdict.rawValue),\(r.steps),"
                    + "\(number(r.margin.lower)),\(number(r.margin.upper)),\(r.stage.rawValue)\(extra)"
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
            "layer:         \(layerPath) (\(report.classes) classes, d = \(report.dimension), "
                + "\(report.hasBias ? "with bias" : "no bias"))",
            "inputs:        \(domainText)",
            "argmaxable:    \(report.count(.argmaxable)) (\(approximate) by braid reflect, "
                + "\(report.count(.argmaxable) - approximate) by the exact LP)",
        ]
        if let model, let weightName = model.weightName {
            lines.insert("head:          \(weightName)" + (model.biasName.map { ", bias \($0)" } ?? ", no bias"), at: 1)
        }
        if let vocabulary { lines.insert("vocabulary:    \(vocabulary.source) (\(vocabulary.count) tokens)", at: 2) }
        for warning in model?.warnings ?? [] { lines.append("note:          \(warning)") }
        if !filters.isEmpty {
            lines.append(
                "classes:       \(report.results.count) of \(report.classes) decided "
                    + "(\(filters.joined(separator: "; "))),"
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

    /// The certificates JSON of a report's decided classes.
    static func certificates(_ report: ArgmaxabilityReport) -> String {
        CertificatesFile.json(
            report.results.compactMap { r in
                guard r.verdict != .undecided, let certificate = r.certificate else { return nil }
                return (r.index, certificate)
            }, domain: report.domain, bias: report.hasBias, generator: "unargmax \(Unargmax.version)")
    }

    // MARK: - Interiority (check --interiority, hull --interiority); see Documentation/Interiority.md

    /// One class's interiority as JSON members; infinite numbers are null (a null upper end means +∞).
    static func members(_ m: ClassInteriority) -> [(String, JSONValue)] {
        let scaling: JSONValue
        switch m.weightScaling {
        case .notNeeded: scaling = .object([("status", "not_needed")])
        case .never: scaling = .object([("status", "never")])
        case .undetermined: scaling = .object([("status", "undetermined")])
        case let .bracket(lower, upper):
            scaling = .object([("status", "bracket"), ("lower", .number(lower)), ("upper", .number(upper))])
        }
        let shrinking: JSONValue
        switch m.weightShrinking {
        case .notNeeded: shrinking = .object([("status", "not_needed")])
        case .none: shrinking = .object([("status", "none")])
        case .undetermined: shrinking = .object([("status", "undetermined")])
        case let .bracket(lower, upper):
            shrinking = .object([("status", "bracket"), ("lower", .number(lower)), ("upper", .number(upper))])
        }
        let ball: JSONValue =
            m.chebyshev.map {
                .object([
                    ("radius", .number($0.radius)), ("certified_radius", .number($0.certifiedRadius)),
                    ("centre", .numbers($0.centre)),
                ])
            } ?? .null
        return [
            ("verdict", .string(m.verdict.rawValue)),
            ("margin", .object([("lower", .number(m.margin.lower)), ("upper", .number(m.margin.upper))])),
            (
                "bias_increase",
                .object([("lower", .number(m.biasIncrease.lower)), ("upper", .number(m.biasIncrease.upper))])
            ),
            ("weight_scaling", scaling), ("weight_shrinking", shrinking), ("chebyshev", ball),
            ("hull_distance", m.hullDistance.map(JSONValue.number) ?? .null),
        ]
    }

    static func json(_ m: ClassInteriority) -> JSONValue { .object(members(m)) }

    static let interiorityCSVHeader =
        "depth_margin_lower,depth_margin_upper,bias_increase_lower,bias_increase_upper,"
        + "weight_scaling,weight_scaling_lower,weight_scaling_upper,"
        + "weight_shrinking,weight_shrinking_lower,weight_shrinking_upper,chebyshev_radius,chebyshev_certified_radius,"
        + "hull_distance"

    static func interiorityCSV(_ m: ClassInteriority?) -> String {
        guard let m else { return String(repeating: ",", count: 12) }
        func number(_ x: Double?) -> String {
            guard let x else { return "" }
            return x.isFinite ? "\(x)" : (x > 0 ? "inf" : "-inf")
        }
        let scaling: (String, Double?, Double?)
        switch m.weightScaling {
        case .notNeeded: scaling = ("not_needed", nil, nil)
        case .never: scaling = ("never", nil, nil)
        case .undetermined: scaling = ("undetermined", nil, nil)
        case let .bracket(lower, upper): scaling = ("bracket", lower, upper)
        }
        let shrinking: (String, Double?, Double?)
        switch m.weightShrinking {
        case .notNeeded: shrinking = ("not_needed", nil, nil)
        case .none: shrinking = ("none", nil, nil)
        case .undetermined: shrinking = ("undetermined", nil, nil)
        case let .bracket(lower, upper): shrinking = ("bracket", lower, upper)
        }
        return [
            number(m.margin.lower), number(m.margin.upper), number(m.biasIncrease.lower),
            number(m.biasIncrease.upper), scaling.0, number(scaling.1), number(scaling.2), shrinking.0,
            number(shrinking.1), number(shrinking.2),
            number(m.chebyshev?.radius), number(m.chebyshev?.certifiedRadius), number(m.hullDistance),
        ].joined(separator: ",")
    }

    /// A table of interiority measures for text output, one class per line.
    static func interiorityTable(_ measures: [ClassInteriority], vocabulary: Vocabulary? = nil) -> String {
        func short(_ x: Double) -> String { x.isFinite ? String(format: "%.4g", x) : (x > 0 ? "∞" : "−∞") }
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        var lines = [
            [
                pad("class", 13), pad("verdict", 13), pad("margin", 24), pad("bias increase", 22),
                pad("weight × s", 22), pad("weight × s < 1", 22), pad("ball r (certified)", 22), "hull distance",
            ].joined(separator: " ")
        ]
        for m in measures {
            let scaling: String
            switch m.weightScaling {
            case .notNeeded: scaling = "—"
            case .never: scaling = "never"
            case .undetermined: scaling = "?"
            case let .bracket(lower, upper): scaling = "[\(short(lower)), \(short(upper))]"
            }
            let shrinking: String
            switch m.weightShrinking {
            case .notNeeded: shrinking = "—"
            case .none: shrinking = "none"
            case .undetermined: shrinking = "?"
            case let .bracket(lower, upper): shrinking = "[\(short(lower)), \(short(upper))]"
            }
            let ball = m.chebyshev.map { "\(short($0.radius)) (\(short($0.certifiedRadius)))" } ?? "—"
            lines.append(
                [
                    pad(label(m.index, vocabulary), 13), pad(m.verdict.rawValue, 13),
                    pad("[\(short(m.margin.lower)), \(short(m.margin.upper))]", 24),
                    pad("[\(short(m.biasIncrease.lower)), \(short(m.biasIncrease.upper))]", 22), pad(scaling, 22),
                    pad(shrinking, 22),
                    pad(ball, 22), m.hullDistance.map(short) ?? "—",
                ].joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}
