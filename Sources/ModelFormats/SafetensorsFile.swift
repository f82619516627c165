import Foundation
import LayerFormats

/// A `.safetensors` file: an 8-byte little-endian header length, a JSON header naming every
/// tensor's dtype, shape and byte range, then the data. The file is memory-mapped; float32
/// tensors at aligned offsets are used in place, others converted once.
///
/// The header is validated completely when the file opens, as the reference implementation
/// does: its length lies inside the file, it is a JSON object, every tensor's range lies inside
/// the data section, ranges do not overlap and leave no holes, and each range's length is the
/// shape's element count times the dtype's size.
public struct SafetensorsFile: TensorFile {
    /// The path the file was opened at.
    public let path: String
    /// Every tensor in the header, in the order the header lists them.
    public let tensors: [TensorInfo]
    /// The header's `__metadata__` (string → string), e.g. `{"format": "pt"}`.
    public let metadata: [String: String]
    let file: MappedFile
    /// Byte offset of the data section in the file.
    let dataStart: Int
    /// Each tensor's range, relative to the data section.
    let ranges: [String: Range<Int>]

    /// The reference implementation refuses headers above 100 MB; so does this reader.
    static let maximumHeaderLength = 100_000_000

    /// Maps and validates the file; errors name it and the problem.
    public init(path: String) throws {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch let error as LayerFormatError {
            throw ModelFormatError(layerFormatError: error)
        }
        try self.init(file: file)
    }

    /// Validates an already mapped file.
    public init(file: MappedFile) throws {
        let path = file.path
        func fail(_ kind: ModelFormatError.Kind) -> ModelFormatError { ModelFormatError(path, kind) }
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw fail(.truncated("shorter than the 8-byte header length")) }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(Self.maximumHeaderLength) else {
            throw fail(.malformedHeader("a header length of \(declared) bytes (the format's limit is 100 MB)"))
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= bytes.count else {
            throw fail(.truncated("the header needs \(headerLength) bytes, only \(bytes.count - 8) follow"))
        }
        let header = Data(bytes[8..<(8 + headerLength)])
        guard header.first == UInt8(ascii: "{") else {
            throw fail(.malformedHeader("the header is not a JSON object"))
        }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: header) as? [String: Any] else {
                throw fail(.malformedHeader("the header is not a JSON object"))
            }
            object = parsed
        } catch let error as ModelFormatError {
            throw error
        } catch {
            throw fail(.malformedHeader("invalid JSON (\(error.localizedDescription))"))
        }

        var metadata: [String: String] = [:]
        var entries: [(info: TensorInfo, range: Range<Int>)] = []
        let dataLength = bytes.count - 8 - headerLength
        for (name, value) in object {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any], let strings = pairs as? [String: String] else {
                    throw fail(.malformedHeader("__metadata__ must map strings to strings"))
                }
                metadata = strings
                continue
            }
            entries.append(try Self.entry(name: name, value: value, dataLength: dataLength, path: path))
        }
        // Sorted by offset, consecutive ranges must touch: no overlaps, no holes, nothing left over.
        entries.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var end = 0
        for (info, range) in entries {
            if range.lowerBound < end {
                throw fail(.badTensorLayout(tensor: info.name, "its bytes overlap another tensor's"))
            }
            if range.lowerBound > end {
                throw fail(.badTensorLayout(tensor: info.name, "a hole of \(range.lowerBound - end) bytes before it"))
            }
            end = range.upperBound
        }
        guard end == dataLength else {
            throw fail(.malformedHeader("the tensors cover \(end) of the \(dataLength) data bytes"))
        }
        self.path = path
        self.file = file
        self.metadata = metadata
        self.dataStart = 8 + headerLength
        self.tensors = entries.map(\.info)
        self.ranges = Dictionary(uniqueKeysWithValues: entries.map { ($0.info.name, $0.range) })
    }

    private static func entry(
        name: String, value: Any, dataLength: Int, path: String
    ) throws -> (info: TensorInfo, range: Range<Int>) {
        func fail(_ why: String) -> ModelFormatError { ModelFormatError(path, .badTensorLayout(tensor: name, why)) }
        guard let fields = value as? [String: Any] else { throw fail("its entry is not a JSON object") }
        guard let dtype = fields["dtype"] as? String else { throw fail("no dtype") }
        guard let shapeValues = fields["shape"] as? [Any], let shape = integers(shapeValues),
            shape.allSatisfy({ $0 >= 0 })
        else { throw fail("the shape is not a list of non-negative integers") }
        guard let offsetValues = fields["data_offsets"] as? [Any], let offsets = integers(offsetValues),
            offsets.count == 2
        else { throw fail("data_offsets is not a pair of integers") }
        let (begin, end) = (offsets[0], offsets[1])
        guard 0 <= begin, begin <= end, end <= dataLength else {
            throw fail("data_offsets [\(begin), \(end)] lie outside the \(dataLength)-byte data section")
        }
        guard let size = SafetensorsDType.size(of: dtype) else {
            throw fail("unknown dtype \(dtype)")
        }
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw fail("the shape \(shape) overflows") }
            count = product
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, bytes == end - begin else {
            throw fail("shape \(shape) of \(dtype) needs \(count) × \(size) bytes, data_offsets give \(end - begin)")
        }
        return (TensorInfo(name: name, dtype: dtype, shape: shape), begin..<end)
    }

    /// JSON numbers that are integers (and exact in a Double, as every real offset is).
    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue),
                abs(integer) < 1 << 53
            else { return nil }
            result.append(integer)
        }
        return result
    }

    /// The two-dimensional tensor `name` as a Float32 matrix.
    public func matrix(_ name: String) throws -> FloatMatrix {
        let (info, encoding, range) = try readable(name)
        let (rows, columns) = try TensorShapes.matrixShape(info, path: path)
        guard
            let matrix = FloatMatrix.stored(
                in: file, offset: dataStart + range.lowerBound, rows: rows, columns: columns, encoding: encoding)
        else { throw ModelFormatError(path, .unreadable("cannot allocate \(rows) × \(columns) floats for '\(name)'")) }
        return matrix
    }

    /// The one-dimensional tensor `name` as Float32.
    public func vector(_ name: String) throws -> [Float] {
        let (info, encoding, range) = try readable(name)
        let count = try TensorShapes.vectorLength(info, path: path)
        let start = dataStart + range.lowerBound
        return storedFloats(
            UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + range.count)]),
            encoding: encoding, count: count)
    }

    private func readable(_ name: String) throws -> (TensorInfo, FloatEncoding, Range<Int>) {
        let info = try require(name)
        guard let encoding = SafetensorsDType.floatEncoding(info.dtype), let range = ranges[name] else {
            throw ModelFormatError(
                path, .unsupportedDType(tensor: name, dtype: "\(info.dtype) (readable: F64, F32, F16, BF16)"))
        }
        return (info, encoding, range)
    }
}

/// safetensors dtype names.
enum SafetensorsDType {
    static func size(of dtype: String) -> Int? {
        switch dtype {
        case "BOOL", "U8", "I8", "F8_E4M3", "F8_E5M2", "F8_E8M0": return 1
        case "U16", "I16", "F16", "BF16": return 2
        case "U32", "I32", "F32": return 4
        case "U64", "I64", "F64", "C64": return 8
        default: return nil
        }
    }

    static func floatEncoding(_ dtype: String) -> FloatEncoding? {
        switch dtype {
        case "F16": return .float16
        case "BF16": return .bfloat16
        case "F32": return .float32
        case "F64": return .float64
        default: return nil
        }
    }
}

/// Shape rules shared by every format: a head is 2-D, a bias 1-D (or one row or column).
enum TensorShapes {
    static func matrixShape(_ info: TensorInfo, path: String) throws -> (rows: Int, columns: Int) {
        guard info.shape.count == 2 else {
            throw ModelFormatError(path, .wrongShape(tensor: info.name, "expected 2 dimensions, got \(info.shape)"))
        }
        return (info.shape[0], info.shape[1])
    }

    static func vectorLength(_ info: TensorInfo, path: String) throws -> Int {
        let shape = info.shape
        guard shape.count == 1 || (shape.count == 2 && (shape[0] == 1 || shape[1] == 1)) else {
            throw ModelFormatError(path, .wrongShape(tensor: info.name, "expected a vector, got \(shape)"))
        }
        return info.elementCount
    }
}
