/// Reads element i of some stored array as Float. Converters are generic over it, so each
/// element type gets its own specialised, inlined loop (a closure per element would not be).
protocol ElementReader {
    subscript(_ i: Int) -> Float { get }
}

/// Little-endian float32 at any alignment: the common case, without a byte-order branch.
struct LittleEndianFloat32Reader: ElementReader {
    let base: UnsafeRawPointer
    @inline(__always) subscript(_ i: Int) -> Float {
        Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
    }
}

/// float32 at any alignment, in either byte order (a loop-invariant branch).
struct Float32Reader: ElementReader {
    let base: UnsafeRawPointer
    let bigEndian: Bool
    @inline(__always) subscript(_ i: Int) -> Float {
        let raw = base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
        return Float(bitPattern: bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw))
    }
}

/// float64, rounded to the nearest float32.
struct Float64Reader: ElementReader {
    let base: UnsafeRawPointer
    let bigEndian: Bool
    @inline(__always) subscript(_ i: Int) -> Float {
        let raw = base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
        return Float(Double(bitPattern: bigEndian ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw)))
    }
}

/// float16, widened exactly through a table of all 65 536 bit patterns.
struct Float16Reader: ElementReader {
    let base: UnsafeRawPointer
    let bigEndian: Bool
    let table: UnsafeBufferPointer<Float>
    @inline(__always) subscript(_ i: Int) -> Float {
        let raw = base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
        return table[Int(bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw))]
    }
}

/// Aligned native Float values (an existing matrix).
struct FloatBufferReader: ElementReader {
    let values: UnsafeBufferPointer<Float>
    @inline(__always) subscript(_ i: Int) -> Float { values[i] }
}
