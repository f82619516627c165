/// A reader for the restricted YAML of Marian's `vocab.yml`: a block mapping of one `token: id` per
/// line. Keys may be plain (taken verbatim as a string, as Marian does: `null: 5` is the token "null"),
/// single-quoted (`''` is a quote) or double-quoted with YAML's escapes (`\"`, `\\`, `\n`, `\xNN`,
/// `\u2581`, `\U0001F600`, …). Ids are decimal integers. Blank lines, `#` comments, a leading byte-order
/// mark and the document markers `---` / `...` are skipped; anything else (flow mappings, `? ` complex
/// keys, multi-line scalars) is an error naming the line.
enum MarianYAML {
    /// The (token, id) pairs of the text in file order.
    static func entries(_ text: String, path: String) throws -> [(token: String, id: Int)] {
        var result: [(token: String, id: Int)] = []
        var lineNumber = 0
        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        for rawLine in scalars.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == "\r" { line = line.dropLast() }
            let content = line.drop { $0 == " " || $0 == "\t" }
            if content.isEmpty || content.first == "#" { continue }
            let string = String(String.UnicodeScalarView(content))
            if string.hasPrefix("---") || string == "..." { continue }
            if content.startIndex != line.startIndex {
                throw VocabularyError(path, .malformedYAML(line: lineNumber, "indented line (nested YAML)"))
            }
            do {
                result.append(try entry(line))
            } catch let why as LineError {
                throw VocabularyError(path, .malformedYAML(line: lineNumber, why.message))
            }
        }
        return result
    }

    struct LineError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    private static func entry(_ line: Substring.UnicodeScalarView) throws -> (token: String, id: Int) {
        var rest = line
        let token: String
        switch rest.first {
        case "\"":
            rest = rest.dropFirst()
            token = try doubleQuoted(&rest)
        case "'":
            rest = rest.dropFirst()
            token = try singleQuoted(&rest)
        case "?", "{", "[", "&", "*", "!", "|", ">", "%", "@", "`":
            throw LineError("unsupported YAML syntax (starts with \(rest.first!))")
        default:
            token = try plain(&rest)
        }
        rest = rest.drop { $0 == " " || $0 == "\t" }
        guard rest.first == ":" else { throw LineError("no `:` after the token") }
        rest = rest.dropFirst()
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else {
            throw LineError("no space after `:`")
        }
        rest = rest.drop { $0 == " " || $0 == "\t" }
        var digits = rest.prefix { $0 != " " && $0 != "\t" }
        let after = rest[digits.endIndex...].drop { $0 == " " || $0 == "\t" }
        guard after.isEmpty || after.first == "#" else { throw LineError("text after the id") }
        if digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.value >= 0x30 && $0.value <= 0x39 }),
            let id = Int(String(String.UnicodeScalarView(digits)))
        else {
            throw LineError("the id is not a non-negative integer")
        }
        return (token, id)
    }

    /// A plain key: up to the first `: ` (or a `:` ending the line), trailing blanks removed.
    private static func plain(_ rest: inout Substring.UnicodeScalarView) throws -> String {
        var index = rest.startIndex
        while index < rest.endIndex {
            if rest[index] == ":" {
                let next = rest.index(after: index)
                if next == rest.endIndex || rest[next] == " " || rest[next] == "\t" { break }
            }
            if rest[index] == "#", index > rest.startIndex,
                rest[rest.index(before: index)] == " " || rest[rest.index(before: index)] == "\t"
            {
                throw LineError("a comment before the `:`")
            }
            index = rest.index(after: index)
        }
        var key = rest[rest.startIndex..<index]
        while let last = key.last, last == " " || last == "\t" { key = key.dropLast() }
        guard !key.isEmpty else { throw LineError("an empty plain key") }
        rest = rest[index...]
        return String(String.UnicodeScalarView(key))
    }

    private static func singleQuoted(_ rest: inout Substring.UnicodeScalarView) throws -> String {
        var result = String.UnicodeScalarView()
        while let scalar = rest.popFirst() {
            if scalar == "'" {
                if rest.first == "'" {
                    rest = rest.dropFirst()
                    result.append("'")
                } else {
                    return String(result)
                }
            } else {
                result.append(scalar)
            }
        }
        throw LineError("unterminated single-quoted token (multi-line scalars are not supported)")
    }

    private static func doubleQuoted(_ rest: inout Substring.UnicodeScalarView) throws -> String {
        var result = String.UnicodeScalarView()
        while let scalar = rest.popFirst() {
            switch scalar {
            case "\"": return String(result)
            case "\\":
                guard let escape = rest.popFirst() else { break }
                switch escape {
                case "0": result.append("\0")
                case "a": result.append("\u{07}")
                case "b": result.append("\u{08}")
                case "t", "\t": result.append("\t")
                case "n": result.append("\n")
                case "v": result.append("\u{0B}")
                case "f": result.append("\u{0C}")
                case "r": result.append("\r")
                case "e": result.append("\u{1B}")
                case " ": result.append(" ")
                case "\"": result.append("\"")
                case "/": result.append("/")
                case "\\": result.append("\\")
                case "N": result.append("\u{85}")
                case "_": result.append("\u{A0}")
                case "L": result.append("\u{2028}")
                case "P": result.append("\u{2029}")
                case "x": result.append(try hexadecimal(&rest, digits: 2))
                case "u": result.append(try hexadecimal(&rest, digits: 4))
                case "U": result.append(try hexadecimal(&rest, digits: 8))
                default: throw LineError("unknown escape \\\(escape)")
                }
            default: result.append(scalar)
            }
        }
        throw LineError("unterminated double-quoted token (multi-line scalars are not supported)")
    }

    private static func hexadecimal(_ rest: inout Substring.UnicodeScalarView, digits: Int) throws -> Unicode.Scalar {
        let text = rest.prefix(digits)
        guard text.count == digits, text.allSatisfy({ $0.properties.isASCIIHexDigit }),
            let value = UInt32(String(String.UnicodeScalarView(text)), radix: 16),
            let scalar = Unicode.Scalar(value)
        else {
            throw LineError("bad \(digits)-digit hexadecimal escape")
        }
        rest = rest.dropFirst(digits)
        return scalar
    }
}

extension Vocabulary {
    /// Reads Marian's `vocab.yml` (`token: id` lines, see `MarianYAML`); the encoding is guessed from the
    /// tokens (Marian's vocabularies are usually SentencePiece pieces).
    public static func loadMarianYAML(path: String) throws -> Vocabulary {
        let data = try contents(path: path)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw VocabularyError(path, .malformedYAML(line: 0, "not UTF-8"))
        }
        var table = TokenTable(path: path)
        for (token, id) in try MarianYAML.entries(text, path: path) {
            try table.place(token, id: id)
        }
        let tokens = try table.tokens()
        return Vocabulary(tokens: tokens, source: path, encoding: guessEncoding(tokens))
    }
}
