import Foundation
import Testing

@testable import Unargmaxable

@Suite("Whitened starts")
struct WhitenedStartsTests {
    /// Rows = a shared direction + correlated noise, like real embeddings.
    static func anisotropicLayer(classes: Int, dimension d: Int) throws -> SoftmaxLayer {
        var state: UInt64 = 42
        func normal() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let u1 = Double((state >> 11) | 1) / Double(1 << 53)
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let u2 = Double(state >> 11) / Double(1 << 53)
            return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
        }
        var weights = [Float](repeating: 0, count: classes * d)
        for i in 0..<classes {
            for j in 0..<d { weights[i * d + j] = (j == 0 ? 12 : 0) + normal() * (j < d / 2 ? 1 : 0.2) }
        }
        return try SoftmaxLayer(weights: weights, classes: classes, dimension: d)
    }

    /// The fraction of classes that are the argmax at their own start.
    static func winners(_ layer: SoftmaxLayer, start: (Int) -> [Float]) -> Double {
        var wins = 0
        for c in 0..<layer.classes {
            let x = start(c)
            let logits = (0..<layer.classes).map { i in
                zip(layer.weights.row(i), x).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            }
            if logits.indices.max(by: { logits[$0] < logits[$1] }) == c { wins += 1 }
        }
        return Double(wins) / Double(layer.classes)
    }

    @Test("on an anisotropic layer the whitened start wins far more often than x = w_c")
    func anisotropic() throws {
        let layer = try Self.anisotropicLayer(classes: 600, dimension: 64)
        guard var starts = WhitenedStarts(layer: layer, threads: 2) else {
            Issue.record("whitening not used on an anisotropic layer")
            return
        }
        let paper = Self.winners(layer) { layer.weights.row($0) }
        let whitened = Self.winners(layer) { starts.start(for: $0) }
        #expect(whitened > 0.9 && whitened > paper + 0.2, "whitened \(whitened), x = w_c \(paper)")
    }

    @Test("isotropic random layers keep the paper's start")
    func isotropic() throws {
        let arrays = RandomLayerArrays(classes: 500, dimension: 8, bias: false, distribution: .normal, seed: 3)
        let layer = try SoftmaxLayer(weights: arrays.weights, classes: 500, dimension: 8)
        #expect(WhitenedStarts(layer: layer, threads: 2) == nil)
    }
}
