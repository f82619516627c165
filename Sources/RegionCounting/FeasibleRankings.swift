import ExactArithmetic
import Foundation

/// Exact counts of feasible rankings (regions) of a softmax layer with |C| classes and d features.
///
/// Both counts are partial sums of e_k = e_k(1, 2, …, C − 1) = c(C, C − k), the coefficients of
/// ∏_{i<C} (1 + i t):
///
///     with bias:     N_b(C, d) = Σ_{k=0}^{d} e_k                      bounded: |Σ_{k=0}^{d} (−1)^k e_k|
///     without bias:  N_0(C, d) = 2 Σ_{k ≤ d−1, k ≡ d−1 (mod 2)} e_k   (C ≥ 2; every region unbounded)
///
/// (Good & Tideman 1977; Cover 1967; the no-bias table is OEIS A071223.) Both obey
/// N(C, d) = N(C−1, d) + (C−1)·N(C−1, d−1): adding a class adds C − 1 braid hyperplanes.
public enum FeasibleRankings {
    /// How to compute a count. All methods give identical results; they differ in cost.
    public enum Method: String, Sendable, CaseIterable {
        /// Pick the fastest: closed form for small shapes, multi-modular power series for large ones.
        case automatic
        /// Partial sums of the exact coefficients of ∏(1 + i t) truncated at t^d: O(C·d) big-integer steps.
        case closedForm
        /// N(C, d) = N(C−1, d) + (C−1)·N(C−1, d−1) with each case's boundary values: O(C·d) steps.
        case recurrence
        /// Good & Tideman's N(d, d, C) and B(d, d, C) from full Stirling rows: O(C²) steps, small C only.
        case goodTideman
        /// Residues modulo word-size primes by power-series exp/log (FLINT), then CRT: Õ(d · bits).
        case multimodular
    }

    /// The exact count for (classes, dimension, bias).
    public static func count(classes: Int, dimension: Int, bias: Bool, method: Method = .automatic) -> RegionCount {
        precondition(classes >= 1, "a layer needs at least one class")
        precondition(dimension >= 0, "the dimension cannot be negative")
        let permutations = BigInt.factorial(classes)
        // Every ranking is feasible once d ≥ C − 1 (and trivially for one class).
        if classes == 1 || dimension >= classes - 1 {
            return RegionCount(
                classes: classes, dimension: dimension, hasBias: bias,
                regions: permutations, boundedRegions: 0, permutations: permutations)
        }
        let (regions, bounded): (BigInt, BigInt)
        switch resolved(method, classes: classes, dimension: dimension) {
        case .automatic: preconditionFailure("resolved above")
        case .closedForm: (regions, bounded) = closedForm(classes: classes, dimension: dimension, bias: bias)
        case .recurrence: (regions, bounded) = recurrence(classes: classes, dimension: dimension, bias: bias)
        case .goodTideman: (regions, bounded) = goodTideman(classes: classes, dimension: dimension, bias: bias)
        case .multimodular: (regions, bounded) = multimodular(classes: classes, dimension: dimension, bias: bias)
        }
        return RegionCount(
            classes: classes, dimension: dimension, hasBias: bias,
            regions: regions, boundedRegions: bounded, permutations: permutations)
    }

    /// Both cases of a shape — with a bias and without — from one computation: they are partial
    /// sums of the same e_k(1, …, C − 1), so the multi-modular method computes the series once per
    /// prime and recombines the three requested sums (regions with and without bias, bounded).
    public static func countBothCases(
        classes: Int, dimension: Int, method: Method = .automatic
    ) -> (bias: RegionCount, noBias: RegionCount) {
        precondition(classes >= 1 && dimension >= 0)
        guard classes > 1, dimension < classes - 1,
            resolved(method, classes: classes, dimension: dimension) == .multimodular
        else {
            return (
                count(classes: classes, dimension: dimension, bias: true, method: method),
                count(classes: classes, dimension: dimension, bias: false, method: method)
            )
        }
        let withBias = Targets(dimension: dimension, bias: true)
        let withoutBias = Targets(dimension: dimension, bias: false)
        let values = MultimodularSeries.partialSums(
            classes: classes, degree: dimension,
            weights: [withBias.regionWeights, withBias.boundedWeights!, withoutBias.regionWeights])
        let permutations = BigInt.factorial(classes)
        return (
            RegionCount(
                classes: classes, dimension: dimension, hasBias: true, regions: values[0],
                boundedRegions: values[1].magnitude, permutations: permutations),
            RegionCount(
                classes: classes, dimension: dimension, hasBias: false, regions: values[2], boundedRegions: 0,
                permutations: permutations)
        )
    }

    /// A rough count of the word operations the automatic method needs (primes × series length ×
    /// log), so front ends can refuse shapes that would run for days instead of hanging.
    public static func estimatedWork(classes: Int, dimension: Int) -> Double {
        let degree = min(dimension, classes - 1)
        guard degree >= 1 else { return Double(classes) }
        let primes = Double(MultimodularSeries.sumBitBound(classes: classes, degree: degree)) / 62 + 1
        let length = Double(degree + 1)
        return primes * length * max(1, log2(length)) + Double(classes) * log2(Double(classes))
    }

    /// The automatic choice: the exact O(C·d) product is fastest up to ~10⁵ big-integer steps
    /// (measured by `unargmax bench`); beyond that the multi-modular series wins by orders of magnitude.
    static func resolved(_ method: Method, classes: Int, dimension: Int) -> Method {
        guard method == .automatic else { return method }
        return classes * min(dimension, classes) <= 100_000 ? .closedForm : .multimodular
    }

    // MARK: - Partial sums of e_k

    /// The sums that make up a count, as signed ±1/0 weights on e_0 … e_D (D = min(d, C−1)).
    /// Keeping them as weights lets every method (exact or modular) evaluate the same definition.
    struct Targets {
        let regionWeights: [Int]
        let boundedWeights: [Int]?  // nil: no bounded regions (no bias)

        init(dimension d: Int, bias: Bool) {
            if bias {
                regionWeights = Array(repeating: 1, count: d + 1)
                boundedWeights = (0...d).map { $0 % 2 == 0 ? 1 : -1 }
            } else {
                // 2 Σ_{k ≤ d−1, k ≡ d−1 (mod 2)} e_k
                regionWeights = (0...d).map { k in k <= d - 1 && (d - 1 - k) % 2 == 0 ? 2 : 0 }
                boundedWeights = nil
            }
        }

        func evaluate(_ e: [BigInt]) -> (BigInt, BigInt) {
            func dot(_ w: [Int]) -> BigInt {
                BigInt.sum(zip(w, e).lazy.filter { $0.0 != 0 }.map { $0.1 * $0.0 })
            }
            return (dot(regionWeights), boundedWeights.map { dot($0).magnitude } ?? 0)
        }
    }

    /// e_0 … e_D of 1, 2, …, C − 1: the coefficients of ∏_{i<C} (1 + i t) truncated at t^D.
    static func truncatedRisingProduct(classes: Int, degree: Int) -> [BigInt] {
        var e = [BigInt](repeating: 0, count: degree + 1)
        e[0] = 1
        guard classes >= 2 else { return e }
        for i in 1..<classes {
            // Multiply by (1 + i t) in place, high degree first.
            for k in stride(from: min(degree, i), through: 1, by: -1) {
                e[k] = e[k] + e[k - 1] * i
            }
        }
        return e
    }

    static func closedForm(classes: Int, dimension: Int, bias: Bool) -> (BigInt, BigInt) {
        Targets(dimension: dimension, bias: bias)
            .evaluate(truncatedRisingProduct(classes: classes, degree: dimension))
    }

    static func recurrence(classes: Int, dimension: Int, bias: Bool) -> (BigInt, BigInt) {
        // N(c, k) for k = 0…d, row by row in c. Boundary values:
        //   bias:    N(1, k) = 1,  N(c, 0) = 1
        //   no bias: N(2, k) = 2 for k ≥ 1, N(c, 0) = 0 (c ≥ 2); rows start at c = 2.
        // Bounded regions (bias) obey the same recurrence with B(1, k) = 1·(−1)^0 partial sums, i.e.
        // the alternating sums A(c, k) = A(c−1, k) − (c−1)·A(c−1, k−1), A(1, k) = 1, A(c, 0) = 1.
        let d = dimension
        var regions: [BigInt]
        var alternating: [BigInt] = Array(repeating: 1, count: d + 1)
        var firstRow: Int
        if bias {
            regions = Array(repeating: 1, count: d + 1)
            firstRow = 1
        } else {
            regions = (0...d).map { $0 == 0 ? 0 : 2 }
            firstRow = 2
        }
        if firstRow < classes {
            for c in (firstRow + 1)...classes {
                for k in stride(from: d, through: 1, by: -1) {
                    regions[k] = regions[k] + regions[k - 1] * (c - 1)
                    if bias { alternating[k] = alternating[k] - alternating[k - 1] * (c - 1) }
                }
            }
        }
        return (regions[d], bias ? alternating[d].magnitude : 0)
    }

    static func goodTideman(classes: Int, dimension: Int, bias: Bool) -> (BigInt, BigInt) {
        let all = GoodTideman.regions(r: dimension, p: dimension, m: classes)
        let bounded = GoodTideman.boundedRegions(r: dimension, p: dimension, m: classes)
        // Without a bias the count equals the number of UNBOUNDED regions with a bias in the same
        // dimension, N − B (the paper's Appendix C computes Table 2 this way).
        return bias ? (all, bounded) : (all - bounded, 0)
    }

    static func multimodular(classes: Int, dimension: Int, bias: Bool) -> (BigInt, BigInt) {
        let targets = Targets(dimension: dimension, bias: bias)
        var weightRows = [targets.regionWeights]
        if let bounded = targets.boundedWeights { weightRows.append(bounded) }
        let values = MultimodularSeries.partialSums(classes: classes, degree: dimension, weights: weightRows)
        return (values[0], values.count > 1 ? values[1].magnitude : 0)
    }
}
