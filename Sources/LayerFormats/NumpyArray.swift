import Foundation

/// Element types this reader knows (NumPy's `descr` strings `<f2 <f4 <f8 <i8 |u1`, `>` for
/// big-endian; `=` and `|` are read as little-endian, the byte order of every host Swift runs on
/// here). Layers are floats; the integer types serve index arrays (e.g. certificate files).
public enum NumpyDType: Equatable, Sendable {
    case float16(bigEndian: Bool)
    case float32(bigEndian: Bool)
    case float64(bigEndian: Bool)
    case int64(bigEndian: Bool)
    case uint8

    init?(descr: String) {
        let scalars = Array(descr.unicodeScalars)
        guard scalars.count == 3, "<>=|".unicodeScalars.contains(scalars[0]) else { return nil }
        let big = scalars[0] == ">"
        switch String(String.UnicodeScalarView(scalars[1...])) {
        case "f2": self = .float16(bigEndian: big)
        case "f4": self = .float32(bigEndian: big)
        case "f8": self = .float64(bigEndian: big)
        case "i8": self = .int64(bigEndian: big)
        case "u1": self = .uint8
        default: return nil
        }
    }

    /// The `descr` string, as NumPy writes it.
    public var descr: String {
        switch self {
        case .float16(let big): return (big ? ">" : "<") + "f2"
        case .float32(let big): return (big ? ">" : "<") + "f4"
        case .float64(let big): return (big ? ">" : "<") + "f8"
        case .int64(let big): return (big ? ">" : "<") + "i8"
        case .uint8: return "|u1"
        }
    }

    /// Whether the elements are floating-point numbers (any width).
    public var isFloat: Bool {
        switch self {
        case .float16, .float32, .float64: return true
        case .int64, .uint8: return false
        }
    }

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .uint8: return 1
        case .float16: return 2
        case .float32: return 4
        case .float64, .int64: return 8
        }
    }
}

/// One array of a `.npy` file (or of an `.npz` entry): shape, dtype, memory order, and its raw
/// bytes, still in the file. Format: NumPy's `numpy.lib.format` specification, versions 1.0–3.0.
public struct NumpyArray: Sendable {
    /// The dimensions, as in the header (`[]` for a scalar).
    public let shape: [Int]
    /// The element type and byte order from the header's `descr`.
    public let dtype: NumpyDType
    /// True when stored column-major (`np.asfortranarray`).
    public let fortranOrder: Bool
    /// The file (and, inside an `.npz`, the array) this came from; errors name it.
    public let source: String
    let data: ByteRegion

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
    /// numpy itself refuses headers over 10 000 bytes by default; this only stops absurd allocations.
    static let maximumHeaderLength = 1 << 20

    /// Memory-maps a `.npy` file and parses its header (the data is not touched yet).
    public static func read(path: String) throws -> NumpyArray {
        let file = try MappedFile(path: path)
        return try parse(ByteRegion(file.bytes, owner: file), source: path)
    }

    /// Parses the header and checks the data is as long as the shape says. Never traps: every
    /// length and offset is checked against the bytes that are there, with overflow checks.
    static func parse(_ region: ByteRegion, source: String) throws -> NumpyArray {
        func fail(_ kind: LayerFormatError.Kind) -> LayerFormatError { LayerFormatError(source, kind) }
        let bytes = region.bytes
        guard bytes.count >= magic.count, bytes.prefix(magic.count).elementsEqual(magic) else { throw fail(.notNumpy) }
        guard bytes.count >= 10 else { throw fail(.truncated("the .npy header is cut short")) }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(read16(bytes, 8))
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail(.truncated("the .npy header is cut short")) }
            headerLength = Int(read32(bytes, 8))
            headerStart = 12
        default:
            throw fail(.malformedHeader("unknown format version \(major).\(minor)"))
        }
        guard headerLength <= maximumHeaderLength else {
            throw fail(.malformedHeader("a header of \(headerLength) bytes is implausible"))
        }
        guard headerLength <= bytes.count - headerStart else {
            throw fail(
                .truncated(
                    "the header says \(headerLength) bytes, the file has \(bytes.count - headerStart) after the prefix")
            )
        }
        let header: [String: PythonLiteral]
        do { header = try PythonLiteral.parseDictionary(bytes[headerStart..<(headerStart + headerLength)]) } catch let
            error as PythonLiteral.ParseError
        {
            throw fail(.malformedHeader(error.reason))
        }

        let dtype: NumpyDType
        switch header["descr"] {
        case .string(let descr)?:
            guard let known = NumpyDType(descr: descr) else { throw fail(.unsupportedDType(descr)) }
            dtype = known
        case let other?: throw fail(.unsupportedDType(other.summary))
        case nil: throw fail(.malformedHeader("no 'descr' key"))
        }
        guard case .bool(let fortranOrder)? = header["fortran_order"] else {
            throw fail(
                .malformedHeader(
                    "'fortran_order' is \(header["fortran_order"]?.summary ?? "missing"), not True or False"))
        }
        guard case .tuple(let items)? = header["shape"] else {
            throw fail(.malformedHeader("'shape' is \(header["shape"]?.summary ?? "missing"), not a tuple"))
        }
        var shape: [Int] = []
        var elements = 1
        for item in items {
            guard case .int(let n) = item, n >= 0 else {
                throw fail(.malformedHeader("shape entries must be non-negative integers, got \(item.summary)"))
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: n)
            guard !overflow else { throw fail(.malformedHeader("shape \(items.map(\.summary)) is too large")) }
            shape.append(n)
            elements = product
        }
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        let (needed, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, needed <= available else {
            throw fail(.dataTooShort(needed: overflow ? Int.max : needed, available: available))
        }
        return NumpyArray(
            shape: shape, dtype: dtype, fortranOrder: fortranOrder, source: source,
            data: region.slice(dataStart, needed))
    }

    /// The number of elements the shape holds (checked against the data when parsed).
    public var elementCount: Int { shape.reduce(1, *) }

    /// The 2-D array as a matrix, or its transpose (`transposed: true`), in one pass.
    ///
    /// Zero-copy when the result's row-major layout is exactly the stored one (C order, or Fortran
    /// order read transposed), the data is little-endian float32 and 4-byte aligned: the matrix
    /// then views the mapped file (or inflated buffer). Otherwise it is converted once.
    public func matrix(transposed: Bool = false) throws -> FloatMatrix {
        try requireFloat()
        guard shape.count == 2 else { throw LayerFormatError(source, .wrongDimensions(expected: 2, shape: shape)) }
        let (rows, columns) = transposed ? (shape[1], shape[0]) : (shape[0], shape[1])
        // Stored row-major as `shape` (C order) or as its transpose (Fortran order).
        let storedAsResult = fortranOrder == transposed
        let aligned = Int(bitPattern: data.bytes.baseAddress) % MemoryLayout<Float>.alignment == 0
        if storedAsResult, dtype == .float32(bigEndian: false), aligned, rows * columns > 0 {
            return FloatMatrix(rows: rows, columns: columns, view: data)
        }
        let converted = FloatMatrix.converted(rows: rows, columns: columns) { out in
            // The stored matrix is columns × rows when it must be transposed into the result.
            convert(into: out, transposingStored: storedAsResult ? nil : (rows: columns, columns: rows))
        }
        guard let converted else {
            throw LayerFormatError(source, .unreadable("cannot allocate \(rows) × \(columns) floats"))
        }
        return converted
    }

    /// The array as a vector: 1-D, or 2-D with one row or one column (Marian stores biases as 1 × C).
    public func vector() throws -> [Float] {
        try requireFloat()
        guard shape.count == 1 || (shape.count == 2 && (shape[0] == 1 || shape[1] == 1)) else {
            throw LayerFormatError(source, .wrongDimensions(expected: 1, shape: shape))
        }
        // With one row or column, storage order is the vector's order in both memory orders.
        return [Float](unsafeUninitializedCapacity: elementCount) { buffer, count in
            convert(into: buffer, transposingStored: nil)
            count = elementCount
        }
    }

    /// Writes every element as Float: in storage order, or as the transpose of the stored
    /// row-major `rows × columns` matrix. Conversions are exact except float64 → float32 rounding.
    private func convert(
        into out: UnsafeMutableBufferPointer<Float>, transposingStored stored: (rows: Int, columns: Int)?
    ) {
        guard let base = data.bytes.baseAddress, let target = out.baseAddress, !out.isEmpty else { return }
        precondition(data.bytes.count >= out.count * dtype.size)
        // One specialised loop per element type: the reader is a generic parameter, not a closure.
        func run<Reader: ElementReader>(_ reader: Reader) {
            if let stored {
                transposeTiled(rows: stored.rows, columns: stored.columns, into: out, reader)
            } else {
                for i in 0..<out.count { target[i] = reader[i] }
            }
        }
        switch dtype {
        case .float32(bigEndian: false) where stored == nil:
            prefault(data)
            memcpy(target, base, out.count * 4)  // unaligned or inflated little-endian data: one copy
        case .float32(bigEndian: false): run(LittleEndianFloat32Reader(base: base))
        case .float32(bigEndian: true): run(Float32Reader(base: base, bigEndian: true))
        case .float64(let big): run(Float64Reader(base: base, bigEndian: big))
        case .float16(let big):
            float16ToFloat.withUnsafeBufferPointer { table in
                run(Float16Reader(base: base, bigEndian: big, table: table))
            }
        case .int64, .uint8: preconditionFailure("integer arrays are not converted to floats")
        }
    }

    private func requireFloat() throws {
        guard dtype.isFloat else {
            throw LayerFormatError(source, .unsupportedDType(dtype.descr))
        }
    }

    /// The elements of a 1-D (or any) `<i8` array in storage order.
    public func int64Values() throws -> [Int] {
        guard case .int64(let big) = dtype else { throw LayerFormatError(source, .unsupportedDType(dtype.descr)) }
        let bytes = data.bytes
        return (0..<elementCount).map { i in
            let raw = bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
            return Int(Int64(bitPattern: big ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw)))
        }
    }

    /// The bytes of a `|u1` array.
    public func byteValues() throws -> [UInt8] {
        guard dtype == .uint8 else { throw LayerFormatError(source, .unsupportedDType(dtype.descr)) }
        return Array(data.bytes)
    }

    /// Elements `range` (in storage order) of a float array as Double, exactly, read from the file
    /// on demand: one row of a large memory-mapped matrix without converting the rest.
    public func float64Values(in range: Range<Int>) throws -> [Double] {
        precondition(range.lowerBound >= 0 && range.upperBound <= elementCount, "elements outside the array")
        let bytes = data.bytes
        switch dtype {
        case .float64(let big):
            return range.map { i in
                let raw = bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
                return Double(bitPattern: big ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw))
            }
        case .float32(let big):
            return range.map { i in
                let raw = bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                return Double(Float(bitPattern: big ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)))
            }
        case .float16(let big):
            return range.map { i in
                let raw = bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                return Double(float16ToFloat[Int(big ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw))])
            }
        case .int64, .uint8:
            throw LayerFormatError(source, .unsupportedDType(dtype.descr))
        }
    }

    /// The elements of a float array as Double (exact for every float type), in storage order.
    public func float64Values() throws -> [Double] {
        let bytes = data.bytes
        switch dtype {
        case .float64(let big):
            return (0..<elementCount).map { i in
                let raw = bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
                return Double(bitPattern: big ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw))
            }
        case .float16, .float32:
            return try vectorOfAnyShape().map(Double.init)
        case .int64, .uint8:
            throw LayerFormatError(source, .unsupportedDType(dtype.descr))
        }
    }

    private func vectorOfAnyShape() throws -> [Float] {
        [Float](unsafeUninitializedCapacity: elementCount) { buffer, count in
            convert(into: buffer, transposingStored: nil)
            count = elementCount
        }
    }
}

/// Maps a large mapped region's pages in one system call before it is read whole: one fault per
/// 4 KiB page otherwise dominates copying gigabytes out of the page cache. Only advice: kernels
/// without MADV_POPULATE_READ (before 5.14) refuse it and the reads fault as usual.
private func prefault(_ region: ByteRegion) {
    guard region.isMapped, region.bytes.count >= 1 << 24, let start = region.bytes.baseAddress else { return }
    let page = Int(getpagesize())
    let first = Int(bitPattern: start) / page * page
    let length = Int(bitPattern: start) + region.bytes.count - first
    _ = madvise(UnsafeMutableRawPointer(bitPattern: first), length, 22 /* MADV_POPULATE_READ */)
}

/// Every float16 bit pattern's exact float32 value: a 256 KiB table that stays in cache.
let float16ToFloat: [Float] = (0...UInt16.max).map { Float(bitPattern: widenFloat16($0)) }

/// IEEE binary16 → binary32, exact, NaN payloads kept bit for bit (as numpy does; a hardware or
/// library conversion may quiet signalling NaNs instead).
func widenFloat16(_ half: UInt16) -> UInt32 {
    let sign = UInt32(half & 0x8000) << 16
    let exponent = UInt32(half >> 10) & 0x1F
    var mantissa = UInt32(half & 0x3FF)
    switch exponent {
    case 0x1F:  // infinity or NaN: all-ones exponent, payload shifted into place
        return sign | 0x7F80_0000 | mantissa << 13
    case 0 where mantissa == 0:
        return sign
    case 0:  // subnormal: normalise (value = mantissa × 2^−24)
        var e: UInt32 = 127 - 15 + 1
        while mantissa & 0x400 == 0 {
            mantissa <<= 1
            e -= 1
        }
        return sign | e << 23 | (mantissa & 0x3FF) << 13
    default:
        return sign | (exponent + 127 - 15) << 23 | mantissa << 13
    }
}

@inline(__always) func read16(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt16 {
    UInt16(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt16.self))
}
@inline(__always) func read32(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
    UInt32(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt32.self))
}
@inline(__always) func read64(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt64 {
    UInt64(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt64.self))
}
