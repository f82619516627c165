import LayerFormats

/// One tensor description of a GGUF header, checked against the file.
struct GGUFTensorRecord: Sendable {
    let info: TensorInfo
    let type: GGMLType
    /// Absolute offset of the first byte in the file.
    let start: Int
    let byteCount: Int
}

/// Everything a GGUF header says, checked.
struct GGUFHeader: Sendable {
    let version: Int
    let metadata: [String: GGUFValue]
    let tensors: [GGUFTensorRecord]
    let alignment: Int
    let dataOffset: Int
}

/// Reads and validates a GGUF header from untrusted bytes: every length and count is checked
/// against the bytes left before anything is allocated, and all arithmetic on file values is
/// overflow-checked, so a hostile file throws instead of trapping.
struct GGUFHeaderReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private var position = 0
    /// Metadata values (array elements included) still allowed: bounds the memory a header can claim.
    private var valueBudget = 1 << 24

    /// Arrays of arrays deeper than this are refused (real files nest at most once).
    static let maximumNesting = 8
    /// ggml tensors have at most 4 dimensions (GGML_MAX_DIMS).
    static let maximumDimensions = 4
    static let defaultAlignment = 32

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    mutating func read() throws -> GGUFHeader {
        let version = try readPreamble()
        let tensorCount = try u64("the tensor count")
        let keyCount = try u64("the metadata count")
        // The smallest key/value is an empty key, a type and a one-byte value (13 bytes); the
        // smallest tensor description is 24 bytes. Counts beyond that cannot be in the file.
        guard keyCount <= UInt64(remaining / 13) else {
            throw truncated("the header claims \(keyCount) metadata entries, more than the file can hold")
        }
        guard tensorCount <= UInt64(remaining / 24) else {
            throw truncated("the header claims \(tensorCount) tensors, more than the file can hold")
        }
        var metadata: [String: GGUFValue] = [:]
        for index in 0..<Int(keyCount) {
            let key = try string("the key of metadata entry \(index)")
            guard metadata[key] == nil else { throw malformed("the metadata key '\(key)' appears twice") }
            let type = try u32("the type of metadata '\(key)'")
            metadata[key] = try value(type: type, key: key, depth: 0)
        }
        let alignment = try self.alignment(metadata)
        var descriptions: [(info: TensorInfo, type: GGMLType, offset: UInt64, byteCount: Int)] = []
        var names = Set<String>()
        for index in 0..<Int(tensorCount) {
            let description = try tensorDescription(index)
            guard names.insert(description.info.name).inserted else {
                throw layout(description.info.name, "the name appears twice in the file")
            }
            descriptions.append(description)
        }
        // The data section starts at the next multiple of the alignment.
        let (padded, overflow) = position.addingReportingOverflow(alignment - 1)
        guard !overflow else { throw truncated("the data section starts past the end of the file") }
        let dataOffset = padded / alignment * alignment
        let tensors = try place(descriptions, dataOffset: dataOffset, alignment: alignment)
        return GGUFHeader(
            version: version, metadata: metadata, tensors: tensors, alignment: alignment, dataOffset: dataOffset)
    }

    /// Magic and version; refuses version 1 and big-endian files by name.
    private mutating func readPreamble() throws -> Int {
        guard bytes.count >= 4 else { throw truncated("the file is shorter than the 4-byte GGUF magic") }
        guard bytes[0] == 0x47, bytes[1] == 0x47, bytes[2] == 0x55, bytes[3] == 0x46 else {
            let found = bytes[0..<4].map { String($0, radix: 16) }.joined(separator: " ")
            throw ModelFormatError(path, .unknownFormat("no GGUF magic (the file starts with bytes \(found))"))
        }
        position = 4
        let version = try u32("the GGUF version")
        switch version {
        case 2, 3: return Int(version)
        case 1:
            throw ModelFormatError(path, .unknownFormat("GGUF version 1 is not supported (only versions 2 and 3)"))
        case let v where v.byteSwapped == 2 || v.byteSwapped == 3:
            throw ModelFormatError(path, .unknownFormat("big-endian GGUF is not supported (only little-endian)"))
        default:
            throw ModelFormatError(
                path, .unknownFormat("GGUF version \(version) is not supported (only versions 2 and 3)"))
        }
    }

    /// `general.alignment`: a power of two when present, 32 otherwise.
    private func alignment(_ metadata: [String: GGUFValue]) throws -> Int {
        guard let value = metadata["general.alignment"] else { return Self.defaultAlignment }
        guard let alignment = value.int, alignment > 0, alignment <= 1 << 30, alignment & (alignment - 1) == 0 else {
            throw malformed("general.alignment must be a power of two, not \(value)")
        }
        return alignment
    }

    /// One tensor description: name, dimensions (innermost first), type, offset; sizes checked.
    private mutating func tensorDescription(
        _ index: Int
    ) throws -> (info: TensorInfo, type: GGMLType, offset: UInt64, byteCount: Int) {
        let name = try string("the name of tensor \(index)")
        let dimensions = try u32("the dimension count of tensor '\(name)'")
        guard dimensions <= Self.maximumDimensions else {
            throw layout(name, "\(dimensions) dimensions (GGUF allows at most \(Self.maximumDimensions))")
        }
        var ne: [Int] = []
        for axis in 0..<Int(dimensions) {
            let extent = try u64("dimension \(axis) of tensor '\(name)'")
            guard let value = Int(exactly: extent) else {
                throw layout(name, "dimension \(axis) is \(extent), too large")
            }
            ne.append(value)
        }
        let typeID = try u32("the type of tensor '\(name)'")
        let offset = try u64("the offset of tensor '\(name)'")
        guard let type = GGMLType.known[typeID] else {
            throw layout(name, "unknown ggml type id \(typeID), so its size cannot be checked")
        }
        // Bytes: the row (ne[0]) in whole blocks, times the other dimensions, overflow-checked.
        let rowLength = ne.first ?? 1
        guard rowLength % type.blockSize == 0 else {
            throw layout(
                name,
                "its rows of \(rowLength) \(type.name) values are not a whole number of \(type.blockSize)-value blocks")
        }
        var (byteCount, overflow) = (rowLength / type.blockSize).multipliedReportingOverflow(by: type.typeSize)
        for extent in ne.dropFirst() {
            let (product, o) = byteCount.multipliedReportingOverflow(by: extent)
            (byteCount, overflow) = (product, overflow || o)
        }
        // Products of the extents in any order and grouping must fit too (a zero extent would
        // otherwise hide an overflow from one order and not another).
        var elements = 1
        for extent in ne where extent > 0 {
            let (product, o) = elements.multipliedReportingOverflow(by: extent)
            (elements, overflow) = (product, overflow || o)
        }
        guard !overflow else { throw layout(name, "its dimensions \(ne) are too large") }
        let info = TensorInfo(name: name, dtype: type.name, shape: ne.reversed())
        return (info, type, offset, byteCount)
    }

    /// Checks each tensor's offset (aligned, inside the file) and that no two tensors overlap.
    private func place(
        _ descriptions: [(info: TensorInfo, type: GGMLType, offset: UInt64, byteCount: Int)], dataOffset: Int,
        alignment: Int
    ) throws -> [GGUFTensorRecord] {
        var records: [GGUFTensorRecord] = []
        records.reserveCapacity(descriptions.count)
        for description in descriptions {
            let name = description.info.name
            guard description.offset % UInt64(alignment) == 0 else {
                throw layout(name, "its offset \(description.offset) is not a multiple of the alignment \(alignment)")
            }
            let fileSize = bytes.count
            let available = max(0, fileSize - dataOffset)
            guard description.offset <= UInt64(available),
                description.byteCount <= available - Int(description.offset)
            else {
                throw layout(
                    name,
                    "its \(description.byteCount) bytes at offset \(description.offset) lie outside the data section "
                        + "(\(available) bytes from \(dataOffset) to the end of the file)")
            }
            records.append(
                GGUFTensorRecord(
                    info: description.info, type: description.type, start: dataOffset + Int(description.offset),
                    byteCount: description.byteCount))
        }
        let ordered = records.filter { $0.byteCount > 0 }.sorted { $0.start < $1.start }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where previous.start + previous.byteCount > next.start
        {
            throw layout(next.info.name, "its bytes overlap those of tensor '\(previous.info.name)'")
        }
        return records
    }

    // MARK: Values

    /// The smallest encoding of a value of each type (an array: its type and count).
    private static func minimumSize(_ type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8, 10, 11, 12: return 8
        case 9: return 12
        default: return nil
        }
    }

    private mutating func value(type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        let what = { "the value of metadata '\(key)'" }
        switch type {
        case 0: return .uint8(try u8(what()))
        case 1: return .int8(Int8(bitPattern: try u8(what())))
        case 2: return .uint16(try u16(what()))
        case 3: return .int16(Int16(bitPattern: try u16(what())))
        case 4: return .uint32(try u32(what()))
        case 5: return .int32(Int32(bitPattern: try u32(what())))
        case 6: return .float32(Float(bitPattern: try u32(what())))
        case 7:
            let raw = try u8(what())
            guard raw <= 1 else { throw malformed("metadata '\(key)' has the bool value \(raw), not 0 or 1") }
            return .bool(raw == 1)
        case 8: return .string(try string(what()))
        case 9: return try array(key: key, depth: depth)
        case 10: return .uint64(try u64(what()))
        case 11: return .int64(Int64(bitPattern: try u64(what())))
        case 12: return .float64(Double(bitPattern: try u64(what())))
        default: throw malformed("metadata '\(key)' has the unknown value type \(type)")
        }
    }

    private mutating func array(key: String, depth: Int) throws -> GGUFValue {
        guard depth < Self.maximumNesting else {
            throw malformed("metadata '\(key)' nests arrays more than \(Self.maximumNesting) deep")
        }
        let elementType = try u32("the element type of metadata '\(key)'")
        let count = try u64("the element count of metadata '\(key)'")
        guard let size = Self.minimumSize(elementType) else {
            throw malformed("metadata '\(key)' is an array of the unknown value type \(elementType)")
        }
        guard count <= UInt64(remaining / size) else {
            throw truncated("metadata '\(key)' claims \(count) array elements, more than the file can hold")
        }
        guard Int(count) <= valueBudget else {
            throw malformed("the metadata holds more than \(1 << 24) values (at '\(key)')")
        }
        valueBudget -= Int(count)
        var elements: [GGUFValue] = []
        elements.reserveCapacity(Int(count))
        for _ in 0..<Int(count) {
            elements.append(try value(type: elementType, key: key, depth: depth + 1))
        }
        return .array(elements)
    }

    // MARK: Primitives

    private var remaining: Int { bytes.count - position }

    /// Moves past `count` bytes and returns where they start.
    private mutating func advance(_ count: Int, _ what: @autoclosure () -> String) throws -> Int {
        guard count <= remaining else { throw truncated("the file ends inside \(what())") }
        defer { position += count }
        return position
    }

    private mutating func u8(_ what: @autoclosure () -> String) throws -> UInt8 {
        bytes[try advance(1, what())]
    }

    private mutating func u16(_ what: @autoclosure () -> String) throws -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try advance(2, what()), as: UInt16.self))
    }

    private mutating func u32(_ what: @autoclosure () -> String) throws -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try advance(4, what()), as: UInt32.self))
    }

    private mutating func u64(_ what: @autoclosure () -> String) throws -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try advance(8, what()), as: UInt64.self))
    }

    /// A length-prefixed UTF-8 string (invalid sequences become U+FFFD, as a tokenizer would show them).
    private mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let length = try u64(what())
        guard length <= UInt64(remaining) else {
            throw truncated("\(what()) claims \(length) bytes, more than the \(remaining) left in the file")
        }
        let start = try advance(Int(length), what())
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + Int(length))]), as: UTF8.self)
    }

    // MARK: Errors

    private func truncated(_ what: String) -> ModelFormatError { ModelFormatError(path, .truncated(what)) }
    private func malformed(_ why: String) -> ModelFormatError { ModelFormatError(path, .malformedHeader(why)) }
    private func layout(_ tensor: String, _ why: String) -> ModelFormatError {
        ModelFormatError(path, .badTensorLayout(tensor: tensor, why))
    }
}
