import Foundation

/// How a model file stores plain floating-point tensors: little-endian IEEE binary16/32/64 or
/// bfloat16 (the upper half of a binary32). safetensors, PyTorch checkpoints and GGUF all use these.
public enum FloatEncoding: Sendable, Equatable, CaseIterable {
    case float16, bfloat16, float32, float64

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float16, .bfloat16: return 2
        case .float32: return 4
        case .float64: return 8
        }
    }
}

/// bfloat16 → float32 is exact: the 16 bits are the top half of the binary32 pattern.
struct BFloat16Reader: ElementReader {
    let base: UnsafeRawPointer
    @inline(__always) subscript(_ i: Int) -> Float {
        Float(
            bitPattern: UInt32(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
    }
}

extension FloatMatrix {
    /// The `rows × columns` row-major matrix stored with `encoding` at `offset` in `file`.
    ///
    /// A view of the mapping (zero copy) when the data is float32 at a 4-byte aligned address;
    /// otherwise converted once into owned storage (float16 and bfloat16 exactly, float64 rounded
    /// to nearest). nil when the memory for a conversion cannot be had. The caller has checked
    /// that `offset + rows·columns·size` lies inside the file.
    public static func stored(
        in file: MappedFile, offset: Int, rows: Int, columns: Int, encoding: FloatEncoding
    ) -> FloatMatrix? {
        let count = rows * columns
        precondition(
            offset >= 0 && offset + count * encoding.size <= file.bytes.count, "stored tensor outside its file")
        let region = ByteRegion(file.bytes, owner: file).slice(offset, count * encoding.size)
        if encoding == .float32, Int(bitPattern: region.bytes.baseAddress) % MemoryLayout<Float>.alignment == 0,
            count > 0
        {
            return FloatMatrix(rows: rows, columns: columns, view: region)
        }
        return converted(rows: rows, columns: columns) { out in
            guard region.isMapped else { return convertStoredFloats(region.bytes, encoding: encoding, into: out) }
            // In slices, each slice's pages of the file released once converted: otherwise the whole
            // mapped tensor stays resident beside its conversion (a 128256 × 4096 bfloat16 head: 1 GB
            // of file pages next to 2 GB of floats, the run's peak). The pages are the file's, so
            // anything that reads them again just faults them back in.
            let sliceElements = max(1, (32 << 20) / encoding.size)
            var first = 0
            while first < count {
                let n = min(sliceElements, count - first)
                let bytes = UnsafeRawBufferPointer(
                    rebasing: region.bytes[(first * encoding.size)..<((first + n) * encoding.size)])
                convertStoredFloats(
                    bytes, encoding: encoding, into: UnsafeMutableBufferPointer(rebasing: out[first..<(first + n)]))
                releaseFilePages(bytes)
                first += n
            }
        }
    }

    /// Owned storage that `fill` initialises completely (for dequantisers and other converters
    /// outside this module); nil when the memory cannot be had.
    public static func filled(
        rows: Int, columns: Int, _ fill: (UnsafeMutableBufferPointer<Float>) -> Void
    ) -> FloatMatrix? {
        converted(rows: rows, columns: columns, fill)
    }
}

/// The `count` values stored with `encoding` at the start of `bytes`, as Float.
public func storedFloats(_ bytes: UnsafeRawBufferPointer, encoding: FloatEncoding, count: Int) -> [Float] {
    precondition(bytes.count >= count * encoding.size, "stored vector outside its bytes")
    return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        convertStoredFloats(bytes, encoding: encoding, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
        initialized = count
    }
}

/// One specialised loop per encoding (the reader is a generic parameter, not a closure).
func convertStoredFloats(
    _ bytes: UnsafeRawBufferPointer, encoding: FloatEncoding, into out: UnsafeMutableBufferPointer<Float>
) {
    guard let base = bytes.baseAddress, let target = out.baseAddress, !out.isEmpty else { return }
    func run<Reader: ElementReader>(_ reader: Reader) {
        for i in 0..<out.count { target[i] = reader[i] }
    }
    switch encoding {
    case .float32: memcpy(target, base, out.count * 4)
    case .float64: run(Float64Reader(base: base, bigEndian: false))
    case .bfloat16: run(BFloat16Reader(base: base))
    case .float16:
        float16ToFloat.withUnsafeBufferPointer { table in
            run(Float16Reader(base: base, bigEndian: false, table: table))
        }
    }
}

/// IEEE binary16 → binary32, exact, NaN payloads kept (for converters outside this module).
public func float16Value(_ bits: UInt16) -> Float { float16ToFloat[Int(bits)] }

/// Drops the whole pages inside `bytes`, part of a read-only private file mapping, from memory
/// (`MADV_DONTNEED`: a later read faults them in from the file again). Only advice; errors ignored.
func releaseFilePages(_ bytes: UnsafeRawBufferPointer) {
    guard let start = bytes.baseAddress else { return }
    let page = Int(getpagesize())
    let first = (Int(bitPattern: start) + page - 1) / page * page
    let end = (Int(bitPattern: start) + bytes.count) / page * page
    guard end > first else { return }
    _ = madvise(UnsafeMutableRawPointer(bitPattern: first), end - first, MADV_DONTNEED)
}
