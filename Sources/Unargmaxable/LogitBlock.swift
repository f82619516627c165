import CBLAS
import Dispatch
import Foundation

/// Float32 logits of a block of inputs against every class with one `cblas_sgemm`, each row then
/// scanned (in parallel) for its argmax and certified margins. Memory is one block of logits,
/// rows × C, with rows chosen so the block stays near 256 MiB whatever C is (never C × C).
struct LogitBlock {
    let layer: SoftmaxLayer
    let errors: Float32LogitErrors
    let threads: Int
    let capacity: Int
    private var logits: [Float]
    private let storage: LogitStorage?

    /// A block for `inputs` rows at most; its buffer comes from `storage` when given (give it back
    /// with `recycle`).
    init(layer: SoftmaxLayer, errors: Float32LogitErrors, threads: Int, inputs: Int, storage: LogitStorage? = nil) {
        self.layer = layer
        self.errors = errors
        self.threads = max(1, threads)
        let capacity = Self.rows(classes: layer.classes, inputs: inputs)
        self.capacity = capacity
        self.storage = storage
        logits = storage?.take(count: capacity * layer.classes) ?? LogitStorage.uninitialised(capacity * layer.classes)
    }

    /// Hands the buffer back to the storage it came from; the block is empty afterwards.
    mutating func recycle() {
        storage?.give(logits)
        logits = []
    }

    /// Rows per block: up to 1024, at most 64 Mi logits.
    static func rows(classes: Int, inputs: Int) -> Int {
        max(1, min(1024, max(8, (64 << 20) / max(classes, 1)), inputs))
    }

    /// Rows computed and scanned together, one single-threaded GEMM each (see `FixedPartitionGEMM`).
    /// When W is small enough to stay in cache (small d), a few rows at a time keep their logits in
    /// cache from the GEMM to the scan (one pass over memory instead of three: sgemm's zeroing, its
    /// writes, the scan's reads); a large W goes by column groups (`scanLarge`).
    func rowsPerPass(_ rows: Int) -> Int {
        max(16, min(rows, (2 << 20) / (4 * max(layer.classes, 1))))
    }

    /// Whether W fits in cache (then row passes; else column groups, see `scan`).
    var weightsFitInCache: Bool { layer.classes * layer.dimension * 4 <= 16 << 20 }

    /// Classes per column group when W is large: each group's rows of W are read once per block.
    static let classesPerGroup = 4096

    /// Computes the logits of `rows` inputs (row-major, rows × d, every row inside the domain) and
    /// scans each row that has an owner (owners[r] ≥ 0; −1 leaves row r unscanned). Bit-identical
    /// for any thread count.
    mutating func scan(inputs: [Float], rows: Int, owners: [Int]) -> [LogitScan] {
        precondition(rows <= capacity && inputs.count >= rows * layer.dimension && owners.count >= rows)
        let C = layer.classes, d = layer.dimension
        guard rows > 0 else { return [] }
        var scans = [LogitScan](repeating: LogitScan(), count: rows)
        let (errors, layer, threads, group) = (errors, layer, threads, rowsPerPass(rows))
        // X Wᵀ; the bias is added during the scan (in Float32, as sgemm with β = 1 would), which
        // saves writing a C-wide bias row into the block before every GEMM.
        if !weightsFitInCache { return scanLarge(inputs: inputs, rows: rows, owners: owners) }
        scans.withUnsafeMutableBufferPointer { scanBuffer in
            logits.withUnsafeMutableBufferPointer { y in
                inputs.withUnsafeBufferPointer { xs in
                    layer.weights.withUnsafeBufferPointer { w in
                        (layer.bias ?? []).withUnsafeBufferPointer { b in
                            nonisolated(unsafe) let (out, y, xs, w, b) = (scanBuffer, y, xs, w, b)
                            FixedPartitionGEMM.forEachGroup(rows: rows, group: group, threads: threads) {
                                first, count in
                                cblas_sgemm(
                                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(C), Int32(d),
                                    1, xs.baseAddress! + first * d, Int32(d), w.baseAddress, Int32(d), 0,
                                    y.baseAddress! + first * C, Int32(C))
                                for r in first..<(first + count) where owners[r] >= 0 {
                                    out[r] = LogitScan(
                                        row: UnsafeBufferPointer(rebasing: y[(r * C)..<((r + 1) * C)]), bias: b,
                                        owner: owners[r],
                                        x: UnsafeBufferPointer(rebasing: xs[(r * d)..<((r + 1) * d)]), errors: errors)
                                }
                            }
                        }
                    }
                }
            }
        }
        return scans
    }

    /// `scan` for a W too large for cache: the block's logits in column groups of `classesPerGroup`
    /// classes (fixed by C alone, one single-threaded GEMM each, in parallel), so each group of W is
    /// read once per block and its packing is shared by all the block's rows; then the rows are scanned.
    private mutating func scanLarge(inputs: [Float], rows: Int, owners: [Int]) -> [LogitScan] {
        let C = layer.classes, d = layer.dimension
        let (errors, layer, threads) = (errors, layer, threads)
        logits.withUnsafeMutableBufferPointer { y in
            inputs.withUnsafeBufferPointer { xs in
                layer.weights.withUnsafeBufferPointer { w in
                    nonisolated(unsafe) let (y, xs, w) = (y, xs, w)
                    FixedPartitionGEMM.forEachGroup(rows: C, group: Self.classesPerGroup, threads: threads) {
                        first, count in
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(count), Int32(d),
                            1, xs.baseAddress, Int32(d), w.baseAddress! + first * d, Int32(d), 0,
                            y.baseAddress! + first, Int32(C))
                    }
                }
            }
        }
        var scans = [LogitScan](repeating: LogitScan(), count: rows)
        let workers = max(1, min(threads, rows))
        scans.withUnsafeMutableBufferPointer { scanBuffer in
            logits.withUnsafeBufferPointer { y in
                inputs.withUnsafeBufferPointer { xs in
                    (layer.bias ?? []).withUnsafeBufferPointer { b in
                        nonisolated(unsafe) let (out, y, xs, b) = (scanBuffer, y, xs, b)
                        DispatchQueue.concurrentPerform(iterations: workers) { worker in
                            for r in stride(from: worker, to: rows, by: workers) where owners[r] >= 0 {
                                out[r] = LogitScan(
                                    row: UnsafeBufferPointer(rebasing: y[(r * C)..<((r + 1) * C)]), bias: b,
                                    owner: owners[r],
                                    x: UnsafeBufferPointer(rebasing: xs[(r * d)..<((r + 1) * d)]), errors: errors)
                            }
                        }
                    }
                }
            }
        }
        return scans
    }

    /// Indices of the `count` largest logits of row r other than c's, largest first.
    func topCompetitors(row r: Int, excluding c: Int, count: Int) -> [Int] {
        guard count > 0 else { return [] }
        let C = layer.classes
        var best: [(Float, Int)] = []
        best.reserveCapacity(count + 1)
        logits.withUnsafeBufferPointer { y in
            (layer.bias ?? []).withUnsafeBufferPointer { b in
                for i in 0..<C where i != c {
                    let v = b.isEmpty ? y[r * C + i] : y[r * C + i] + b[i]
                    if best.count == count, v <= best[count - 1].0 { continue }
                    let position = best.firstIndex { v > $0.0 } ?? best.count
                    best.insert((v, i), at: position)
                    if best.count > count { best.removeLast() }
                }
            }
        }
        return best.map(\.1)
    }
}

/// A logits buffer kept between the chunks of one layer's run. Chunks run one after another and each
/// needs the same ~200 MiB block; allocating it afresh costs its page faults every time (6 % of a
/// whole check of a 49152-class head).
final class LogitStorage: @unchecked Sendable {
    private let lock = NSLock()
    private var spare: [Float] = []

    init() {}

    /// A buffer of at least `count` Floats, with undefined contents.
    func take(count: Int) -> [Float] {
        let reused: [Float]? = lock.withLock {
            guard spare.count >= count else { return nil }
            defer { spare = [] }
            return spare
        }
        return reused ?? Self.uninitialised(count)
    }

    /// Keeps `buffer` for the next `take` (the larger one when two are given back).
    func give(_ buffer: [Float]) {
        lock.withLock { if buffer.count > spare.count { spare = buffer } }
    }

    /// Uninitialised: every GEMM writes its rows before they are read (zeroing 256 MiB per block
    /// cost more than some whole checks).
    static func uninitialised(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
    }
}
