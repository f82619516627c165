import Foundation
import LayerFormats
import Unargmaxable
import JSONDocuments

/// A certificates file: JSON (schema "unargmaxable.certificates/1", for small layers and reading by
/// eye) or the binary npz layout (schema "unargmaxable.certificates/2", see `CertificateArchive`),
/// told apart by their first bytes when read.
public struct CertificatesFile {
    /// The JSON schema.
    public static let jsonSchema = "unargmaxable.certificates/1"

    /// The inputs the certificates are about.
    public let domain: InputDomain
    /// Whether they are for the layer with its bias.
    public let bias: Bool
    /// Each decided class's certificate, ascending by class.
    public let entries: [(index: Int, certificate: Certificate)]

    /// Certificates held in memory.
    public init(domain: InputDomain, bias: Bool, entries: [(index: Int, certificate: Certificate)]) {
        self.domain = domain
        self.bias = bias
        self.entries = entries
    }

    /// Reads either format from `path`.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ResultFileError(path, "No such file (or not readable)")
        }
        if data.starts(with: [0x50, 0x4B]) {
            self = try CertificateArchive.read(path: path)
        } else {
            self = try Self(json: data, path: path)
        }
    }

    /// Reads the JSON format from `data`; errors name `path`.
    public init(json data: Data, path: String) throws {
        func fail(_ why: String) -> ResultFileError { ResultFileError(path, why) }
        let root: JSONValue
        do { root = try JSONParser.parse(data) } catch { throw fail("\(error)") }
        guard root["schema"]?.stringValue == Self.jsonSchema else { throw fail("schema is not \(Self.jsonSchema)") }
        domain = try Self.domain(root["domain"], path: path)
        if case .bool(let b)? = root["bias"] { bias = b } else { bias = false }
        guard let classes = root["classes"]?.arrayValue else { throw fail("has no 'classes' list") }
        entries = try classes.enumerated().map { position, entry in
            guard let index = entry["index"]?.intValue else { throw fail("entry \(position) has no index") }
            if let witness = entry["witness"]?.arrayValue {
                let x = witness.compactMap(\.doubleValue)
                guard x.count == witness.count else { throw fail("class \(index): the witness must be numbers") }
                return (index, .witness(x))
            }
            if let m = entry["multipliers"] {
                return (index, try Self.multipliers(m, fail: { fail("class \(index): \($0)") }))
            }
            throw fail("entry \(position) (class \(index)) has neither a witness nor multipliers")
        }
    }

    /// The JSON document of these entries (ascending by class).
    public static func json(
        _ entries: [(index: Int, certificate: Certificate)], domain: InputDomain, bias: Bool, generator: String
    ) -> String {
        JSONValue.object([
            ("schema", .string(jsonSchema)),
            ("generator", .string(generator)),
            ("domain", Self.domain(domain)),
            ("bias", .bool(bias)),
            ("classes", .array(entries.map { entry(index: $0.index, certificate: $0.certificate) })),
        ]).rendered()
    }

    /// One class's entry in the JSON document (its digest is what the results database records).
    public static func entry(index: Int, certificate: Certificate) -> JSONValue {
        .object([("index", .int(index))] + members(certificate))
    }

    /// A certificate as JSON members: `witness`, or `multipliers` (indices, weights, exact fractions).
    public static func members(_ certificate: Certificate) -> [(String, JSONValue)] {
        switch certificate {
        case .witness(let x):
            return [("witness", .numbers(x))]
        case let .multipliers(indices, weights, exact):
            var members: [(String, JSONValue)] = [("indices", .ints(indices)), ("weights", .numbers(weights))]
            if let exact { members.append(("exact", .array(exact.map(JSONValue.string)))) }
            return [("multipliers", .object(members))]
        }
    }

    /// Multipliers from their JSON object; `fail` makes the error for a malformed one.
    static func multipliers(_ m: JSONValue, fail: (String) -> ResultFileError) throws -> Certificate {
        guard let indices = m["indices"]?.arrayValue, let weights = m["weights"]?.arrayValue else {
            throw fail("malformed multipliers")
        }
        let i = indices.compactMap(\.intValue), w = weights.compactMap(\.doubleValue)
        guard i.count == indices.count, w.count == weights.count else { throw fail("malformed multipliers") }
        let exact = m["exact"]?.arrayValue.map { $0.compactMap(\.stringValue) }
        return .multipliers(indices: i, weights: w, exact: exact)
    }

    /// An input domain as reports and certificates write it.
    public static func domain(_ domain: InputDomain) -> JSONValue {
        switch domain {
        case .box(let r): return .object([("kind", "box"), ("radius", .number(r))])
        case .unbounded: return .object([("kind", "unbounded")])
        case let .bounds(lower, upper):
            return .object([("kind", "bounds"), ("lower", .numbers(lower)), ("upper", .numbers(upper))])
        }
    }

    /// The domain as `domain(_:)` writes it; errors name `path`.
    public static func domain(_ value: JSONValue?, path: String) throws -> InputDomain {
        func fail(_ why: String) -> ResultFileError { ResultFileError(path, why) }
        guard let domain = value, let kind = domain["kind"]?.stringValue else { throw fail("has no domain") }
        switch kind {
        case "box":
            guard let radius = domain["radius"]?.doubleValue, radius > 0 else {
                throw fail("box domain without a positive radius")
            }
            return .box(radius: radius)
        case "unbounded": return .unbounded
        case "bounds":
            guard let lowerItems = domain["lower"]?.arrayValue, let upperItems = domain["upper"]?.arrayValue,
                case let lower = lowerItems.compactMap(\.doubleValue),
                case let upper = upperItems.compactMap(\.doubleValue),
                lower.count == lowerItems.count, upper.count == upperItems.count, lower.count == upper.count,
                zip(lower, upper).allSatisfy({ $0 <= $1 })
            else { throw fail("bounds domain without matching lower ≤ upper lists") }
            return .bounds(lower: lower, upper: upper)
        default: throw fail("unsupported domain kind '\(kind)'")
        }
    }
}
