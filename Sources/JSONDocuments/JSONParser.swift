import Foundation

/// A small, strict JSON parser into `JSONValue`, several times faster than JSONSerialization on
/// Linux for number-heavy files (a certificates file for 32000 classes × 512 features is 340 MB).
/// Numbers are parsed with strtod (correctly rounded), so the Doubles we print read back exactly.
public struct JSONParser {
    /// Where and why the text is not JSON.
    public struct Failure: Error, CustomStringConvertible {
        /// The byte where parsing stopped.
        public let offset: Int
        /// What was wrong there.
        public let reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var depth = 0
    /// Nesting limit: deeper input is refused instead of exhausting the stack.
    public static let maximumDepth = 128

    /// Parses a whole document (nothing but white space may follow the value).
    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var parser = JSONParser(bytes: raw.bindMemory(to: UInt8.self))
            let value = try parser.value()
            parser.skipSpace()
            guard parser.position == parser.bytes.count else {
                throw Failure(offset: parser.position, reason: "trailing characters")
            }
            return value
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard position < bytes.count, bytes[position] == byte else {
            throw Failure(offset: position, reason: "expected '\(Character(Unicode.Scalar(byte)))'")
        }
        position += 1
    }

    private mutating func value() throws -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else {
            throw Failure(offset: position, reason: "nested deeper than \(Self.maximumDepth) levels")
        }
        skipSpace()
        guard position < bytes.count else { throw Failure(offset: position, reason: "unexpected end") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            var members: [(String, JSONValue)] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            repeat {
                skipSpace()
                guard case .string(let key) = try value() else {
                    throw Failure(offset: position, reason: "object keys must be strings")
                }
                try expect(UInt8(ascii: ":"))
                members.append((key, try value()))
                skipSpace()
            } while try separator(closing: UInt8(ascii: "}"))
            return .object(members)
        case UInt8(ascii: "["):
            position += 1
            var items: [JSONValue] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            }
            repeat {
                items.append(try value())
                skipSpace()
            } while try separator(closing: UInt8(ascii: "]"))
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            return try number()
        }
    }

    /// After an element: true for ",", false for the closing bracket.
    private mutating func separator(closing: UInt8) throws -> Bool {
        guard position < bytes.count else { throw Failure(offset: position, reason: "unexpected end") }
        if bytes[position] == UInt8(ascii: ",") {
            position += 1
            return true
        }
        if bytes[position] == closing {
            position += 1
            return false
        }
        throw Failure(offset: position, reason: "expected ',' or a closing bracket")
    }

    private mutating func literal(_ word: String) throws {
        for byte in word.utf8 {
            guard position < bytes.count, bytes[position] == byte else {
                throw Failure(offset: position, reason: "expected \(word)")
            }
            position += 1
        }
    }

    private mutating func string() throws -> String {
        position += 1  // opening quote
        var text = [UInt8]()
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { break }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "u"):
                    var code = try hexQuad()
                    if (0xD800..<0xDC00).contains(code) {  // a high surrogate: its low half must follow
                        guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                            bytes[position + 1] == UInt8(ascii: "u")
                        else { throw Failure(offset: position, reason: "unpaired surrogate in a \\u escape") }
                        position += 2
                        let low = try hexQuad()
                        guard (0xDC00..<0xE000).contains(low) else {
                            throw Failure(offset: position, reason: "unpaired surrogate in a \\u escape")
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else {
                        throw Failure(offset: position, reason: "unpaired surrogate in a \\u escape")
                    }
                    text += Array(String(Character(scalar)).utf8)
                default: text.append(escaped)
                }
            default: text.append(byte)
            }
        }
        throw Failure(offset: position, reason: "unterminated string")
    }

    /// The four hexadecimal digits of a `\u` escape.
    private mutating func hexQuad() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw Failure(offset: position, reason: "bad \\u escape") }
        var code: UInt32 = 0
        for byte in bytes[position..<(position + 4)] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else {
                throw Failure(offset: position, reason: "bad \\u escape")
            }
            code = code << 4 | UInt32(digit)
        }
        position += 4
        return code
    }

    @inline(__always)
    private static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || b == 0x2B || b == 0x2D || b == 0x2E || b == 0x45 || b == 0x65  // 0-9 + - . E e
    }

    private mutating func number() throws -> JSONValue {
        let start = position
        while position < bytes.count, Self.isNumberByte(bytes[position]) { position += 1 }
        guard position > start, position - start < 64 else { throw Failure(offset: start, reason: "expected a value") }
        var token = [CChar](repeating: 0, count: position - start + 1)
        for k in start..<position { token[k - start] = CChar(bitPattern: bytes[k]) }
        let (value, consumed) = token.withUnsafeMutableBufferPointer { buffer -> (Double, Int) in
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(buffer.baseAddress!, &end)
            return (value, end.map { $0 - buffer.baseAddress! } ?? 0)
        }
        guard consumed == position - start else { throw Failure(offset: start, reason: "malformed number") }
        let isInteger = !token.contains {
            $0 == CChar(UInt8(ascii: ".")) || $0 == CChar(UInt8(ascii: "e")) || $0 == CChar(UInt8(ascii: "E"))
        }
        if isInteger, let n = Int(exactly: value), abs(value) < 9e15 { return .int(n) }
        return .number(value)
    }
}

extension JSONValue {
    /// The first member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    /// A number (an integer too) as a Double.
    public var doubleValue: Double? {
        switch self {
        case .number(let x): return x
        case .int(let n): return Double(n)
        default: return nil
        }
    }

    /// A number written as an integer.
    public var intValue: Int? {
        if case .int(let n) = self { return n }
        return nil
    }

    /// An array's items.
    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// A string's text.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}
