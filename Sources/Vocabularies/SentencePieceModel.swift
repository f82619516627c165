import Foundation

/// A SentencePiece `.model` file read by hand from the protobuf wire format: `ModelProto` field 1 is the
/// repeated `SentencePiece` message {1: piece (string), 2: score (float), 3: type (enum)}. Other fields
/// (trainer and normalizer specs) are skipped. Every length is checked against the bytes left, so a
/// truncated or hostile file is an error, never a crash.
public struct SentencePieceModel: Sendable, Equatable {
    /// `SentencePiece.Type` of the protobuf definition.
    public enum PieceType: Int, Sendable, Equatable {
        case normal = 1
        case unknown = 2
        case control = 3
        case userDefined = 4
        case unused = 5
        case byte = 6
    }

    /// One entry of the model: its id is its position.
    public struct Piece: Sendable, Equatable {
        /// The piece text (`▁the`, `<0x0A>`, `<s>`).
        public var piece: String
        /// Its log probability (unigram) or merge priority (BPE).
        public var score: Float
        /// What kind of piece it is (normal, control, byte fallback, …).
        public var type: PieceType
    }

    /// The pieces in id order.
    public let pieces: [Piece]

    /// Parses the bytes of a `.model` file; `path` only names the file in errors.
    public init(bytes: [UInt8], path: String) throws {
        try self.init(bytes: bytes[...], path: path)
    }

    /// Parses a slice of bytes (without copying them).
    init(bytes: ArraySlice<UInt8>, path: String) throws {
        var reader = WireReader(bytes: bytes, path: path)
        var pieces: [Piece] = []
        while !reader.atEnd {
            let (field, wireType) = try reader.tag()
            if field == 1 && wireType == 2 {
                let message = try reader.lengthDelimited()
                pieces.append(try Self.piece(message, index: pieces.count, path: path))
            } else {
                try reader.skip(wireType: wireType, field: field)
            }
        }
        self.pieces = pieces
    }

    private static func piece(_ bytes: ArraySlice<UInt8>, index: Int, path: String) throws -> Piece {
        var reader = WireReader(bytes: bytes, path: path)
        var result = Piece(piece: "", score: 0, type: .normal)
        var sawPiece = false
        while !reader.atEnd {
            let (field, wireType) = try reader.tag()
            switch (field, wireType) {
            case (1, 2):
                let text = try reader.lengthDelimited()
                guard let piece = String(validating: text, as: UTF8.self) else {
                    throw VocabularyError(path, .malformedProtobuf("piece \(index) is not UTF-8"))
                }
                result.piece = piece
                sawPiece = true
            case (2, 5):
                result.score = Float(bitPattern: try reader.fixed32())
            case (3, 0):
                let value = try reader.varint()
                result.type = PieceType(rawValue: Int(truncatingIfNeeded: value)) ?? .normal
            default:
                try reader.skip(wireType: wireType, field: field)
            }
        }
        guard sawPiece else { throw VocabularyError(path, .malformedProtobuf("piece \(index) has no text")) }
        return result
    }
}

/// Protobuf wire-format primitives over a byte slice, with every read bounded by the slice.
struct WireReader {
    var bytes: ArraySlice<UInt8>
    let path: String

    var atEnd: Bool { bytes.isEmpty }

    private func failure(_ why: String) -> VocabularyError {
        VocabularyError(path, .malformedProtobuf(why))
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.popFirst() {
            guard shift < 64 else { throw failure("a varint longer than 10 bytes") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw failure("truncated inside a varint")
    }

    mutating func tag() throws -> (field: UInt64, wireType: UInt64) {
        let key = try varint()
        let field = key >> 3
        guard field > 0 else { throw failure("field number 0") }
        return (field, key & 7)
    }

    mutating func take(_ count: UInt64) throws -> ArraySlice<UInt8> {
        guard count <= UInt64(bytes.count) else {
            throw failure("truncated: a field needs \(count) bytes, \(bytes.count) are left")
        }
        let end = bytes.startIndex + Int(count)
        defer { bytes = bytes[end...] }
        return bytes[bytes.startIndex..<end]
    }

    mutating func lengthDelimited() throws -> ArraySlice<UInt8> {
        try take(try varint())
    }

    mutating func fixed32() throws -> UInt32 {
        try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func skip(wireType: UInt64, field: UInt64) throws {
        switch wireType {
        case 0: _ = try varint()
        case 1: _ = try take(8)
        case 2: _ = try lengthDelimited()
        case 5: _ = try take(4)
        default: throw failure("field \(field) has unsupported wire type \(wireType)")
        }
    }
}

extension Vocabulary {
    /// Reads a SentencePiece `.model` (also `.spm`, as Marian names them): the pieces in id order,
    /// encoded as SentencePiece (`▁` word starts, `<0x0A>` byte-fallback pieces).
    public static func loadSentencePiece(path: String) throws -> Vocabulary {
        let model = try SentencePieceModel(bytes: [UInt8](contents(path: path)), path: path)
        guard !model.pieces.isEmpty else { throw VocabularyError(path, .emptyVocabulary) }
        return Vocabulary(tokens: model.pieces.map(\.piece), source: path, encoding: .sentencePiece)
    }
}
