import BLASRuntime
import CBLAS
import Foundation

/// Whitened starts as a Gram matrix, so anisotropic layers get the symmetric first step too.
///
/// With R R^T = s Σ⁻¹ (R the Cholesky factor, s a global scale), the whitened start of class c is
/// x_c = R (u_c − m), u_c = R^T w_c, m = R^T μ, and its logits are w_j · x_c + b_j = u_j · u_c + β_j with
/// β_j = b_j − u_j · m: the Gram matrix of the rows u_j, plus a bias by column. In Float32 the rows
/// are û_j = fl(R^T w_j), the witness is x̂_c = fl(R fl(û_c − m̂)), and the scanned logit ŷ_jc =
/// fl(fl(û_j · û_c) + β̂_j) differs from the true logit at the witness, w_j · x̂_c + b_j, by at most
///
///     E_jc = ‖û_j‖ (γ_{d+1} ‖û_c‖ + 2u ‖v̂_c‖) + ‖w_j‖ · 2 γ_d ‖R‖_F ‖v̂_c‖
///            + γ_{d+1} |β̂_j| + δβ_j + η_c
///
/// (v̂_c = fl(û_c − m̂), u = 2⁻²⁴): the rounding of the Gram product, of the subtraction,
/// of û_j (|R^T w_j − û_j| ≤ γ_d |R|^T |w_j|, and ‖|R|‖₂ ≤ ‖R‖_F),
/// of the witness (|x̂_c − R v̂_c| ≤ γ_d |R| |v̂_c|), of β̂_j (δβ_j) and underflow (η_c).
/// Every term is a product of a class's and an owner's quantity, so the widest
/// bound of an owner is one sum of maxima, as in `Float32LogitErrors`.
struct WhitenedGramFactors: @unchecked Sendable {
    let dimension: Int
    /// R (d × d, row-major, lower triangular), m̂ = fl(R^T μ), the rows û_j (C × d) and β̂_j.
    let factor: [Float]
    let shift: [Float]
    let rows: [Float]
    let columnBias: [Float]
    /// ‖û_j‖ and the part of E_jc that depends on j alone (γ_{d+1} |β̂_j| + δβ_j), with their maxima.
    let rowNorms: [Double]
    let biasErrors: [Double]
    let maxRowNorm: Double
    let maxBiasError: Double
    let maxRowL1: Double
    let factorFrobenius: Double
    let weightErrors: Float32LogitErrors
    let gammaSum: Double
    let gammaProduct: Double

    /// The rows take C × d more Float32s: skipped (nil) beyond this, as for an LLM's 128256 × 4096 head.
    static let memoryBudget = 1 << 30

    /// From Σ⁻¹ (d × d, Double, symmetric) and the layer's mean row; nil when the factors would not
    /// fit the memory budget or R cannot be formed.
    init?(layer: SoftmaxLayer, inverseCovariance: [Double], mean: [Double], errors: Float32LogitErrors, threads: Int) {
        let C = layer.classes, d = layer.dimension
        guard C * d * 4 <= Self.memoryBudget else { return nil }
        // s makes ‖x_c‖ about ‖w_c‖ on average: E‖Σ⁻¹(w − μ)‖² = trace Σ⁻¹.
        var trace = 0.0
        for a in 0..<d { trace += inverseCovariance[a * d + a] }
        let meanSquaredNorm = errors.norms.reduce(0) { $0 + $1 * $1 } / Double(C)
        guard trace > 0, meanSquaredNorm > 0 else { return nil }
        let scale = (meanSquaredNorm / trace).squareRoot()
        var cholesky = inverseCovariance
        guard unargmax_dpotrf(CChar(bitPattern: UInt8(ascii: "L")), Int32(d), &cholesky, Int32(d)) == 0 else {
            return nil
        }
        // Column-major lower L is the row-major upper triangle, transposed: R[i][j] = L(i, j) for i ≥ j.
        var factor = [Float](repeating: 0, count: d * d)
        var frobenius = 0.0
        for i in 0..<d {
            for j in 0...i {
                let value = Float(cholesky[i + j * d] * scale.squareRoot())
                factor[i * d + j] = value
                frobenius += Double(value) * Double(value)
            }
        }
        guard factor.allSatisfy(\.isFinite) else { return nil }
        factorFrobenius = frobenius.squareRoot() * (1 + 1e-12)
        guard factorFrobenius * (errors.maxNorm + 1) < Double(Float.greatestFiniteMagnitude) / 4 else { return nil }
        // m̂ = fl(R^T μ): any vector would do (it only moves the start), so Double then rounded.
        var shift = [Float](repeating: 0, count: d)
        for k in 0..<d {
            var s = 0.0
            for l in k..<d { s += Double(factor[l * d + k]) * mean[l] }
            shift[k] = Float(s)
        }
        // û = fl(W R), row groups fixed by C (bit-identical for any thread count).
        var rows = LogitStorage.uninitialised(C * d)
        rows.withUnsafeMutableBufferPointer { out in
            layer.weights.withUnsafeBufferPointer { w in
                factor.withUnsafeBufferPointer { r in
                    nonisolated(unsafe) let (out, w, r) = (out, w, r)
                    FixedPartitionGEMM.forEachGroup(rows: C, group: 1024, threads: threads) { first, count in
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(d), Int32(d), 1,
                            w.baseAddress! + first * d, Int32(d), r.baseAddress, Int32(d), 0,
                            out.baseAddress! + first * d, Int32(d))
                    }
                }
            }
        }
        let gammaSum = errors.gamma  // γ_{d+1} for u = 2⁻²⁴, with its 1 % margin
        let doubleGamma = RigorousBounds.gamma(d + 2) * 1.01
        let shiftNorm = shift.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() * (1 + 1e-12)
        var rowNorms = [Double](repeating: 0, count: C), biasErrors = rowNorms
        var columnBias = [Float](repeating: 0, count: C)
        var maxRowL1 = 0.0
        for j in 0..<C {
            var squared = 0.0, l1 = 0.0, product = 0.0
            for k in 0..<d {
                let v = Double(rows[j * d + k])
                squared += v * v
                l1 += abs(v)
                product += v * Double(shift[k])
            }
            guard squared.isFinite else { return nil }
            rowNorms[j] = squared.squareRoot() * (1 + 1e-12)
            maxRowL1 = max(maxRowL1, l1 * (1 + 1e-12))
            let b = Double(layer.bias?[j] ?? 0)
            let beta = Float(b - product)
            columnBias[j] = beta
            // Rounding β to Float32 (2⁻²³|β̂| covers it), the Double evaluation of û_j · m̂ and b − it.
            biasErrors[j] =
                gammaSum * abs(Double(beta)) + 0x1p-23 * abs(Double(beta))
                + doubleGamma * (rowNorms[j] * shiftNorm + abs(b)) + 0x1p-1000
        }
        self.dimension = d
        self.factor = factor
        self.shift = shift
        self.rows = rows
        self.columnBias = columnBias
        self.rowNorms = rowNorms
        self.biasErrors = biasErrors
        maxRowNorm = rowNorms.max() ?? 0
        maxBiasError = biasErrors.max() ?? 0
        self.maxRowL1 = maxRowL1
        weightErrors = errors
        self.gammaSum = gammaSum
        gammaProduct = RigorousBounds.gamma(d, unitRoundoff: 0x1p-24) * 1.01
    }

    /// v̂_c = fl(û_c − m̂), the vector the witness is R times.
    func difference(_ c: Int) -> [Float] {
        let d = dimension
        return (0..<d).map { rows[c * d + $0] - shift[$0] }
    }

    /// E_cc and max_j E_jc for owner c, or nil when a partial sum of the Gram product or of the witness
    /// might overflow (then the computed logits prove nothing).
    func ownerBounds(_ c: Int) -> (own: Double, widest: Double)? {
        let d = dimension
        var squared = 0.0, l1 = 0.0
        for v in difference(c) {
            squared += Double(v) * Double(v)
            l1 += abs(Double(v))
        }
        let differenceNorm = squared.squareRoot() * (1 + 1e-12)
        let rowNorm = rowNorms[c]
        let huge = Double(Float.greatestFiniteMagnitude) / 4
        guard differenceNorm.isFinite, (maxRowNorm * rowNorm + maxBiasError) * 2 < huge,
            factorFrobenius * differenceNorm < huge
        else { return nil }
        let perRowNorm = gammaSum * rowNorm + 0x1p-23 * differenceNorm
        let perWeightNorm = 2 * gammaProduct * factorFrobenius * differenceNorm
        let maxAbsWeight = weightErrors.maxNorm
        let underflow =
            0x1p-126 * Double(4 * d + 4) * Double(d + 1) * (1 + maxAbsWeight + l1 + maxRowL1) * (1 + factorFrobenius)
        let own = rowNorm * perRowNorm + weightErrors.norms[c] * perWeightNorm + biasErrors[c] + underflow
        let widest = maxRowNorm * perRowNorm + weightErrors.maxNorm * perWeightNorm + maxBiasError + underflow
        return (own, widest)
    }

    /// The witnesses x̂_c = fl(R v̂_c) of `count` consecutive classes from `first`, row-major, by one
    /// single-threaded sgemm (the caller fixes the groups, so the bits do not depend on the threads).
    func witnesses(first: Int, count: Int) -> [Float] {
        let d = dimension
        var differences = [Float](repeating: 0, count: count * d)
        for r in 0..<count {
            for k in 0..<d { differences[r * d + k] = rows[(first + r) * d + k] - shift[k] }
        }
        var out = [Float](repeating: 0, count: count * d)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(d), Int32(d), 1, differences, Int32(d),
            factor, Int32(d), 0, &out, Int32(d))
        return out
    }
}
