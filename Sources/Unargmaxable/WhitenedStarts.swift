import BLASRuntime
import CBLAS

/// First braid-reflect inputs for anisotropic layers: x_c = Σ⁻¹(w_c − μ), μ the mean row and Σ the
/// rows' covariance, instead of the paper's x = w_c.
///
/// Why: real embedding matrices share a direction (most rows point the same way), so at x = w_c the
/// shared direction decides and a few long rows win almost everywhere — on a real 49152 × 576 head
/// x = w_c wins for ~10 % of the classes, x = Σ⁻¹(w_c − μ) for ~99.9 %. Whitening removes the shared
/// direction and the correlations, so each class's own direction counts. Only the starting point
/// changes; every witness is still certified from the logits actually computed.
///
/// Starts are computed in blocks of consecutive classes by one GEMM each, on demand, so the extra
/// memory is one block, not another copy of the weights.
struct WhitenedStarts {
    let layer: SoftmaxLayer
    let mean: [Float]
    /// Σ⁻¹ (symmetric, d × d).
    let inverse: [Float]
    let threads: Int
    /// The same starts up to scale, for the symmetric first step (see `WhitenedGramFactors`).
    let gramFactors: WhitenedGramFactors?
    private let blockSize = 2048
    private var blockStart = -1
    private var block: [Float] = []

    /// Nil when the layer is not anisotropic enough for whitening to pay (the mean row's squared
    /// norm is below 5 % of the rows' mean squared norm: random layers), has fewer classes than
    /// features, or the covariance cannot be factorised.
    /// With `withGram`, also the factors of the symmetric first step (`gramFactors`).
    init?(layer: SoftmaxLayer, threads: Int, withGram: Bool = false) {
        let C = layer.classes, d = layer.dimension
        guard C > d, d >= 2 else { return nil }
        let rowMoments = RowMoments(layer)
        guard rowMoments.sharesDirection else { return nil }
        let mean = rowMoments.mean
        // Σ from centred rows, block by block (float32 GEMMs accumulating into one d × d matrix):
        // centring first matters, since E[wwᵀ] − μμᵀ cancels catastrophically when the mean is large.
        // Two fixed lanes (blocks alternate between them), each one single-threaded GEMM per block,
        // summed in order: the same bits whatever the thread count (see `FixedPartitionGEMM`).
        let rowsPerBlock = max(1, min(C, (32 << 20) / (4 * d)))
        let blocks = (C + rowsPerBlock - 1) / rowsPerBlock
        let lanes = 2
        var laneMoments = [[Float]](repeating: [], count: lanes)
        laneMoments.withUnsafeMutableBufferPointer { laneBuffer in
            layer.weights.withUnsafeBufferPointer { w in
                nonisolated(unsafe) let (out, w) = (laneBuffer, w)
                let mean = mean
                FixedPartitionGEMM.forEachGroup(rows: lanes, group: 1, threads: threads) { lane, _ in
                    var moments = [Float](repeating: 0, count: d * d)
                    var centred = [Float](repeating: 0, count: rowsPerBlock * d)
                    for block in stride(from: lane, to: blocks, by: lanes) {
                        let first = block * rowsPerBlock, rows = min(rowsPerBlock, C - first)
                        for r in 0..<rows {
                            for j in 0..<d { centred[r * d + j] = Float(Double(w[(first + r) * d + j]) - mean[j]) }
                        }
                        cblas_sgemm(
                            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(d), Int32(d), Int32(rows), 1, centred,
                            Int32(d), centred, Int32(d), 1, &moments, Int32(d))
                    }
                    out[lane] = moments
                }
            }
        }
        var moments = laneMoments[0]
        for lane in 1..<lanes {
            for k in 0..<(d * d) { moments[k] += laneMoments[lane][k] }
        }
        var covariance = [Double](repeating: 0, count: d * d)
        var trace = 0.0
        for a in 0..<d {
            for b in 0..<d { covariance[a * d + b] = Double(moments[a * d + b]) / Double(C) }
            trace += covariance[a * d + a]
        }
        // A small ridge keeps rank-deficient layers (duplicates, C barely above d) factorisable.
        for a in 0..<d { covariance[a * d + a] += 1e-6 * trace / Double(d) + 1e-30 }
        guard unargmax_dpotrf(UInt8(ascii: "L").toCChar, Int32(d), &covariance, Int32(d)) == 0,
            unargmax_dpotri(UInt8(ascii: "L").toCChar, Int32(d), &covariance, Int32(d)) == 0
        else { return nil }
        // dpotri fills one triangle: column-major 'L' (row ≥ column) is row-major element
        // [column][row], the row-major upper triangle. Mirror it.
        var inverse = [Float](repeating: 0, count: d * d)
        for a in 0..<d {
            for b in a..<d {
                let value = covariance[a * d + b].isFinite ? covariance[a * d + b] : 0
                covariance[a * d + b] = value
                covariance[b * d + a] = value
                inverse[a * d + b] = Float(value)
                inverse[b * d + a] = Float(value)
            }
        }
        guard inverse.allSatisfy(\.isFinite) else { return nil }
        gramFactors =
            withGram ? WhitenedGramFactors(layer: layer, inverseCovariance: covariance, moments: rowMoments) : nil
        self.layer = layer
        self.threads = threads
        self.mean = mean.map(Float.init)
        self.inverse = inverse
    }

    /// The start of class c, scaled to the length of w_c (so a bias keeps its weight).
    mutating func start(for c: Int) -> [Float] {
        let d = layer.dimension
        if blockStart < 0 || c < blockStart || c >= blockStart + blockSize { compute(blockFrom: c) }
        var x = Array(block[((c - blockStart) * d)..<((c - blockStart + 1) * d)])
        let row = layer.weights.row(c)
        let target = row.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        let length = x.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        guard length > 0, length.isFinite else { return row }
        let scale = Float(target / length)
        for j in 0..<d { x[j] *= scale }
        return x
    }

    private mutating func compute(blockFrom first: Int) {
        let d = layer.dimension, rows = min(blockSize, layer.classes - first)
        var centred = [Float](repeating: 0, count: rows * d)
        layer.weights.withUnsafeBufferPointer { w in
            for r in 0..<rows {
                for j in 0..<d { centred[r * d + j] = w[(first + r) * d + j] - mean[j] }
            }
        }
        block = [Float](repeating: 0, count: rows * d)
        block.withUnsafeMutableBufferPointer { out in
            centred.withUnsafeBufferPointer { x in
                inverse.withUnsafeBufferPointer { a in
                    nonisolated(unsafe) let (out, x, a) = (out, x, a)
                    FixedPartitionGEMM.forEachGroup(rows: rows, group: 1024, threads: threads) { first, count in
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(d), Int32(d), 1,
                            x.baseAddress! + first * d, Int32(d), a.baseAddress, Int32(d), 0,
                            out.baseAddress! + first * d, Int32(d))
                    }
                }
            }
        }
        blockStart = first
    }
}

extension UInt8 {
    fileprivate var toCChar: CChar { CChar(bitPattern: self) }
}
