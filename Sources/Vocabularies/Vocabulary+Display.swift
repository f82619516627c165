/// How a token is shown to a person and which text it stands for.
///
/// Display convention: a token whose text is a plain run of visible characters is shown bare (`the`,
/// `##ing`, `<s>`). Anything else is shown as a double-quoted string with escapes: a text that starts or
/// ends with whitespace (`" the"`), is empty (`""`), contains a control or invisible character (`"\n"`,
/// `"\t"`, `"\u{200B}"`), a backslash, starts with a quote, or holds bytes that are not UTF-8 (`"\xE2\x96"`).
/// Inside quotes `\` and `"` are escaped. A WordPiece continuation keeps its `##` in front (`##ing`, `##"\n"`).
/// Classes beyond the vocabulary are shown as `<class i: no token>`.
extension Vocabulary {
    /// The token of class `index` for a person to read (see the display convention above).
    public func display(_ index: Int) -> String {
        guard index >= 0 && index < count else { return "<class \(index): no token>" }
        if encoding == .wordPiece && tokens[index].hasPrefix("##") && tokens[index].count > 2 {
            return "##" + Self.visible(segments(index))
        }
        return Self.visible(segments(index))
    }

    /// The text class `index` stands for: byte-level BPE bytes decoded (`Ġ` → space), SentencePiece `▁` →
    /// space and `<0xNN>` pieces → their byte, WordPiece's continuation mark removed (`##ing` → `ing`).
    /// Bytes that are not UTF-8 (a token holding part of a character) become U+FFFD, one per maximal invalid
    /// subsequence, as Python and Rust decode them. Nil for a class beyond the vocabulary.
    public func text(_ index: Int) -> String? {
        guard index >= 0 && index < count else { return nil }
        var result = String.UnicodeScalarView()
        for segment in segments(index) {
            switch segment {
            case .scalar(let scalar): result.append(scalar)
            case .invalid: result.append("\u{FFFD}")
            }
        }
        return String(result)
    }

    /// The token's text as Unicode scalars and runs of bytes that are not UTF-8.
    func segments(_ index: Int) -> [TextSegment] {
        let token = tokens[index]
        switch encoding {
        case .byteLevelBPE:
            var bytes: [UInt8] = []
            for scalar in token.unicodeScalars {
                if let byte = ByteLevel.byte(for: scalar) {
                    bytes.append(byte)
                } else {
                    bytes.append(contentsOf: Array(String(scalar).utf8))
                }
            }
            return decodeUTF8(bytes)
        case .sentencePiece:
            if let byte = Self.byteFallback(token) { return decodeUTF8([byte]) }
            return token.unicodeScalars.map { .scalar($0 == "▁" ? " " : $0) }
        case .wordPiece:
            let text = token.hasPrefix("##") && token.count > 2 ? token.dropFirst(2) : token[...]
            return text.unicodeScalars.map { .scalar($0) }
        case .plain:
            return token.unicodeScalars.map { .scalar($0) }
        }
    }

    /// The byte of a SentencePiece byte-fallback piece `<0xNN>`.
    static func byteFallback(_ token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">"),
            utf8[3..<5].allSatisfy({ Unicode.Scalar($0).properties.isASCIIHexDigit })
        else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }

    /// Segments written by the display convention.
    static func visible(_ segments: [TextSegment]) -> String {
        var bare = !segments.isEmpty
        if bare {
            let scalars = segments.compactMap { segment -> Unicode.Scalar? in
                if case .scalar(let scalar) = segment { return scalar }
                return nil
            }
            if scalars.count != segments.count || scalars.first == "\"" || scalars.contains("\\")
                || scalars.first!.properties.isWhitespace || scalars.last!.properties.isWhitespace
                || scalars.contains(where: isInvisible)
            {
                bare = false
            }
        }
        var result = bare ? "" : "\""
        for segment in segments {
            switch segment {
            case .invalid(let bytes):
                for byte in bytes { result += "\\x" + hex(UInt32(byte), digits: 2) }
            case .scalar(let scalar):
                switch scalar {
                case "\n": result += "\\n"
                case "\t": result += "\\t"
                case "\r": result += "\\r"
                case "\\" where !bare: result += "\\\\"
                case "\"" where !bare: result += "\\\""
                default:
                    if isInvisible(scalar) {
                        result += "\\u{" + hex(scalar.value, digits: 4) + "}"
                    } else {
                        result.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        return bare ? result : result + "\""
    }

    /// Control, format, separator (other than the space), private-use and unassigned characters.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
            true
        default: false
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

/// A piece of decoded token text: a character, or bytes that are no UTF-8 (a maximal invalid subsequence).
enum TextSegment: Equatable {
    case scalar(Unicode.Scalar)
    case invalid([UInt8])
}

/// UTF-8 decoding that keeps invalid bytes: each maximal subsequence that cannot start a valid character
/// (the unit Python and Rust replace by one U+FFFD) becomes one `.invalid` segment.
func decodeUTF8(_ bytes: [UInt8]) -> [TextSegment] {
    var result: [TextSegment] = []
    var index = 0
    while index < bytes.count {
        let lead = bytes[index]
        if lead < 0x80 {
            result.append(.scalar(Unicode.Scalar(lead)))
            index += 1
            continue
        }
        let length: Int
        var value: UInt32
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // the range of the second byte
        switch lead {
        case 0xC2...0xDF: (length, value) = (2, UInt32(lead & 0x1F))
        case 0xE0: (length, value, low) = (3, 0, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: (length, value) = (3, UInt32(lead & 0x0F))
        case 0xED: (length, value, high) = (3, 0x0D, 0x9F)
        case 0xF0: (length, value, low) = (4, 0, 0x90)
        case 0xF1...0xF3: (length, value) = (4, UInt32(lead & 0x07))
        case 0xF4: (length, value, high) = (4, 4, 0x8F)
        default:
            result.append(.invalid([lead]))
            index += 1
            continue
        }
        var end = index + 1
        var valid = true
        while end < index + length {
            let bounds: ClosedRange<UInt8> = end == index + 1 ? low...high : 0x80...0xBF
            guard end < bytes.count, bounds.contains(bytes[end]) else {
                valid = false
                break
            }
            value = value << 6 | UInt32(bytes[end] & 0x3F)
            end += 1
        }
        if valid, let scalar = Unicode.Scalar(value) {
            result.append(.scalar(scalar))
        } else {
            result.append(.invalid(Array(bytes[index..<end])))
        }
        index = end
    }
    return result
}

/// GPT-2's table between bytes and printable characters: the printable Latin-1 bytes (`!`…`~`, `¡`…`¬`,
/// `®`…`ÿ`) stand for themselves, the other 68 bytes for U+0100… in byte order (space → `Ġ`, `\n` → `Ċ`).
enum ByteLevel {
    /// The character of each byte.
    static let characters: [Unicode.Scalar] = {
        var next: UInt32 = 256
        return (0...255).map { (byte: UInt32) -> Unicode.Scalar in
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                return Unicode.Scalar(byte)!
            }
            defer { next += 1 }
            return Unicode.Scalar(next)!
        }
    }()

    private static let bytes: [Unicode.Scalar: UInt8] = Dictionary(
        uniqueKeysWithValues: characters.enumerated().map { ($1, UInt8($0)) })

    /// The byte a character of a byte-level token stands for, nil for characters outside the table.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? { bytes[scalar] }
}
