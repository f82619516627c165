import Foundation
import Unargmaxable

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

    static func json(_ report: ArgmaxabilityReport, layerPath: String) -> String {
        let classes: [JSONValue] = report.results.map { r in
            .object([
                ("index", .int(r.index)), ("verdict", .string(r.verdict.rawValue)), ("steps", .int(r.steps)),
                ("margin", .object([("lower", .number(r.margin.lower)), ("upper", .number(r.margin.upper))])),
                ("stage", .string(r.stage.rawValue)),
            ])
        }
        let value: JSONValue = .object([
            ("schema", "unargmaxable.report/1"),
            ("generator", .string("unargmax \(Unargmax.version)")),
            (
                "layer",
                .object([
                    ("path", .string(layerPath)), ("classes", .int(report.classes)),
                    ("dimension", .int(report.dimension)), ("bias", .bool(report.hasBias)),
                ])
            ),
            ("domain", domain(report.domain)),
            (
                "summary",
                .object([
                    ("argmaxable", .int(report.count(.argmaxable))),
                    ("unargmaxable", .int(report.count(.unargmaxable))),
                    ("undecided", .int(report.count(.undecided))), ("seconds", .number(report.seconds)),
                ])
            ),
            ("classes", .array(classes)),
        ])
        return value.rendered()
    }

    static func csv(_ report: ArgmaxabilityReport) -> String {
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : (x > 0 ? "inf" : "-inf") }
        return "index,verdict,steps,margin_lower,margin_upper,stage\n"
            + report.results.map {
                "\($0.index),\($0.verdict.rawValue),\($0.steps),\(number($0.margin.lower)),\(number($0.margin.upper)),\($0.stage.rawValue)"
            }.joined(separator: "\n")
    }

    static func text(_ report: ArgmaxabilityReport, layerPath: String) -> String {
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
            "unargmaxable:  \(unargmaxable.count) — \(CommandSupport.indexList(unargmaxable))",
        ]
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
