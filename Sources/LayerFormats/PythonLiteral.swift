/// The few Python literals a `.npy` header uses: strings, booleans, integers, tuples of integers,
/// and one dictionary with string keys. A strict little recursive-descent parser: anything else is
/// a `ParseError`, never a crash.
enum PythonLiteral: Equatable {
    case string(String)
    case bool(Bool)
    case int(Int)
    case tuple([Int])

    struct ParseError: Error { let reason: String }

    static func parseDictionary(_ text: String) throws -> [String: PythonLiteral] {
        var scanner = Scanner(Array(text.unicodeScalars))
        scanner.skipSpace()
        try scanner.expect("{")
        var result: [String: PythonLiteral] = [:]
        while true {
            scanner.skipSpace()
            if scanner.consume("}") { break }
            guard case .string(let key) = try scanner.value() else { throw ParseError(reason: "dictionary keys must be strings") }
            scanner.skipSpace()
            try scanner.expect(":")
            scanner.skipSpace()
            result[key] = try scanner.value()
            scanner.skipSpace()
            if scanner.consume(",") { continue }
            try scanner.expect("}")
            break
        }
        scanner.skipSpace()
        guard scanner.atEnd else { throw ParseError(reason: "unexpected text after the dictionary") }
        return result
    }

    private struct Scanner {
        let characters: [Unicode.Scalar]
        var position = 0
        init(_ characters: [Unicode.Scalar]) { self.characters = characters }

        var atEnd: Bool { position >= characters.count }
        var current: Unicode.Scalar? { atEnd ? nil : characters[position] }

        mutating func skipSpace() { while let c = current, c == " " || c == "\n" || c == "\t" || c == "\r" { position += 1 } }

        mutating func consume(_ c: Unicode.Scalar) -> Bool {
            guard current == c else { return false }
            position += 1
            return true
        }

        mutating func expect(_ c: Unicode.Scalar) throws {
            guard consume(c) else { throw ParseError(reason: "expected '\(c)' at offset \(position)") }
        }

        mutating func value() throws -> PythonLiteral {
            guard let c = current else { throw ParseError(reason: "unexpected end of header") }
            switch c {
            case "'", "\"":
                position += 1
                var text = ""
                while let d = current, d != c { text.unicodeScalars.append(d); position += 1 }
                try expect(c)
                return .string(text)
            case "(":
                position += 1
                var items: [Int] = []
                while true {
                    skipSpace()
                    if consume(")") { break }
                    guard case .int(let n) = try value() else { throw ParseError(reason: "shape entries must be integers") }
                    items.append(n)
                    skipSpace()
                    if consume(",") { continue }
                    try expect(")")
                    break
                }
                return .tuple(items)
            case "T", "F":
                for word in ["True", "False"] where characters[position...].starts(with: word.unicodeScalars) {
                    position += word.unicodeScalars.count
                    return .bool(word == "True")
                }
                throw ParseError(reason: "unknown word at offset \(position)")
            default:
                var digits = ""
                while let d = current, d.properties.numericType != nil || d == "L" {
                    if d != "L" { digits.unicodeScalars.append(d) }  // Python 2 wrote 3L
                    position += 1
                }
                guard let n = Int(digits) else { throw ParseError(reason: "unexpected character '\(c)' at offset \(position)") }
                return .int(n)
            }
        }
    }
}
