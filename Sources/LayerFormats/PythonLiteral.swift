/// The Python literals a `.npy` header may contain — strings, integers, booleans, `None`, tuples,
/// lists and dictionaries with string keys — parsed by a strict recursive-descent parser over the
/// header's UTF-8 bytes. Nesting is capped, so no header (however hostile) can exhaust the stack;
/// anything outside this grammar is a `ParseError`, never a crash.
indirect enum PythonLiteral: Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dictionary([String: PythonLiteral])

    struct ParseError: Error { let reason: String }

    /// Real headers nest at most three deep (a structured dtype's list of tuples).
    static let maximumDepth = 32

    /// Parses `text` as exactly one dictionary literal (surrounding whitespace allowed).
    static func parseDictionary<Bytes: Collection<UInt8>>(_ text: Bytes) throws -> [String: PythonLiteral] {
        var parser = Parser(Array(text))
        parser.skipSpace()
        guard case .dictionary(let result) = try parser.value(depth: 0) else {
            throw ParseError(reason: "the header is not a dictionary")
        }
        parser.skipSpace()
        guard parser.atEnd else {
            throw ParseError(reason: "unexpected text after the dictionary at offset \(parser.position)")
        }
        return result
    }

    /// A short rendering for error messages.
    var summary: String {
        switch self {
        case .string(let s): return "'\(s.prefix(40))'"
        case .int(let n): return String(n)
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple: return "a tuple"
        case .list: return "a list (a structured dtype)"
        case .dictionary: return "a dictionary"
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position >= bytes.count }
        var current: UInt8? { atEnd ? nil : bytes[position] }

        mutating func skipSpace() {
            while let c = current,
                c == UInt8(ascii: " ") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r")
            {
                position += 1
            }
        }

        mutating func consume(_ c: Unicode.Scalar) -> Bool {
            guard current == UInt8(ascii: c) else { return false }
            position += 1
            return true
        }

        func failure(_ what: String) -> ParseError { ParseError(reason: "\(what) at offset \(position)") }

        mutating func value(depth: Int) throws -> PythonLiteral {
            guard depth < PythonLiteral.maximumDepth else {
                throw failure("nesting deeper than \(PythonLiteral.maximumDepth)")
            }
            guard let c = current else { throw failure("unexpected end of header") }
            switch c {
            case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string(quote: c))
            case UInt8(ascii: "("): return .tuple(try sequence(closing: ")", depth: depth))
            case UInt8(ascii: "["): return .list(try sequence(closing: "]", depth: depth))
            case UInt8(ascii: "{"): return .dictionary(try dictionary(depth: depth))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .int(try integer())
            default:
                for (word, literal) in [("True", PythonLiteral.bool(true)), ("False", .bool(false)), ("None", .none)]
                where bytes[position...].starts(with: word.utf8) {
                    position += word.utf8.count
                    return literal
                }
                throw failure("unexpected character '\(Unicode.Scalar(c).escaped(asASCII: true))'")
            }
        }

        /// Python's backslash escapes for quotes and backslashes; other escapes are kept as written
        /// (numpy never writes them in a header).
        mutating func string(quote: UInt8) throws -> String {
            position += 1
            var text: [UInt8] = []
            while let c = current, c != quote {
                if c == UInt8(ascii: "\\"), position + 1 < bytes.count,
                    [quote, UInt8(ascii: "\\")].contains(bytes[position + 1])
                {
                    position += 1
                }
                text.append(bytes[position])
                position += 1
            }
            guard consume(Unicode.Scalar(quote)) else { throw failure("unterminated string") }
            return String(decoding: text, as: UTF8.self)
        }

        mutating func integer() throws -> Int {
            let start = position
            _ = consume("-")
            var value = 0
            var digits = 0
            let negative = bytes[start] == UInt8(ascii: "-")
            while let c = current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = times10.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
                guard !o1, !o2 else { throw failure("integer too large") }
                value = next
                digits += 1
                position += 1
            }
            guard digits > 0 else { throw failure("a '-' without digits") }
            _ = consume("L")  // Python 2 wrote long integers as 3L
            return negative ? -value : value
        }

        mutating func sequence(closing: Unicode.Scalar, depth: Int) throws -> [PythonLiteral] {
            position += 1
            var items: [PythonLiteral] = []
            while true {
                skipSpace()
                if consume(closing) { return items }
                items.append(try value(depth: depth + 1))
                skipSpace()
                if consume(",") { continue }
                guard consume(closing) else { throw failure("expected ',' or '\(closing)'") }
                return items
            }
        }

        mutating func dictionary(depth: Int) throws -> [String: PythonLiteral] {
            position += 1
            var result: [String: PythonLiteral] = [:]
            while true {
                skipSpace()
                if consume("}") { return result }
                guard case .string(let key) = try value(depth: depth + 1) else {
                    throw failure("dictionary keys must be strings")
                }
                skipSpace()
                guard consume(":") else { throw failure("expected ':'") }
                skipSpace()
                result[key] = try value(depth: depth + 1)
                skipSpace()
                if consume(",") { continue }
                guard consume("}") else { throw failure("expected ',' or '}'") }
                return result
            }
        }
    }
}
