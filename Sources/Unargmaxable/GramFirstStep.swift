import CBLAS
import Dispatch
import Foundation
import LogitKernels

/// Braid reflect's first step, x = w_c, for many classes at once for half a GEMM.
///
/// At x = w_c the logits are row c of the Gram matrix W Wᵀ plus the bias by column, and W Wᵀ is
/// symmetric: the product of class blocks I ≤ J holds the logits of I's classes against J's along
/// its rows and those of J's classes against I's down its columns. So each pair of blocks is
/// multiplied once and scanned both ways, and each class's top two logits are merged from the
/// blocks of its row of the Gram matrix — half the flops of the row-by-row search's first GEMM.
///
/// Blocks are fixed by C alone and each product is one single-threaded sgemm, so every logit has
/// the same bits whichever chunk, shard or thread count asks for it; a merged top two (largest value,
/// ties to the lower class, as `LogitScan`) does not depend on the order the blocks ran in either.
/// Products are kept between calls, so the chunks of one run multiply each pair of blocks once.
///
/// Anisotropic layers start from whitened inputs instead, x_o = fl(A w̃_o), whose logits are
/// symmetric too (`WhitenedGramFactors`): then a block row's products P_I = fl(W̃_I A) are formed once
/// and multiplied by the centred blocks W̃_J.
///
/// Only certified starts come from here: a class that does not lead at its start by a margin the
/// widest error bound certifies, or whose start lies outside the domain, is searched as before.
final class GramFirstStep: @unchecked Sendable {
    /// A class certified at its start: the start, a lower bound on its margin there, and its runner-up.
    struct Start {
        let witness: [Float]
        let lower: Double
        let runnerUp: Int
    }

    /// Classes per block: 4 MiB of logits per product, big enough for sgemm to run at full speed.
    static let blockSize = 1024
    /// Fewer classes than this are searched row by row (a block pair would mostly compute logits
    /// no class asked for).
    static let minimumClasses = 2 * blockSize

    let layer: SoftmaxLayer
    let errors: Float32LogitErrors
    /// The whitening and its error model, or nil for starts x = w_c.
    let whitened: WhitenedGramFactors?
    private let blockCount: Int
    private let lock = NSLock()
    /// Whether block pair (I, J), I ≤ J, has been multiplied and merged (row-major, blockCount²).
    private var multiplied: [Bool]
    /// Each class's top two logits at its own w_c so far, and its own logit.
    private var first: [(value: Float, index: Int)]
    private var second: [(value: Float, index: Int)]
    private var own: [Float]
    /// Whether most classes lead at their start (see `pays`), once known.
    private var mostLead: Bool?
    /// Classes sampled by `pays`.
    static let sampleSize = 256

    /// Nil for layers too small to gain from it.
    init?(layer: SoftmaxLayer, errors: Float32LogitErrors, whitened: WhitenedGramFactors? = nil) {
        let C = layer.classes
        guard C >= Self.minimumClasses, layer.dimension >= 1 else { return nil }
        self.layer = layer
        self.errors = errors
        self.whitened = whitened
        blockCount = (C + Self.blockSize - 1) / Self.blockSize
        multiplied = Array(repeating: false, count: blockCount * blockCount)
        first = Array(repeating: (-.infinity, -1), count: C)
        second = Array(repeating: (-.infinity, -1), count: C)
        own = Array(repeating: .nan, count: C)
    }

    /// Whether the symmetric step pays on this layer: it does when most classes lead at their start
    /// (then they need no row of their own); when few do, the search computes their first step again
    /// and the half GEMM spent here is lost. Decided once from `sampleSize` classes spread over the
    /// layer (a fixed sample, so every chunk and shard decides alike) by one row-by-row product: about
    /// sampleSize / C of a GEMM.
    func pays(threads: Int) -> Bool {
        if let known = lock.withLock({ mostLead }) { return known }
        let C = layer.classes, d = layer.dimension, count = min(C, Self.sampleSize)
        let sample = (0..<count).map { $0 * C / count }
        var inputs = [Float](repeating: 0, count: count * d)
        layer.weights.withUnsafeBufferPointer { w in
            for (r, c) in sample.enumerated() {
                for k in 0..<d { inputs[r * d + k] = w[c * d + k] }
            }
        }
        if let whitened {
            var starts = [Float](repeating: 0, count: count * d)
            inputs.withUnsafeMutableBufferPointer { rows in
                for r in 0..<count {
                    for k in 0..<d { rows[r * d + k] = rows[r * d + k] - whitened.mean[k] }
                }
                starts.withUnsafeMutableBufferPointer { out in
                    nonisolated(unsafe) let (rows, out) = (rows, out)
                    FixedPartitionGEMM.forEachGroup(rows: 1, group: 1, threads: threads) { _, _ in
                        whitened.products(of: rows.baseAddress!, count: count, into: out.baseAddress!)
                    }
                }
            }
            inputs = starts
        }
        var block = LogitBlock(layer: layer, errors: errors, threads: threads, inputs: count)
        var leaders = 0
        for begin in stride(from: 0, to: count, by: block.capacity) {
            let rows = min(block.capacity, count - begin)
            let scans = block.scan(
                inputs: Array(inputs[(begin * d)..<((begin + rows) * d)]), rows: rows,
                owners: Array(sample[begin..<(begin + rows)]))
            leaders += zip(scans, sample[begin..<(begin + rows)]).filter { $0.argmax == $1 }.count
        }
        let result = 2 * leaders >= count
        lock.withLock { mostLead = result }
        return result
    }

    /// The classes of `classes` that lead at their own start by a certified margin, with the start
    /// inside `domain`. Multiplies the block pairs of their Gram rows that no earlier call multiplied.
    func certifiedStarts(for classes: [Int], threads: Int, domain: InputDomain) -> [Int: Start] {
        let starts = multiplyRows(of: Set(classes.map { $0 / Self.blockSize }), threads: threads)
        let d = layer.dimension
        var certified: [Int: Start] = [:]
        lock.withLock {
            for c in classes {
                let block = c / Self.blockSize, row = c - block * Self.blockSize
                let witness =
                    starts[block].map { Array($0[(row * d)..<((row + 1) * d)]) } ?? layer.weights.row(c)
                guard let (lower, runnerUp) = certify(c, start: witness),
                    domain.contains(witness.map(Double.init))
                else { continue }
                certified[c] = Start(witness: witness, lower: lower, runnerUp: runnerUp)
            }
        }
        return certified
    }

    /// `LogitScan`'s owner margin from the merged top two (its first, cheap test only), with the
    /// whitened error model when the rows are whitened.
    private func certify(_ c: Int, start: [Float]) -> (lower: Double, runnerUp: Int)? {
        let d = layer.dimension
        let bounds: (own: Double, widest: Double)?
        if let whitened {
            let product = start.reduce(0.0) { $0 + Double($1) * Double($1) }
            bounds = whitened.ownerBounds(
                centredNorm: whitened.centredNorms[c], productNorm: product.squareRoot() * (1 + 1e-12),
                absBias: abs(Double(layer.bias?[c] ?? 0)))
        } else {
            bounds = layer.weights.withUnsafeBufferPointer { w in
                errors.rowScale(UnsafeBufferPointer(rebasing: w[(c * d)..<((c + 1) * d)]))
            }.map { (errors.bound(c, $0), errors.largestBound($0)) }
        }
        let (leader, runner) = (first[c], second[c])
        guard let bounds, leader.index >= 0, leader.value.isFinite, own[c] == leader.value,
            runner.index >= 0, runner.value.isFinite
        else { return nil }
        let competitor = leader.index == c ? runner : leader
        let margin = Double(own[c]) - bounds.own - (Double(competitor.value) + bounds.widest)
        guard margin > 0 else { return nil }
        return (LogitScan.shaved(margin), competitor.index)
    }

    /// Multiplies and merges every pair (I, J), I ≤ J, with I or J in `rows` not done before, one task
    /// per block row I (its products P_I formed once). Returns the starts of `rows` when whitened (their
    /// rows of P; each is multiplied by its own diagonal pair, which only `rows` asks for).
    private func multiplyRows(of rows: Set<Int>, threads: Int) -> [Int: [Float]] {
        var columnsOfRow: [Int: [Int]] = [:]
        lock.withLock {
            for I in rows.sorted() {
                for J in 0..<blockCount {
                    let (low, high) = (min(I, J), max(I, J))
                    if !multiplied[low * blockCount + high] {
                        multiplied[low * blockCount + high] = true
                        columnsOfRow[low, default: []].append(high)
                    }
                }
            }
        }
        // Whitened starts are rows of P: a block asked for again (its pairs all done) still forms them.
        if whitened != nil {
            for I in rows where columnsOfRow[I] == nil { columnsOfRow[I] = [] }
        }
        // Longest rows first, handed out one at a time, so two workers finish together.
        let tasks = columnsOfRow.sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }
        guard !tasks.isEmpty else { return [:] }
        let next = TaskCounter()
        let starts = LockedStarts()
        let workers = max(1, min(threads, tasks.count))
        FixedPartitionGEMM.forEachGroup(rows: workers, group: 1, threads: threads) { _, _ in
            let size = Self.blockSize, d = self.layer.dimension
            var logits = LogitStorage.uninitialised(size * size)
            var products = self.whitened == nil ? [] : LogitStorage.uninitialised(size * d)
            var centred = products
            while let k = next.take(below: tasks.count) {
                let (I, columns) = (tasks[k].key, tasks[k].value)
                if let whitened = self.whitened {
                    let count = min(size, self.layer.classes - I * size)
                    centred.withUnsafeMutableBufferPointer { c in
                        whitened.centre(self.layer, first: I * size, count: count, into: c.baseAddress!)
                        products.withUnsafeMutableBufferPointer { p in
                            whitened.products(of: c.baseAddress!, count: count, into: p.baseAddress!)
                        }
                    }
                    if rows.contains(I) { starts.set(I, Array(products[0..<(count * d)])) }
                }
                for J in columns { self.multiply(I, J, products: products, centred: &centred, into: &logits) }
            }
        }
        return starts.value
    }

    /// One block product (W_I W_Jᵀ, or P_I W̃_Jᵀ when whitened), scanned along its rows (I's classes)
    /// and, off the diagonal, down its columns (J's classes); the results merged under the lock.
    /// `centred` is scratch for W̃_J.
    private func multiply(_ I: Int, _ J: Int, products: [Float], centred: inout [Float], into logits: inout [Float]) {
        let (C, d, size) = (layer.classes, layer.dimension, Self.blockSize)
        let (rowBegin, columnBegin) = (I * size, J * size)
        let rows = min(size, C - rowBegin), columns = min(size, C - columnBegin)
        var rowTops = [unargmax_top_two](
            repeating: unargmax_top_two(
                first_value: -.infinity, first_index: -1, second_value: -.infinity, second_index: -1),
            count: rows)
        var columnFirst = [Float](repeating: -.infinity, count: I == J ? 0 : columns)
        var columnSecond = columnFirst
        var columnFirstIndex = [Int](repeating: -1, count: columnFirst.count)
        var columnSecondIndex = columnFirstIndex
        var diagonal = [Float](repeating: .nan, count: I == J ? rows : 0)
        if let whitened {
            centred.withUnsafeMutableBufferPointer {
                whitened.centre(layer, first: columnBegin, count: columns, into: $0.baseAddress!)
            }
        }
        logits.withUnsafeMutableBufferPointer { y in
            layer.weights.withUnsafeBufferPointer { w in
                (layer.bias ?? []).withUnsafeBufferPointer { b in
                    products.withUnsafeBufferPointer { p in
                        centred.withUnsafeBufferPointer { c in
                            let (left, right) =
                                whitened == nil
                                ? (w.baseAddress! + rowBegin * d, w.baseAddress! + columnBegin * d)
                                : (p.baseAddress!, c.baseAddress!)
                            cblas_sgemm(
                                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(columns), Int32(d), 1,
                                left, Int32(d), right, Int32(d), 0, y.baseAddress, Int32(columns))
                        }
                    }
                    let columnBias = b.isEmpty ? nil : b.baseAddress! + columnBegin
                    for r in 0..<rows {
                        unargmax_top_two_scan(y.baseAddress! + r * columns, columnBias, 0, columns, &rowTops[r])
                    }
                    if I == J {
                        for r in 0..<rows {
                            let v = y[r * columns + r]
                            diagonal[r] = b.isEmpty ? v : v + b[rowBegin + r]
                        }
                        return
                    }
                    columnFirst.withUnsafeMutableBufferPointer { fv in
                        columnSecond.withUnsafeMutableBufferPointer { sv in
                            columnFirstIndex.withUnsafeMutableBufferPointer { fi in
                                columnSecondIndex.withUnsafeMutableBufferPointer { si in
                                    var state = unargmax_top_two_columns_state(
                                        first_value: fv.baseAddress, first_index: fi.baseAddress,
                                        second_value: sv.baseAddress, second_index: si.baseAddress)
                                    unargmax_top_two_columns(
                                        y.baseAddress, rows, columns, columns,
                                        b.isEmpty ? nil : b.baseAddress! + rowBegin, rowBegin, &state)
                                }
                            }
                        }
                    }
                }
            }
        }
        lock.withLock {
            for r in 0..<rows {
                let c = rowBegin + r, top = rowTops[r]
                offer(c, top.first_value, top.first_index < 0 ? -1 : top.first_index + columnBegin)
                offer(c, top.second_value, top.second_index < 0 ? -1 : top.second_index + columnBegin)
                if I == J { own[c] = diagonal[r] }
            }
            for j in columnFirst.indices {
                offer(columnBegin + j, columnFirst[j], columnFirstIndex[j])
                offer(columnBegin + j, columnSecond[j], columnSecondIndex[j])
            }
        }
    }

    /// Merges a candidate into class c's top two: larger values first, ties to the lower class.
    private func offer(_ c: Int, _ value: Float, _ index: Int) {
        func precedes(_ v: Float, _ i: Int, _ other: (value: Float, index: Int)) -> Bool {
            other.index < 0 || v > other.value || (v == other.value && i < other.index)
        }
        guard index >= 0, !value.isNaN else { return }
        if precedes(value, index, first[c]) {
            second[c] = first[c]
            first[c] = (value, index)
        } else if precedes(value, index, second[c]) {
            second[c] = (value, index)
        }
    }
}

/// Hands out task numbers 0, 1, 2, … to workers.
private final class TaskCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    func take(below count: Int) -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }
}

/// The whitened starts of the asked-for block rows, filled by the workers.
private final class LockedStarts: @unchecked Sendable {
    private let lock = NSLock()
    private var starts: [Int: [Float]] = [:]

    func set(_ block: Int, _ rows: [Float]) { lock.withLock { starts[block] = rows } }
    var value: [Int: [Float]] { lock.withLock { starts } }
}
