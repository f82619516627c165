import Foundation

/// A JSON value whose objects keep their keys in the order written, so reports read top-down
/// ("schema" first) and diff cleanly. Arrays of scalars print on one line.
public indirect enum JSONValue: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral
{
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case int(Int)
    case number(Double)
    case bool(Bool)
    case null

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    /// An array of integers.
    public static func ints(_ values: [Int]) -> JSONValue { .array(values.map(JSONValue.int)) }
    /// An array of numbers.
    public static func numbers(_ values: [Double]) -> JSONValue { .array(values.map(JSONValue.number)) }

    /// Single-line form.
    public var compact: String {
        switch self {
        case .object(let members):
            return "{" + members.map { "\(JSONValue.quote($0.0)): \($0.1.compact)" }.joined(separator: ", ") + "}"
        case .array(let items): return "[" + items.map(\.compact).joined(separator: ", ") + "]"
        default: return rendered()
        }
    }

    /// Indented form; small objects (one line under 160 characters) stay on one line.
    public func rendered(indent: String = "") -> String {
        switch self {
        case .object(let members):
            if members.isEmpty { return "{}" }
            if !indent.isEmpty, case let line = compact, line.count < 160 { return line }
            let inner = indent + "  "
            return "{\n"
                + members.map { "\(inner)\(JSONValue.quote($0.0)): \($0.1.rendered(indent: inner))" }.joined(
                    separator: ",\n") + "\n\(indent)}"
        case .array(let items):
            if items.allSatisfy({
                if case .object = $0 { return false }
                if case .array = $0 { return false }
                return true
            }) {
                return "[" + items.map { $0.rendered() }.joined(separator: ", ") + "]"
            }
            let inner = indent + "  "
            return "[\n" + items.map { inner + $0.rendered(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .string(let s): return JSONValue.quote(s)
        case .int(let n): return String(n)
        // Shortest round-trip representation; non-finite numbers have no JSON form.
        case .number(let x): return x.isFinite ? "\(x)" : "null"
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    /// `s` as a JSON string literal, quoted, with quotes, backslashes and control characters escaped (the
    /// one encoder of every JSON the tool writes by hand: reports, certificates, results tables).
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
