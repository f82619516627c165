import CBLAS
import Dispatch
import Foundation

/// The paper's approximate detector (braid reflect, Algorithm 2), batched: a block of candidate
/// inputs, one per class, advances together; each step computes all their logits with one
/// `cblas_sgemm`, and every row either certifies its class argmaxable or reflects its input across
/// the braid hyperplane of (c, argmax). Finished rows are replaced by new classes at once, so every
/// GEMM stays full; memory is one block of logits (never C × C).
///
/// Certification uses the GEMM's own float32 output: |ŷ_i − y_i| ≤ γ_{d+1}(‖w_i‖₂‖x‖₂ + |b_i|) for
/// any summation order, so min_{i≠c} (ŷ_c − e_c) − (ŷ_i + e_i) > 0 proves the witness.
struct BraidReflectSearch {
    struct Outcome: Sendable {
        var steps = 0
        /// A certified witness and its certified margin lower bound, when found.
        var witness: [Float]? = nil
        var lower = -Double.infinity
        /// The strongest competitor at the end (for a cheap upper bound / the LP's working set).
        var runnerUp = -1
        /// Classes that beat c during the search, then the top competitors of the last step.
        var competitors: [Int] = []
    }

    let layer: SoftmaxLayer
    let domain: InputDomain
    let patience: Int
    let threads: Int
    /// How many competitors to hand to the exact stage for a class the search could not clear.
    let competitorCount: Int

    func run(classes: [Int], progress: (Int) -> Void) -> [Outcome] {
        let C = layer.classes, d = layer.dimension
        let rowNorms = RowNorms(layer)
        // Block rows: keep the logits block near 256 MiB whatever C is.
        let blockRows = max(8, min(1024, (64 << 20) / max(C, 1), classes.count))
        let g32 = RigorousBounds.gamma(d + 1, unitRoundoff: 0x1p-24) * 1.01
        var outcomes = [Outcome](repeating: Outcome(), count: classes.count)
        var slotTask = [Int](repeating: -1, count: blockRows)  // position in `classes`
        var inputs = [Float](repeating: 0, count: blockRows * d)
        var seen = [Set<Int>](repeating: [], count: blockRows)
        var logits = [Float](repeating: 0, count: blockRows * C)
        var next = 0, finished = 0
        let bias = layer.bias ?? []

        func load(slot: Int) {
            guard next < classes.count else { slotTask[slot] = -1; return }
            let c = classes[next]
            slotTask[slot] = next
            next += 1
            seen[slot] = []
            var x = layer.weights.row(c)  // start at x = w_c
            domain.clip(&x)
            inputs.replaceSubrange((slot * d)..<((slot + 1) * d), with: x)
        }
        for slot in 0..<blockRows { load(slot: slot) }

        while slotTask.contains(where: { $0 >= 0 }) {
            let rows = blockRows
            // X Wᵀ; the bias is added during the scan (in float32, as sgemm with β = 1 would), which
            // saves writing a C-wide bias row into the block before every step.
            layer.weights.withUnsafeBufferPointer { w in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(C), Int32(d),
                            1, inputs, Int32(d), w.baseAddress, Int32(d), 0, &logits, Int32(C))
            }
            // Scan each row: argmax, strongest competitor, certified margin. Rows are independent.
            var scans = [RowScan](repeating: RowScan(), count: rows)
            let tasks = slotTask
            scans.withUnsafeMutableBufferPointer { scanBuffer in
                nonisolated(unsafe) let out = scanBuffer
                logits.withUnsafeBufferPointer { y in
                    inputs.withUnsafeBufferPointer { xs in
                        nonisolated(unsafe) let (y, xs) = (y, xs)
                        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, rows))) { worker in
                            for r in stride(from: worker, to: rows, by: max(1, min(threads, rows))) where tasks[r] >= 0 {
                                let c = classes[tasks[r]]
                                out[r] = RowScan(row: UnsafeBufferPointer(rebasing: y[(r * C)..<((r + 1) * C)]), bias: bias, class: c,
                                                 x: UnsafeBufferPointer(rebasing: xs[(r * d)..<((r + 1) * d)]), norms: rowNorms, gamma: g32)
                            }
                        }
                    }
                }
            }
            for r in 0..<rows where slotTask[r] >= 0 {
                let task = slotTask[r], c = classes[task]
                let scan = scans[r]
                outcomes[task].steps += 1
                outcomes[task].runnerUp = scan.runnerUp
                if scan.certifiedMargin > 0 {
                    outcomes[task].witness = Array(inputs[(r * d)..<((r + 1) * d)])
                    outcomes[task].lower = scan.certifiedMargin
                } else if scan.argmax != c && outcomes[task].steps <= patience,
                          reflect(slot: r, class: c, across: scan.argmax, inputs: &inputs) {
                    seen[r].insert(scan.argmax)
                    continue
                } else {
                    // Out of patience, or c leads without a certified margin, or c cannot beat a duplicate.
                    if scan.argmax != c { seen[r].insert(scan.argmax) }
                    let top = logits.withUnsafeBufferPointer { topCompetitors(UnsafeBufferPointer(rebasing: $0[(r * C)..<((r + 1) * C)]), bias: bias, excluding: c, count: competitorCount) }
                    outcomes[task].competitors = Array(seen[r]).sorted() + top.filter { !seen[r].contains($0) }
                }
                finished += 1
                load(slot: r)
            }
            progress(finished)
        }
        return outcomes
    }

    /// x ← x − 2 s/‖a‖² a with a = w_c − w_j, s = a·x + (b_c − b_j) < 0: the mirror image across the
    /// hyperplane where c and j tie, on c's side. Returns false if a = 0 (c duplicates j's weights).
    func reflect(slot r: Int, class c: Int, across j: Int, inputs: inout [Float]) -> Bool {
        let d = layer.dimension
        var a = [Double](repeating: 0, count: d)
        var s = layer.biasValue(c) - layer.biasValue(j), squared = 0.0
        layer.weights.withUnsafeBufferPointer { w in
            for k in 0..<d {
                a[k] = Double(w[c * d + k]) - Double(w[j * d + k])
                s += a[k] * Double(inputs[r * d + k])
                squared += a[k] * a[k]
            }
        }
        guard squared > 0 else { return false }
        let factor = 2 * s / squared
        var x = (0..<d).map { Float(Double(inputs[r * d + $0]) - factor * a[$0]) }
        domain.clip(&x)
        inputs.replaceSubrange((r * d)..<((r + 1) * d), with: x)
        return true
    }

    /// Indices of the `count` largest logits other than c, largest first.
    func topCompetitors(_ row: UnsafeBufferPointer<Float>, bias: [Float], excluding c: Int, count: Int) -> [Int] {
        guard count > 0 else { return [] }
        var best: [(Float, Int)] = []
        best.reserveCapacity(count + 1)
        for (i, dot) in row.enumerated() where i != c {
            let v = bias.isEmpty ? dot : dot + bias[i]
            if best.count == count, v <= best[count - 1].0 { continue }
            let position = best.firstIndex { v > $0.0 } ?? best.count
            best.insert((v, i), at: position)
            if best.count > count { best.removeLast() }
        }
        return best.map(\.1)
    }
}

/// ‖w_i‖₂ and |b_i| for every class, computed once.
struct RowNorms: @unchecked Sendable {
    let norms: [Double]
    let absBias: [Double]

    init(_ layer: SoftmaxLayer) {
        let d = layer.dimension
        norms = layer.weights.withUnsafeBufferPointer { w in
            (0..<layer.classes).map { i in
                var s = 0.0
                for k in 0..<d { s += Double(w[i * d + k]) * Double(w[i * d + k]) }
                return s.squareRoot() * (1 + 1e-12)  // round up the norm
            }
        }
        absBias = layer.bias.map { $0.map { abs(Double($0)) } } ?? Array(repeating: 0, count: layer.classes)
        maxNorm = norms.max() ?? 0
        maxAbsBias = absBias.max() ?? 0
    }

    let maxNorm: Double
    let maxAbsBias: Double
}

/// One logits row: the argmax, the strongest competitor of c, and c's certified margin at x.
///
/// One tight pass keeps the two largest logits; the margin is first certified with the largest
/// error bound of any class (enough almost always), and only when that is too loose and c leads is
/// a second pass made with each class's own bound.
struct RowScan {
    var argmax = -1
    var runnerUp = -1
    var certifiedMargin = -Double.infinity

    init() {}

    init(row y: UnsafeBufferPointer<Float>, bias: [Float], class c: Int, x: UnsafeBufferPointer<Float>, norms: RowNorms, gamma: Double) {
        let count = y.count
        guard count > 1 else { argmax = 0; certifiedMargin = .infinity; return }
        var xNorm = 0.0
        for v in x { xNorm += Double(v) * Double(v) }
        let scale = gamma * xNorm.squareRoot() * (1 + 1e-12)
        var first = (value: -Float.infinity, index: -1), second = (value: -Float.infinity, index: -1)
        bias.withUnsafeBufferPointer { b in
            let hasBias = !b.isEmpty
            for i in 0..<count {
                let v = hasBias ? y[i] + b[i] : y[i]
                guard v > second.value else { continue }
                if v > first.value { second = first; first = (v, i) } else { second = (v, i) }
            }
        }
        let own = bias.isEmpty ? y[c] : y[c] + bias[c]
        // Ties go to c for the search (no reflection), never for the proof.
        argmax = own == first.value ? c : first.index
        let competitor = first.index == c ? second : first
        if competitor.index == -1 {
            // Every other logit is NaN-free but not above −∞: only possible with infinite inputs.
            runnerUp = c == 0 ? 1 : 0
        } else {
            runnerUp = competitor.index
        }
        let ownLower = Double(own) - scale * norms.norms[c] - gamma * norms.absBias[c]
        let crudeUpper = Double(competitor.value) + scale * norms.maxNorm + gamma * norms.maxAbsBias
        var margin = ownLower - crudeUpper
        if margin <= 0 && argmax == c {
            var strongestUpper = -Double.infinity
            for i in 0..<count where i != c {
                let v = bias.isEmpty ? y[i] : y[i] + bias[i]
                strongestUpper = Swift.max(strongestUpper, Double(v) + scale * norms.norms[i] + gamma * norms.absBias[i])
            }
            margin = ownLower - strongestUpper
        }
        // The subtraction itself rounds: shave a relative 1e-15 off a positive result.
        certifiedMargin = margin > 0 ? margin * (1 - 1e-15) : margin
    }
}
