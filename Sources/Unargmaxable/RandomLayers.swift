import Foundation

/// Reproducible random softmax layers for experiments and tests.
///
/// The generator is specified here (xoshiro256** seeded by SplitMix64, normals by Box–Muller in
/// Double precision), not borrowed from the platform, so a seed means the same layer on every
/// machine and every Swift version — results in papers stay reproducible.
public struct SeededRandomNumberGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose whole stream is determined by `seed` (expanded by SplitMix64).
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnitInterval() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal by Box–Muller (one value per call; simple and reproducible beats fast here).
    public mutating func nextStandardNormal() -> Double {
        let u1 = 1 - nextUnitInterval()  // (0, 1]: log is finite
        let u2 = nextUnitInterval()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// Distributions for random layers, as in the paper's experiments.
public enum WeightDistribution: String, Sendable, CaseIterable {
    /// N(0, 1) entries.
    case normal
    /// U(−1, 1) entries.
    case uniform
}

/// A random layer's raw arrays: weights C×d row-major, optional bias of length C.
public struct RandomLayerArrays: Sendable {
    /// The number of classes |C|.
    public let classes: Int
    /// The input dimension d.
    public let dimension: Int
    /// The weights, |C| × d, row-major.
    public let weights: [Float]
    /// The bias (|C| values), or nil for a layer without one.
    public let bias: [Float]?

    /// Weights first (row by row), then the bias, all from one stream: a layer is a pure function of
    /// (classes, dimension, bias, distribution, seed).
    public init(classes: Int, dimension: Int, bias: Bool, distribution: WeightDistribution, seed: UInt64) {
        precondition(classes >= 1 && dimension >= 1, "a layer needs at least one class and one feature")
        var generator = SeededRandomNumberGenerator(seed: seed)
        func draw() -> Float {
            switch distribution {
            case .normal: return Float(generator.nextStandardNormal())
            case .uniform: return Float(2 * generator.nextUnitInterval() - 1)
            }
        }
        self.classes = classes
        self.dimension = dimension
        self.weights = (0..<(classes * dimension)).map { _ in draw() }
        self.bias = bias ? (0..<classes).map { _ in draw() } : nil
    }
}
