import Foundation

/// A row-major Float32 matrix: the weights of a softmax layer (rows = classes, columns = features).
///
/// Storage is an array the caller gave, or bytes something else keeps alive: a memory-mapped file
/// (zero copy: little-endian float32 used in place), an inflated zip entry, or a buffer a converter
/// filled. Every conversion (float16/float64, byte order, Fortran order, transposes) happens once,
/// into owned storage. Every format reader produces this type, so the rest of the project sees one layout.
public struct FloatMatrix: @unchecked Sendable {  // every storage is immutable once built
    /// Number of rows (classes).
    public let rows: Int
    /// Number of columns (features).
    public let columns: Int
    private let storage: Storage

    private enum Storage {
        case array([Float])
        case region(ByteRegion)
    }

    /// Owned storage: `values` are rows × columns, row-major (kept as given, no copy).
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(
            rows >= 0 && columns >= 0 && values.count == rows * columns,
            "FloatMatrix: \(values.count) values for \(rows) × \(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = .array(values)
    }

    /// Owned storage filled in place by `initialize` (row-major, rows × columns values, starting
    /// zeroed), so a converter writes each value once with no intermediate array.
    public init(
        rows: Int, columns: Int, initializingWith initialize: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows {
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        precondition(
            rows >= 0 && columns >= 0 && !overflow && count <= Int.max / 4,
            "FloatMatrix: \(rows) × \(columns) is too large")
        guard let buffer = OwnedBytes(byteCount: count * 4, zeroed: true) else {
            fatalError("FloatMatrix: cannot allocate \(rows) × \(columns) floats")
        }
        try initialize(buffer.mutableBytes.bindMemory(to: Float.self))
        self.init(rows: rows, columns: columns, view: ByteRegion(buffer.bytes, owner: buffer))
    }

    /// Owned storage that `fill` must initialise completely; nil if the memory cannot be had, so
    /// readers can report a size a corrupt file claims instead of aborting.
    static func converted(rows: Int, columns: Int, _ fill: (UnsafeMutableBufferPointer<Float>) -> Void) -> FloatMatrix?
    {
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard rows >= 0, columns >= 0, !overflow, count <= Int.max / 4, let buffer = OwnedBytes(byteCount: count * 4)
        else { return nil }
        fill(buffer.mutableBytes.bindMemory(to: Float.self))
        return FloatMatrix(rows: rows, columns: columns, view: ByteRegion(buffer.bytes, owner: buffer))
    }

    /// A view of bytes someone else owns: `region` holds at least rows × columns little-endian
    /// float32 values at a 4-byte aligned address (callers check; a misaligned view would be
    /// undefined behaviour).
    init(rows: Int, columns: Int, view region: ByteRegion) {
        precondition(region.bytes.count >= rows * columns * MemoryLayout<Float>.stride)
        precondition(Int(bitPattern: region.bytes.baseAddress) % MemoryLayout<Float>.alignment == 0)
        self.rows = rows
        self.columns = columns
        self.storage = .region(region)
    }

    /// True when the values are read straight from a memory-mapped file (no copy was made).
    public var isMemoryMapped: Bool {
        if case .region(let region) = storage { return region.isMapped }
        return false
    }

    /// The rows × columns values, row-major, valid only inside `body`.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        switch storage {
        case .array(let values):
            return try values.withUnsafeBufferPointer(body)
        case .region(let region):
            let start = region.bytes.baseAddress?.assumingMemoryBound(to: Float.self)
            return try withExtendedLifetime(region) {
                try body(UnsafeBufferPointer(start: start, count: rows * columns))
            }
        }
    }

    /// The value at (row, column); traps when out of range, like an array.
    public subscript(row: Int, column: Int) -> Float {
        precondition(
            row >= 0 && row < rows && column >= 0 && column < columns,
            "FloatMatrix index (\(row), \(column)) out of \(rows) × \(columns)")
        return withUnsafeBufferPointer { $0[row * columns + column] }
    }

    /// One row (a class's weight vector) as an owned array.
    public func row(_ index: Int) -> [Float] {
        precondition(index >= 0 && index < rows, "FloatMatrix row \(index) out of \(rows)")
        return withUnsafeBufferPointer { Array($0[(index * columns)..<((index + 1) * columns)]) }
    }

    /// All values, row-major, as an owned array.
    public var values: [Float] {
        if case .array(let values) = storage { return values }
        return withUnsafeBufferPointer { Array($0) }
    }

    /// The columns × rows transpose, as owned storage.
    public func transposed() -> FloatMatrix {
        let result = FloatMatrix.converted(rows: columns, columns: rows) { out in
            withUnsafeBufferPointer { source in
                transposeTiled(rows: rows, columns: columns, into: out, FloatBufferReader(values: source))
            }
        }
        guard let result else { fatalError("FloatMatrix: cannot allocate the \(columns) × \(rows) transpose") }
        return result
    }

    /// The first (row, column) holding NaN or ±Inf, if any.
    public func firstNonFinite() -> (row: Int, column: Int)? {
        withUnsafeBufferPointer { values in
            guard let index = values.firstIndex(where: { !$0.isFinite }) else { return nil }
            return (index / columns, index % columns)
        }
    }
}

extension FloatMatrix: Equatable {
    /// Same shape and the same values (compared as numbers: NaN ≠ NaN, 0 = −0), whatever the storage.
    public static func == (lhs: FloatMatrix, rhs: FloatMatrix) -> Bool {
        guard lhs.rows == rhs.rows, lhs.columns == rhs.columns else { return false }
        return lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
    }
}

/// `out[c * rows + r] = source[r * columns + c]`: the transpose of a rows × columns row-major
/// source, read through `source` (which may also convert the element type), tile by tile so both
/// sides stay in cache.
func transposeTiled<Source: ElementReader>(
    rows: Int, columns: Int, into out: UnsafeMutableBufferPointer<Float>, _ source: Source
) {
    precondition(out.count == rows * columns)
    let tile = 32
    guard let base = out.baseAddress else { return }
    for r0 in stride(from: 0, to: rows, by: tile) {
        let r1 = min(r0 + tile, rows)
        for c0 in stride(from: 0, to: columns, by: tile) {
            let c1 = min(c0 + tile, columns)
            for c in c0..<c1 {  // contiguous writes; the strided reads stay within the tile's rows
                for r in r0..<r1 { base[c * rows + r] = source[r * columns + c] }
            }
        }
    }
}
