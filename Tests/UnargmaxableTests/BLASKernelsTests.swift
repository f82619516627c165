import CBLAS
import Testing

@testable import Unargmaxable

@Suite("BLAS kernels")
struct BLASKernelsTests {
    @Test("OpenBLAS loads and runs kernels for this CPU, never a generic fallback on an AVX2/AVX-512 CPU")
    func notGeneric() {
        #expect(BLASKernels.loadError == nil)
        let core = BLASKernels.core
        if let best = BLASKernels.bestForCPU {
            #expect(!BLASKernels.genericCores.contains(core), "\(core) on a CPU that supports \(best)")
            if BLASKernels.source == "chosen for this CPU" { #expect(core == best) }
        }
    }

    @Test("sgemm and dgemm agree with a double-precision reference on odd shapes")
    func products() {
        var state: UInt64 = 7
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        for (m, n, k) in [(1, 1, 1), (7, 13, 5), (33, 65, 17), (130, 257, 129)] {
            let a = (0..<(m * k)).map { _ in next() }, b = (0..<(n * k)).map { _ in next() }
            var c = [Float](repeating: 0, count: m * n), d = [Double](repeating: 0, count: m * n)
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k), 0,
                &c, Int32(n))
            let ad = a.map(Double.init), bd = b.map(Double.init)
            cblas_dgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, ad, Int32(k), bd, Int32(k),
                0, &d, Int32(n))
            for i in 0..<m {
                for j in 0..<n {
                    var exact = 0.0, magnitude = 0.0
                    for p in 0..<k {
                        exact += ad[i * k + p] * bd[j * k + p]
                        magnitude += abs(ad[i * k + p] * bd[j * k + p])
                    }
                    // Float32 accumulation: |error| ≤ k·u·Σ|a·b| with u = 2⁻²⁴ (a loose, safe bound).
                    #expect(abs(Double(c[i * n + j]) - exact) <= Double(k + 1) * 0x1p-24 * magnitude + 1e-30)
                    #expect(abs(d[i * n + j] - exact) <= Double(k + 1) * 0x1p-53 * magnitude + 1e-300)
                }
            }
        }
    }
}
