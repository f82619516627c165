import Foundation

/// A row-major Float32 matrix: the weights of a softmax layer (rows = classes, columns = features).
///
/// Storage is either owned or a zero-copy view of little-endian float32 data in a memory-mapped
/// file; conversions (float16/float64, byte order, Fortran order, transposes) happen once, into
/// owned storage. Every format reader produces this type.
public struct FloatMatrix: @unchecked Sendable {  // storage is immutable once built
    public let rows: Int
    public let columns: Int
    private let region: ByteRegion

    /// Owned storage.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "FloatMatrix: \(values.count) values for \(rows) × \(columns)")
        let data = values.withUnsafeBytes { Data($0) }
        self.rows = rows
        self.columns = columns
        self.region = ByteRegion(data: data)
    }

    /// A zero-copy view; `region` must hold rows × columns little-endian float32, 4-byte aligned.
    init(rows: Int, columns: Int, region: ByteRegion) {
        precondition(region.bytes.count >= rows * columns * 4)
        self.rows = rows
        self.columns = columns
        self.region = region
    }

    /// True when the values are read straight from a memory-mapped file (no copy was made).
    public var isMemoryMapped: Bool { region.isMapped }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let typed = UnsafeBufferPointer(start: region.bytes.baseAddress?.assumingMemoryBound(to: Float.self), count: rows * columns)
        return try body(typed)
    }

    public subscript(row: Int, column: Int) -> Float {
        precondition(row >= 0 && row < rows && column >= 0 && column < columns)
        return withUnsafeBufferPointer { $0[row * columns + column] }
    }

    public func row(_ index: Int) -> [Float] {
        withUnsafeBufferPointer { Array($0[(index * columns)..<((index + 1) * columns)]) }
    }

    /// All values, row-major, as an owned array.
    public var values: [Float] { withUnsafeBufferPointer { Array($0) } }

    public func transposed() -> FloatMatrix {
        var out = [Float](repeating: 0, count: rows * columns)
        withUnsafeBufferPointer { source in
            for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = source[r * columns + c] } }
        }
        return FloatMatrix(rows: columns, columns: rows, values: out)
    }

    /// The first (row, column) holding NaN or ±Inf, if any.
    public func firstNonFinite() -> (row: Int, column: Int)? {
        withUnsafeBufferPointer { values in
            guard let index = values.firstIndex(where: { !$0.isFinite }) else { return nil }
            return (index / columns, index % columns)
        }
    }
}
