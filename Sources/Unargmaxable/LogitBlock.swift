import CBLAS
import Dispatch

/// Float32 logits of a block of inputs against every class with one `cblas_sgemm`, each row then
/// scanned (in parallel) for its argmax and certified margins. Memory is one block of logits,
/// rows × C, with rows chosen so the block stays near 256 MiB whatever C is (never C × C).
struct LogitBlock {
    let layer: SoftmaxLayer
    let errors: Float32LogitErrors
    let threads: Int
    let capacity: Int
    private var logits: [Float]

    init(layer: SoftmaxLayer, errors: Float32LogitErrors, threads: Int, inputs: Int) {
        self.layer = layer
        self.errors = errors
        self.threads = max(1, threads)
        capacity = Self.rows(classes: layer.classes, inputs: inputs)
        logits = [Float](repeating: 0, count: capacity * layer.classes)
    }

    /// Rows per block: up to 1024, at most 64 Mi logits.
    static func rows(classes: Int, inputs: Int) -> Int {
        max(1, min(1024, max(8, (64 << 20) / max(classes, 1)), inputs))
    }

    /// Computes the logits of `rows` inputs (row-major, rows × d, every row inside the domain) and
    /// scans each row that has an owner (owners[r] ≥ 0; −1 leaves row r unscanned).
    mutating func scan(inputs: [Float], rows: Int, owners: [Int]) -> [LogitScan] {
        precondition(rows <= capacity && inputs.count >= rows * layer.dimension && owners.count >= rows)
        let C = layer.classes, d = layer.dimension
        guard rows > 0 else { return [] }
        // X Wᵀ; the bias is added during the scan (in Float32, as sgemm with β = 1 would), which
        // saves writing a C-wide bias row into the block before every GEMM.
        layer.weights.withUnsafeBufferPointer { w in
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(C), Int32(d),
                1, inputs, Int32(d), w.baseAddress, Int32(d), 0, &logits, Int32(C))
        }
        var scans = [LogitScan](repeating: LogitScan(), count: rows)
        let workers = max(1, min(threads, rows))
        let errors = errors
        scans.withUnsafeMutableBufferPointer { scanBuffer in
            nonisolated(unsafe) let out = scanBuffer
            logits.withUnsafeBufferPointer { y in
                inputs.withUnsafeBufferPointer { xs in
                    (layer.bias ?? []).withUnsafeBufferPointer { b in
                        nonisolated(unsafe) let (y, xs, b) = (y, xs, b)
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
