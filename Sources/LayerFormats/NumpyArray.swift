import Foundation

/// Element types a layer may be stored in.
public enum NumpyDType: Equatable, Sendable {
    case float16(bigEndian: Bool)
    case float32(bigEndian: Bool)
    case float64(bigEndian: Bool)

    init?(descr: String) {
        guard descr.count == 3 else { return nil }
        let order = descr.first!, kind = descr.dropFirst()
        guard "<>=|".contains(order) else { return nil }
        let big = order == ">"
        switch kind {
        case "f2": self = .float16(bigEndian: big)
        case "f4": self = .float32(bigEndian: big)
        case "f8": self = .float64(bigEndian: big)
        default: return nil
        }
    }

    var size: Int {
        switch self {
        case .float16: return 2
        case .float32: return 4
        case .float64: return 8
        }
    }
}

/// One array of a `.npy` file (or of an `.npz` entry): shape, dtype, order, and its raw bytes.
/// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
public struct NumpyArray: Sendable {
    public let shape: [Int]
    public let dtype: NumpyDType
    public let fortranOrder: Bool
    let data: ByteRegion

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Parses the header and checks the data is as long as the shape says.
    public static func parse(_ region: ByteRegion, path: String) throws -> NumpyArray {
        let bytes = region.bytes
        guard bytes.count >= 10 else {
            throw LayerFormatError(path, bytes.count >= 6 && Array(bytes[0..<6]) == magic ? .truncated("the .npy header is cut short") : .notNumpy)
        }
        guard Array(bytes[0..<6]) == magic else { throw LayerFormatError(path, .notNumpy) }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw LayerFormatError(path, .truncated("the .npy header is cut short")) }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw LayerFormatError(path, .malformedHeader("unknown format version \(major).\(bytes[7])"))
        }
        guard headerStart + headerLength <= bytes.count else {
            throw LayerFormatError(path, .truncated("the header says \(headerLength) bytes, the file has \(bytes.count - headerStart)"))
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[headerStart..<(headerStart + headerLength)]), as: UTF8.self)
        let header: [String: PythonLiteral]
        do { header = try PythonLiteral.parseDictionary(text) } catch let error as PythonLiteral.ParseError {
            throw LayerFormatError(path, .malformedHeader(error.reason))
        }
        guard case .string(let descr)? = header["descr"] else { throw LayerFormatError(path, .malformedHeader("no 'descr' string")) }
        guard let dtype = NumpyDType(descr: descr) else { throw LayerFormatError(path, .unsupportedDType(descr)) }
        guard case .bool(let fortran)? = header["fortran_order"] else { throw LayerFormatError(path, .malformedHeader("no 'fortran_order' boolean")) }
        guard case .tuple(let shape)? = header["shape"] else { throw LayerFormatError(path, .malformedHeader("no 'shape' tuple")) }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw LayerFormatError(path, .malformedHeader("negative dimension in shape \(shape)")) }
        var elements = 1
        for n in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: n)
            guard !overflow else { throw LayerFormatError(path, .malformedHeader("shape \(shape) is too large")) }
            elements = product
        }
        let dataStart = headerStart + headerLength
        let (needed, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, dataStart + needed <= bytes.count else {
            throw LayerFormatError(path, .truncated("shape \(shape) needs \(elements * dtype.size) data bytes, the file has \(bytes.count - dataStart)"))
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart + needed)])
        return NumpyArray(shape: shape, dtype: dtype, fortranOrder: fortran, data: ByteRegion(slice, owner: region.owner))
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// Element i in storage order, as Float (float16 and float64 converted, byte order fixed).
    @inline(__always)
    func element(_ i: Int) -> Float {
        let base = data.bytes.baseAddress!
        switch dtype {
        case .float16(let big):
            let raw = base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
            return Float(Float16(bitPattern: big ? raw.byteSwapped : raw.littleEndian))
        case .float32(let big):
            let raw = base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
            return Float(bitPattern: big ? raw.byteSwapped : raw.littleEndian)
        case .float64(let big):
            let raw = base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
            return Float(Double(bitPattern: big ? raw.byteSwapped : raw.littleEndian))
        }
    }

    /// The array as a rows × columns matrix (2-D arrays only). Zero-copy when the data is
    /// little-endian float32 in C order and aligned inside a memory-mapped file; converted once otherwise.
    public func matrix(path: String) throws -> FloatMatrix {
        guard shape.count == 2 else { throw LayerFormatError(path, .wrongShape("expected a 2-D array, got shape \(shape)")) }
        let (rows, columns) = (shape[0], shape[1])
        let aligned = Int(bitPattern: data.bytes.baseAddress) % MemoryLayout<Float>.alignment == 0
        if dtype == .float32(bigEndian: false), !fortranOrder, aligned, data.isMapped {
            return FloatMatrix(rows: rows, columns: columns, region: data)
        }
        var values = [Float](repeating: 0, count: rows * columns)
        if fortranOrder {
            for c in 0..<columns { for r in 0..<rows { values[r * columns + c] = element(c * rows + r) } }
        } else {
            for i in 0..<(rows * columns) { values[i] = element(i) }
        }
        return FloatMatrix(rows: rows, columns: columns, values: values)
    }

    /// The array as a vector (1-D arrays, or 2-D with one row or column).
    public func vector(path: String) throws -> [Float] {
        guard shape.count == 1 || (shape.count == 2 && (shape[0] == 1 || shape[1] == 1)) else {
            throw LayerFormatError(path, .wrongShape("expected a 1-D array, got shape \(shape)"))
        }
        return (0..<elementCount).map(element)
    }

    /// A complete `.npy` file (format 1.0, or 2.0 when the header needs it) for a float32 array.
    public static func encode(_ values: UnsafeBufferPointer<Float>, shape: [Int]) -> Data {
        precondition(values.count == shape.reduce(1, *))
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad with spaces and a final newline so the data starts on a 64-byte boundary.
        let prefix = header.utf8.count < 65_000 ? 10 : 12  // version 1.0 stores the length in 16 bits
        let total = (prefix + header.utf8.count + 1 + 63) / 64 * 64
        header += String(repeating: " ", count: total - prefix - header.utf8.count - 1) + "\n"
        var data = Data(magic)
        let length = header.utf8.count
        if prefix == 10 {
            data += [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
        } else {
            data += [2, 0] + (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
        }
        data += Data(header.utf8)
        data += Data(buffer: UnsafeBufferPointer(start: values.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) }, count: values.count * 4))
        return data
    }
}
