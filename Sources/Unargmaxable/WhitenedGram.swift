import CBLAS
import Foundation

/// Whitened starts as a Gram matrix, so anisotropic layers get the symmetric first step too, at no
/// memory cost.
///
/// With A = s Σ⁻¹ (symmetric, Float32; s a global scale) and centred rows w̃_k = fl(w_k − μ̂),
/// the start of class o is its own row of P = fl(W̃ A): x̂_o = p̂_o = fl(A w̃_o).
/// At x̂_o the logits are w_k · p̂_o + b_k = w̃_k · p̂_o + μ̂ · p̂_o − ε_k · p̂_o + b_k
/// (ε_k the rounding of w̃_k), and μ̂ · p̂_o is the same for every k: it cancels in every margin.
/// Since A is symmetric, w̃_k · A w̃_o is symmetric in (k, o): the product of block rows
/// P_I W̃_J^T gives I's classes their logits along its rows and J's classes theirs down its
/// columns. With e_i = p̂_i − A w̃_i (‖e_i‖ ≤ γ_d ‖A‖_F ‖w̃_i‖), a scanned logit
/// fl(fl(p̂_o · w̃_k) + b_k) or fl(fl(p̂_k · w̃_o) + b_k) differs from
/// w̃_k · p̂_o + b_k − ε_k · p̂_o by at most
///
///     E_ko = γ_{d+1} (‖p̂_o‖ ‖w̃_k‖ + ‖p̂_k‖ ‖w̃_o‖ + |b_k|)
///            + 2 γ_d ‖A‖_F ‖w̃_k‖ ‖w̃_o‖ + 2u ‖w̃_k‖ ‖p̂_o‖ + η
///
/// (u = 2⁻²⁴, η for underflow): a sum of products of a k-quantity and an o-quantity, so an
/// owner's widest bound is one sum of maxima (with ‖p̂_k‖ ≤ (1 + γ_d) ‖A‖_F ‖w̃_k‖), as in
/// `Float32LogitErrors`.
struct WhitenedGramFactors: @unchecked Sendable {
    let dimension: Int
    /// A (d × d, row-major, exactly symmetric) and μ̂.
    let matrix: [Float]
    let mean: [Float]
    /// ‖A‖_F, the largest ‖w̃_k‖ and |b_k|, all rounded up.
    let frobenius: Double
    /// ‖w̃_k‖ of every class, rounded up.
    let centredNorms: [Double]
    let maxCentredNorm: Double
    let maxAbsBias: Double
    let gammaSum: Double
    let gammaProduct: Double
    let underflow: Double

    /// From Σ⁻¹ (d × d, Double, symmetric) and the rows' moments; nil when a product might overflow.
    init?(layer: SoftmaxLayer, inverseCovariance: [Double], moments: RowMoments) {
        let C = layer.classes, d = layer.dimension
        var trace = 0.0
        for a in 0..<d { trace += inverseCovariance[a * d + a] }
        let meanFloat = moments.mean.map(Float.init), meanSquaredNorm = moments.meanSquaredNorm
        // ‖w̃_k‖ for the error bounds, with w̃ = fl(w − μ̂) exactly as `centre` forms it.
        let centredNorms = layer.weights.withUnsafeBufferPointer { w in
            (0..<C).map { k in
                var squared = 0.0
                for j in 0..<d {
                    let v = Double(w[k * d + j] - meanFloat[j])
                    squared += v * v
                }
                return squared.squareRoot() * (1 + 1e-12)
            }
        }
        guard trace > 0, meanSquaredNorm > 0 else { return nil }
        // s makes ‖x_o‖ about ‖w_o‖ on average: E‖Σ⁻¹(w − μ)‖² = trace Σ⁻¹.
        let scale = (meanSquaredNorm / trace).squareRoot()
        var matrix = [Float](repeating: 0, count: d * d)
        var frobenius = 0.0
        for a in 0..<d {
            for b in a..<d {
                let value = Float(scale * inverseCovariance[a * d + b])
                matrix[a * d + b] = value
                matrix[b * d + a] = value
                frobenius += Double(value) * Double(value) * (a == b ? 1 : 2)
            }
        }
        self.frobenius = frobenius.squareRoot() * (1 + 1e-12)
        self.centredNorms = centredNorms
        maxCentredNorm = centredNorms.max() ?? 0
        maxAbsBias = layer.bias.map { $0.map { abs(Double($0)) }.max() ?? 0 } ?? 0
        let huge = Double(Float.greatestFiniteMagnitude) / 16
        guard matrix.allSatisfy(\.isFinite), self.frobenius.isFinite,
            self.frobenius * maxCentredNorm * maxCentredNorm * 4 + maxAbsBias < huge
        else { return nil }
        dimension = d
        self.matrix = matrix
        self.mean = meanFloat
        gammaSum = RigorousBounds.gamma(d + 1, unitRoundoff: 0x1p-24) * 1.01
        gammaProduct = RigorousBounds.gamma(d, unitRoundoff: 0x1p-24) * 1.01
        // Flushed or gradual underflow adds at most 2⁻¹²⁶ per operation: in each of d entries of p̂
        // (2d operations each), in the Gram product and the bias (2d + 2), in ε; weighted by the
        // vectors they meet. Far below any margin, but bounded all the same.
        let largest = 1 + maxCentredNorm + self.frobenius * maxCentredNorm
        underflow = 0x1p-126 * Double(4 * d + 4) * Double(d + 1) * largest * largest * 1.01
    }

    /// w̃ = fl(w − μ̂) for `count` consecutive classes from `first`, row-major, into `out`.
    func centre(_ layer: SoftmaxLayer, first: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let d = dimension
        layer.weights.withUnsafeBufferPointer { w in
            for r in 0..<count {
                for k in 0..<d { out[r * d + k] = w[(first + r) * d + k] - mean[k] }
            }
        }
    }

    /// P = fl(W̃ A) for `count` centred rows, by one single-threaded sgemm (the caller runs it inside
    /// `FixedPartitionGEMM`, so the bits depend on the block alone).
    func products(of centred: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        let d = dimension
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(d), Int32(d), 1, centred, Int32(d),
            matrix, Int32(d), 0, out, Int32(d))
    }

    /// E_oo and max_k E_ko for owner o, from ‖w̃_o‖, ‖p̂_o‖ and |b_o|; nil when a partial sum might
    /// overflow (then the computed logits prove nothing).
    func ownerBounds(centredNorm n: Double, productNorm q: Double, absBias: Double) -> (own: Double, widest: Double)? {
        let maxProductNorm = (1 + gammaProduct) * frobenius * maxCentredNorm * (1 + 1e-12)
        guard n.isFinite, q.isFinite,
            (maxProductNorm * n + q * maxCentredNorm + maxAbsBias) * 2
                < Double(Float.greatestFiniteMagnitude) / 4
        else { return nil }
        let perCentredNorm = gammaSum * q + 2 * gammaProduct * frobenius * n + 0x1p-23 * q
        let perProductNorm = gammaSum * n
        let own = n * perCentredNorm + q * perProductNorm + gammaSum * absBias + underflow
        let widest =
            maxCentredNorm * perCentredNorm + maxProductNorm * perProductNorm + gammaSum * maxAbsBias
            + underflow
        return (own, widest)
    }
}
