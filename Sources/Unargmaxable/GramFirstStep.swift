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
/// Anisotropic layers start from whitened inputs instead, which are a Gram matrix too once the
/// whitening is factored (`WhitenedGramFactors`): then the rows multiplied are û_j, not w_j.
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
    /// The whitened rows and their error model, or nil for the rows of W (starts x = w_c).
    let whitened: WhitenedGramFactors?
    private let blockCount: Int
    private let lock = NSLock()
    /// Whether block pair (I, J), I ≤ J, has been multiplied and merged (row-major, blockCount²).
    private var multiplied: [Bool]
    /// Each class's top two logits at its own w_c so far, and its own logit.
    private var first: [(value: Float, index: Int)]
    private var second: [(value: Float, index: Int)]
    private var own: [Float]

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

    /// The classes of `classes` that lead at their own start by a certified margin, with the start
    /// inside `domain`. Multiplies the block pairs of their Gram rows that no earlier call multiplied.
    func certifiedStarts(for classes: [Int], threads: Int, domain: InputDomain) -> [Int: Start] {
        multiplyRows(of: Set(classes.map { $0 / Self.blockSize }), threads: threads)
        var margins: [Int: (lower: Double, runnerUp: Int)] = [:]
        lock.withLock {
            for c in classes {
                if let margin = certify(c) { margins[c] = margin }
            }
        }
        // Whitened witnesses by one single-threaded product per whole block (in parallel), so their bits
        // depend neither on the threads nor on which classes of the block were asked for.
        let blocks = Dictionary(grouping: margins.keys, by: { $0 / Self.blockSize }).sorted { $0.key < $1.key }
        var witnessBlocks = [[Float]](repeating: [], count: blocks.count)
        if let whitened {
            let (C, size) = (layer.classes, Self.blockSize)
            witnessBlocks.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                FixedPartitionGEMM.forEachGroup(rows: blocks.count, group: 1, threads: threads) { k, _ in
                    let first = blocks[k].key * size
                    out[k] = whitened.witnesses(first: first, count: min(size, C - first))
                }
            }
        }
        var starts: [Int: Start] = [:]
        let d = layer.dimension
        for (k, (block, members)) in blocks.enumerated() {
            let first = block * Self.blockSize
            for c in members {
                let witness =
                    whitened == nil
                    ? layer.weights.row(c) : Array(witnessBlocks[k][((c - first) * d)..<((c - first + 1) * d)])
                guard domain.contains(witness.map(Double.init)) else { continue }
                starts[c] = Start(witness: witness, lower: margins[c]!.lower, runnerUp: margins[c]!.runnerUp)
            }
        }
        return starts
    }

    /// `LogitScan`'s owner margin from the merged top two (its first, cheap test only), with the
    /// whitened error model when the rows are whitened.
    private func certify(_ c: Int) -> (lower: Double, runnerUp: Int)? {
        let d = layer.dimension
        let bounds: (own: Double, widest: Double)?
        if let whitened {
            bounds = whitened.ownerBounds(c)
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

    /// Multiplies and merges every pair (I, J), I ≤ J, with I or J in `rows` not done before.
    private func multiplyRows(of rows: Set<Int>, threads: Int) {
        var pairs: [(Int, Int)] = []
        lock.withLock {
            for I in rows.sorted() {
                for J in 0..<blockCount {
                    let pair = (min(I, J), max(I, J))
                    if !multiplied[pair.0 * blockCount + pair.1] {
                        multiplied[pair.0 * blockCount + pair.1] = true
                        pairs.append(pair)
                    }
                }
            }
        }
        guard !pairs.isEmpty else { return }
        let workers = max(1, min(threads, pairs.count))
        let tasks = pairs
        FixedPartitionGEMM.forEachGroup(rows: workers, group: 1, threads: threads) { worker, _ in
            var logits = LogitStorage.uninitialised(Self.blockSize * Self.blockSize)
            for k in stride(from: worker, to: tasks.count, by: workers) {
                self.multiply(tasks[k].0, tasks[k].1, into: &logits)
            }
        }
    }

    /// One block product W_I W_Jᵀ, scanned along its rows (I's classes) and, off the diagonal, down its
    /// columns (J's classes); the results merged under the lock.
    private func multiply(_ I: Int, _ J: Int, into logits: inout [Float]) {
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
        logits.withUnsafeMutableBufferPointer { y in
            withRows { w in
                (whitened?.columnBias ?? layer.bias ?? []).withUnsafeBufferPointer { b in
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(columns), Int32(d), 1,
                        w.baseAddress! + rowBegin * d, Int32(d), w.baseAddress! + columnBegin * d, Int32(d), 0,
                        y.baseAddress, Int32(columns))
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

    /// The rows whose Gram matrix gives the logits: û_j when whitened, else w_j.
    private func withRows<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        if let whitened { return whitened.rows.withUnsafeBufferPointer(body) }
        return layer.weights.withUnsafeBufferPointer(body)
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
