/// A reader for the restricted YAML of Marian's `vocab.yml`: a block mapping of `token: id` entries.
///
/// Keys may be plain (taken verbatim as a string, as Marian does: `null: 5` is the token "null"),
/// single-quoted (`''` is a quote) or double-quoted with YAML's escapes (`\"`, `\\`, `\n`, `\xNN`,
/// `\u2581`, `\U0001F600`, `\N`, `\L`, …). Quoted keys may span lines with YAML's folding (a line break is
/// a space, an empty line a newline, `\` at a line end joins lines), and a key may be written in the
/// explicit form `? key` with `: id` on the next line, as PyYAML writes empty and multi-line keys. Ids are
/// decimal integers. Blank lines, `#` comments, a leading byte-order mark and the document markers `---` /
/// `...` are skipped; anything else (flow mappings, anchors, tags, block scalars, nesting) is an error
/// naming the line.
enum MarianYAML {
    /// The (token, id) pairs of the text in file order.
    static func entries(_ text: String, path: String) throws -> [(token: String, id: Int)] {
        var cursor = Cursor(text.unicodeScalars[...])
        if cursor.peek == "\u{FEFF}" { cursor.advance() }
        var result: [(token: String, id: Int)] = []
        do {
            while try cursor.skipIgnorableLines() {
                result.append(try cursor.entry())
            }
        } catch let why as LineError {
            throw VocabularyError(path, .malformedYAML(line: cursor.line, why.message))
        }
        return result
    }

    struct LineError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    struct Cursor {
        private var rest: Substring.UnicodeScalarView
        /// The 1-based line of the next scalar.
        private(set) var line = 1

        init(_ scalars: Substring.UnicodeScalarView) { rest = scalars }

        var peek: Unicode.Scalar? { rest.first }
        private var second: Unicode.Scalar? { rest.dropFirst().first }
        private var atLineEnd: Bool { rest.isEmpty || peek == "\n" || peek == "\r" }

        mutating func advance() { _ = rest.popFirst() }

        private mutating func skipBlanks() {
            while peek == " " || peek == "\t" { advance() }
        }

        /// Consumes one line break (`\n`, `\r\n` or `\r`), if there is one.
        private mutating func lineBreak() -> Bool {
            if peek == "\r" {
                advance()
                if peek == "\n" { advance() }
            } else if peek == "\n" {
                advance()
            } else {
                return false
            }
            line += 1
            return true
        }

        /// Skips blanks, an optional comment and the line break; anything else there is an error.
        private mutating func endOfLine() throws {
            skipBlanks()
            if peek == "#" {
                while !atLineEnd { advance() }
            }
            guard atLineEnd else { throw LineError("unexpected text after the entry") }
            _ = lineBreak()
        }

        /// Skips blank, comment and document-marker lines; false at the end of the text.
        mutating func skipIgnorableLines() throws -> Bool {
            while !rest.isEmpty {
                let lineStart = rest
                skipBlanks()
                if atLineEnd || peek == "#" {
                    while !atLineEnd { advance() }
                    _ = lineBreak()
                    continue
                }
                if rest.startIndex != lineStart.startIndex { throw LineError("indented line (nested YAML)") }
                if rest.starts(with: "---".unicodeScalars) || rest.starts(with: "...".unicodeScalars) {
                    let marker = rest.dropFirst(3).first
                    if marker == nil || marker == " " || marker == "\t" || marker == "\n" || marker == "\r" {
                        while !atLineEnd { advance() }
                        _ = lineBreak()
                        continue
                    }
                }
                return true
            }
            return false
        }

        /// One `key: id` entry, or `? key` then `: id` on a later line.
        mutating func entry() throws -> (token: String, id: Int) {
            let token: String
            if peek == "?" && (second == " " || second == "\t" || second == "\n" || second == "\r" || second == nil) {
                advance()
                skipBlanks()
                token = try key(explicit: true)
                try endOfLine()
                guard try skipIgnorableLines(), peek == ":" else { throw LineError("`? key` without its `: id`") }
            } else {
                token = try key(explicit: false)
                skipBlanks()
                guard peek == ":" else { throw LineError("no `:` after the token") }
            }
            advance()
            guard peek == " " || peek == "\t" else { throw LineError("no space after `:`") }
            skipBlanks()
            var digits = String.UnicodeScalarView()
            if peek == "+" { advance() }
            while let scalar = peek, scalar.properties.numericType == .decimal, scalar.isASCII {
                digits.append(scalar)
                advance()
            }
            guard !digits.isEmpty, digits.count <= 18, let id = Int(String(digits)) else {
                throw LineError("the id is not a non-negative integer")
            }
            try endOfLine()
            return (token, id)
        }

        private mutating func key(explicit: Bool) throws -> String {
            switch peek {
            case "\"":
                advance()
                return try quoted(double: true)
            case "'":
                advance()
                return try quoted(double: false)
            case "{", "[", "&", "*", "!", "|", ">", "%", "@", "`", "?":
                throw LineError("unsupported YAML syntax (starts with \(peek!))")
            case "-" where second == " " || second == "\t":
                throw LineError("a sequence, not a `token: id` mapping")
            default:
                return try plain(explicit: explicit)
            }
        }

        /// A plain key: up to the first `: ` (or a `:` ending the line), trailing blanks removed.
        private mutating func plain(explicit: Bool) throws -> String {
            var key = String.UnicodeScalarView()
            var lastBlank = false
            while let scalar = peek, !atLineEnd {
                if scalar == ":" && !explicit {
                    let next = second
                    if next == nil || next == " " || next == "\t" || next == "\n" || next == "\r" { break }
                }
                if scalar == "#" && lastBlank { break }
                key.append(scalar)
                lastBlank = scalar == " " || scalar == "\t"
                advance()
            }
            while let last = key.last, last == " " || last == "\t" { key.removeLast() }
            guard !key.isEmpty else { throw LineError("an empty plain key") }
            return String(key)
        }

        /// A line break inside a quoted scalar, where YAML 1.1 (and PyYAML) also count U+0085, U+2028 and
        /// U+2029: `\n` for `\n`, `\r\n`, `\r` and U+0085; U+2028 and U+2029 as they are. Nil if none.
        private mutating func flowBreak() -> Unicode.Scalar? {
            switch peek {
            case "\n", "\r": return lineBreak() ? "\n" : nil
            case "\u{85}":
                advance()
                line += 1
                return "\n"
            case "\u{2028}", "\u{2029}":
                let scalar = peek!
                advance()
                line += 1
                return scalar
            default: return nil
            }
        }

        /// The breaks of the empty lines that follow a line break in a quoted scalar (blanks skipped).
        private mutating func emptyLineBreaks() -> [Unicode.Scalar] {
            var breaks: [Unicode.Scalar] = []
            while true {
                skipBlanks()
                guard let lineBreak = flowBreak() else { return breaks }
                breaks.append(lineBreak)
            }
        }

        /// A quoted scalar after its opening quote, folding line breaks as YAML does: a line break is a
        /// space (or U+2028/U+2029 itself), each following empty line a newline; blanks around breaks go.
        private mutating func quoted(double: Bool) throws -> String {
            var result = String.UnicodeScalarView()
            var kept = 0  // the length without trailing unescaped blanks, for folding
            while !rest.isEmpty {
                if let first = flowBreak() {
                    while result.count > kept { result.removeLast() }
                    let breaks = emptyLineBreaks()
                    if first != "\n" {
                        result.append(first)
                    } else if breaks.isEmpty {
                        result.append(" ")
                    }
                    result.append(contentsOf: breaks)
                    kept = result.count
                    continue
                }
                let scalar = peek!
                advance()
                if !double && scalar == "'" {
                    guard peek == "'" else { return String(result) }
                    advance()
                    result.append("'")
                } else if double && scalar == "\"" {
                    return String(result)
                } else if double && scalar == "\\" {
                    if flowBreak() != nil {
                        result.append(contentsOf: emptyLineBreaks())
                    } else {
                        result.append(try escape())
                    }
                } else {
                    result.append(scalar)
                    if scalar == " " || scalar == "\t" { continue }
                }
                kept = result.count
            }
            throw LineError("unterminated \(double ? "double" : "single")-quoted token")
        }

        private mutating func escape() throws -> Unicode.Scalar {
            guard let escape = rest.popFirst() else { throw LineError("a `\\` at the end of the file") }
            switch escape {
            case "0": return "\0"
            case "a": return "\u{07}"
            case "b": return "\u{08}"
            case "t", "\t": return "\t"
            case "n": return "\n"
            case "v": return "\u{0B}"
            case "f": return "\u{0C}"
            case "r": return "\r"
            case "e": return "\u{1B}"
            case " ", "\"", "/", "\\": return escape
            case "N": return "\u{85}"
            case "_": return "\u{A0}"
            case "L": return "\u{2028}"
            case "P": return "\u{2029}"
            case "x": return try hexadecimal(digits: 2)
            case "u": return try hexadecimal(digits: 4)
            case "U": return try hexadecimal(digits: 8)
            default: throw LineError("unknown escape \\\(escape)")
            }
        }

        private mutating func hexadecimal(digits: Int) throws -> Unicode.Scalar {
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
}

extension Vocabulary {
    /// Reads Marian's `vocab.yml` (`token: id` entries, see `MarianYAML`); the encoding is guessed from the
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
