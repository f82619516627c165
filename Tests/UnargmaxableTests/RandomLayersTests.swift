import Testing
@testable import Unargmaxable

@Suite("Random layers")
struct RandomLayersTests {
    @Test("a seed always gives the same layer; different seeds differ")
    func reproducible() {
        let a = RandomLayerArrays(classes: 50, dimension: 8, bias: true, distribution: .normal, seed: 3)
        let b = RandomLayerArrays(classes: 50, dimension: 8, bias: true, distribution: .normal, seed: 3)
        let c = RandomLayerArrays(classes: 50, dimension: 8, bias: true, distribution: .normal, seed: 4)
        #expect(a.weights == b.weights && a.bias == b.bias)
        #expect(a.weights != c.weights)
        #expect(a.bias?.count == 50 && a.weights.count == 400)
        #expect(RandomLayerArrays(classes: 5, dimension: 2, bias: false, distribution: .uniform, seed: 1).bias == nil)
    }

    @Test("xoshiro256** from SplitMix64 matches its reference outputs")
    func referenceStream() {
        // Values from an independent Python transcription of the published algorithms (seed 0).
        var generator = SeededRandomNumberGenerator(seed: 0)
        let first = (0..<3).map { _ in generator.next() }
        #expect(first == [11_091_344_671_253_066_420, 13_793_997_310_169_335_082, 1_900_383_378_846_508_768])
    }

    @Test("moments: N(0,1) has mean ≈ 0 and variance ≈ 1; U(−1,1) stays in range with variance ≈ 1/3")
    func moments() {
        let normal = RandomLayerArrays(classes: 20000, dimension: 10, bias: false, distribution: .normal, seed: 11)
            .weights.map(Double.init)
        let mean = normal.reduce(0, +) / Double(normal.count)
        let variance = normal.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(normal.count)
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.02)
        let uniform = RandomLayerArrays(classes: 20000, dimension: 10, bias: false, distribution: .uniform, seed: 11)
            .weights.map(Double.init)
        #expect(uniform.allSatisfy { $0 >= -1 && $0 < 1 })
        let uMean = uniform.reduce(0, +) / Double(uniform.count)
        let uVariance = uniform.map { ($0 - uMean) * ($0 - uMean) }.reduce(0, +) / Double(uniform.count)
        #expect(abs(uMean) < 0.01 && abs(uVariance - 1.0 / 3) < 0.01)
    }
}
