import ConvexHulls
import ExactArithmetic
import Foundation
import LinearProgramming
import Unargmaxable

/// How deep inside the others a class sits, or how far out: per-class measures for a layer
/// `y = W x + b` on an input domain X. Every number is defined in Documentation/Interiority.md.
///
/// - `margin`: the detector's certified bracket on m_c = max_{x∈X} min_{i≠c} (y_c − y_i) (logit units),
///   raised below by certified evaluations at the margin LP's optimum and at the origin.
/// - `biasIncrease`: bracket on δ* = max(0, −m_c), the bias increase beyond which c becomes argmaxable.
/// - `weightScaling`: bracket on the smallest s ≥ 1 beyond which s·w_c is argmaxable;
///   `weightShrinking`: the same for factors in (0, 1).
/// - `chebyshev`: the largest ball in X on which c is the argmax (argmaxable classes).
/// - `hullDistance`: Qhull's signed distance from (w_c, b_c) to the others' hull (unbounded inputs).
public struct ClassInteriority: Sendable, Equatable {
    /// The class.
    public let index: Int
    /// The detector's verdict.
    public let verdict: Verdict
    /// Certified bracket on the margin m_c (logit units).
    public let margin: MarginBracket
    /// Bracket on the bias increase that makes the class argmaxable.
    public let biasIncrease: BiasIncrease
    /// The smallest factor s ≥ 1 with s·w_c argmaxable.
    public let weightScaling: WeightScaling
    /// A factor in (0, 1) with s·w_c argmaxable, if any.
    public let weightShrinking: WeightShrinking
    /// The largest ball in the domain where the class wins (argmaxable classes).
    public let chebyshev: ChebyshevBall?
    /// nil when not computed (d ≥ 10, beyond Qhull's budget, or the others' hull is not full-dimensional).
    public let hullDistance: Double?
}

/// Bracket lower ≤ δ* ≤ upper on the infimum δ* = max(0, −m_c) of bias increases that make the class
/// argmaxable: raising b_c by any δ > δ* makes it argmaxable, by any δ ≤ δ* leaves it unargmaxable
/// (raising b_c raises every margin of c by exactly δ). It can change other classes' verdicts.
public struct BiasIncrease: Sendable, Equatable {
    /// Lower end of the bracket (logit units).
    public let lower: Double
    /// Upper end of the bracket (logit units).
    public let upper: Double
}

/// The smallest factor s ≥ 1 with s·w_c argmaxable (the others unchanged).
public enum WeightScaling: Sendable, Equatable {
    /// The class is argmaxable as it is (s = 1 works).
    case notNeeded
    /// Certified: at s = lower the class is unargmaxable, at s = upper it is argmaxable, so the
    /// threshold s* (every s > s* works, no s in [1, s*] does) lies in [lower, upper]. upper = +∞ when
    /// no tested factor worked.
    case bracket(lower: Double, upper: Double)
    /// No factor works: w_c = 0, so scaling leaves the layer unchanged.
    case never
    /// The detector left the class undecided at s = 1.
    case undetermined
}

/// A factor 0 < s < 1 with s·w_c argmaxable (shrinking the weights instead of growing them).
public enum WeightShrinking: Sendable, Equatable {
    /// The class is argmaxable as it is.
    case notNeeded
    /// Certified: argmaxable with factor `lower` (when lower > 0; at lower = 0 the row is all zeros),
    /// unargmaxable with factor `upper`; every s in (0, s₁) works and none in [s₁, 1] does,
    /// s₁ ∈ [lower, upper].
    case bracket(lower: Double, upper: Double)
    /// No factor in (0, 1) works: with w_c replaced by 0 the class is certified unargmaxable too.
    case none
    case undetermined
}

/// The largest ball inside the domain on which the class is the strict argmax.
public struct ChebyshevBall: Sendable, Equatable {
    /// The LP's optimal radius (floating point; +∞ when the region is unbounded in every direction
    /// the domain allows, e.g. a cone of a layer without bias on all of R^d).
    public let radius: Double
    /// A certified lower bound: the open ball of this radius around `centre` lies in the region and
    /// the domain, checked with exact slacks and outward-rounded norms. 0 when nothing was certified.
    public let certifiedRadius: Double
    /// The ball's centre.
    public let centre: [Double]
}

/// What to measure and how.
public struct InteriorityOptions: Sendable {
    /// The inputs considered (the paper's box by default).
    public var domain: InputDomain = .paperDefault
    /// Bisection steps for the weight scaling (each a detector run on one class).
    public var scalingSteps = 12
    /// The largest factor tried for the weight scaling.
    public var largestScale = 0x1p20
    /// Compute Qhull distances (only when d < 10 and within Qhull's budget).
    public var hullDistances = true
    /// Hull vertices each need a Qhull run of their own (the others' hull); beyond this many, in class
    /// order, their distance is not computed (nil). Non-vertices share the hull of all classes.
    public var hullRunLimit = 256
    /// Threads for the detector runs.
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    /// The defaults.
    public init() {}
}

/// Computes `ClassInteriority` for the classes of a layer (see `measure`).
public enum Interiority {
    /// Measures every class of the report (or `classes`), given the detector's report for the same layer
    /// and domain (run here, with exact arithmetic, if nil). The domain must be valid for the layer
    /// (`InputDomain.validate`). Serial; the detector runs inside use `options.threads`.
    public static func measure(
        _ layer: SoftmaxLayer, report: ArgmaxabilityReport? = nil, classes: [Int]? = nil,
        options: InteriorityOptions = InteriorityOptions()
    ) -> [ClassInteriority] {
        let report = report ?? detect(layer, classes: classes, options: options)
        let byIndex = Dictionary(report.results.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        let selected = classes ?? report.results.map(\.index)
        let hulls =
            options.hullDistances && layer.dimension < 10
            ? HullDistances(layer, limit: options.hullRunLimit) : nil
        return selected.map { c in
            let bracket = tightened(layer, class: c, bracket: byIndex[c]?.margin ?? .unknown, domain: options.domain)
            let verdict = bracket.verdict
            let increase = BiasIncrease(lower: positivePart(-bracket.upper), upper: positivePart(-bracket.lower))
            let scaling: WeightScaling
            let shrinking: WeightShrinking
            switch verdict {
            case .argmaxable: (scaling, shrinking) = (.notNeeded, .notNeeded)
            case .undecided: (scaling, shrinking) = (.undetermined, .undetermined)
            case .unargmaxable:
                scaling = weightScaling(layer, class: c, options: options)
                shrinking = weightShrinking(layer, class: c, options: options)
            }
            return ClassInteriority(
                index: c, verdict: verdict, margin: bracket, biasIncrease: increase, weightScaling: scaling,
                weightShrinking: shrinking,
                chebyshev: verdict == .argmaxable ? chebyshevBall(layer, class: c, domain: options.domain) : nil,
                hullDistance: hulls?.distance(c))
        }
    }

    static func detect(_ layer: SoftmaxLayer, classes: [Int]?, options: InteriorityOptions) -> ArgmaxabilityReport {
        var detector = DetectorOptions()
        detector.domain = options.domain
        detector.exactArithmetic = true
        detector.threads = options.threads
        detector.classes = classes
        return UnargmaxableDetector.detect(layer, options: detector)
    }

    // MARK: - Margin

    /// The bracket with its lower end raised to a certified lower bound on min_i g_i(x) at the margin
    /// LP's optimum x* and at the origin when the domain contains it (any point of the domain gives a
    /// lower bound; the optimum gives the best one, and the origin gives exactly 0 without a bias, where
    /// a floating-point x* is only within rounding of it). Skipped when the bracket is already tight to
    /// 1e-9 (relative), unless it ends at 0 (then the exact evaluation can close it).
    static func tightened(_ layer: SoftmaxLayer, class c: Int, bracket: MarginBracket, domain: InputDomain)
        -> MarginBracket
    {
        guard layer.classes > 1, bracket.lower < bracket.upper,
            !(bracket.upper - bracket.lower <= 1e-9 * max(1, abs(bracket.upper)) && bracket.upper != 0)
        else { return bracket }
        let origin = [Double](repeating: 0, count: layer.dimension)
        var points = [marginOptimum(layer, class: c, domain: domain)].compactMap { $0 }
        if contains(domain, origin) { points.append(origin) }
        var result = bracket
        for x in points {
            let lower = certifiedLowerBound(layer, class: c, at: x, domain: domain)
            if lower > result.lower { result.lower = min(lower, bracket.upper) }
        }
        return result
    }

    /// A certified lower bound on min_i g_i(x): rigorous floating point, or exact rationals when that
    /// is within rounding of 0.
    static func certifiedLowerBound(_ layer: SoftmaxLayer, class c: Int, at x: [Double], domain: InputDomain)
        -> Double
    {
        let lower = certifiedMinimumGap(layer, class: c, at: x)
        guard !(lower > 0), lower > -1e-12,
            let exact = ExactCertificates.witnessMargin(layer, class: c, witness: x, domain: domain)
        else { return lower }
        // GMP truncates towards zero; one step down makes it a lower bound unless the Double is exact.
        let rounded = exact.doubleValue
        return max(lower, Rational(exactly: rounded).map { $0 == exact } == true ? rounded : rounded.nextDown)
    }

    /// A certified lower bound on min_{i≠c} g_i(x) by Double evaluation minus a rigorous bound on its
    /// rounding error (Higham §3.1: n operations in any order err by at most γ_n Σ|terms|,
    /// γ_n = nu/(1 − nu)), plus 2⁻¹⁰²² per operation for underflow. Float32 data and Double x are exact
    /// in Double, so these are the only errors. O(C·d), no rationals: cheap for every class.
    static func certifiedMinimumGap(_ layer: SoftmaxLayer, class c: Int, at x: [Double]) -> Double {
        let d = layer.dimension
        let n = Double(d + 3) * 0x1p-53
        let gamma = n / (1 - n) * 1.01  // 1% covers the rounding of the bound's own evaluation
        var best = Double.infinity
        layer.weights.withUnsafeBufferPointer { w in
            for i in 0..<layer.classes where i != c {
                var s = biasValue(layer, c) - biasValue(layer, i)
                var magnitude = abs(s), differences = 0.0
                for j in 0..<d {
                    let a = Double(w[c * d + j]) - Double(w[i * d + j])
                    let term = a * x[j]
                    s += term
                    magnitude += abs(term)
                    differences += abs(a)
                }
                best = min(best, s - gamma * magnitude - 0x1p-1022 * (Double(2 * d + 4) + differences))
            }
        }
        return best.isNaN ? -.infinity : best
    }

    /// x maximising min_{i≠c} (y_c − y_i) over the domain (nil if the LP has no finite optimum).
    static func marginOptimum(_ layer: SoftmaxLayer, class c: Int, domain: InputDomain) -> [Double]? {
        let d = layer.dimension
        let w = layer.weights.values.map(Double.init)
        guard let lp = try? LinearProgram(columns: d + 1, direction: .maximize) else { return nil }
        do {
            try lp.setObjective(Array(repeating: 0, count: d) + [1])
            try setDomain(lp, domain, dimension: d)
            try lp.setColumnBound(d, .free)
            for i in 0..<layer.classes where i != c {
                // (w_i − w_c)·x + t ≤ b_c − b_i
                let row = (0..<d).map { w[i * d + $0] - w[c * d + $0] } + [1]
                _ = try lp.addRow(row, .upper(biasValue(layer, c) - biasValue(layer, i)))
            }
        } catch { return nil }
        let solution = lp.solve()
        guard solution.status == .optimal else { return nil }
        var x = Array(solution.primal[0..<d])
        clip(&x, domain)
        return x
    }

    // MARK: - Weight scaling

    /// Bisection on s with a certified verdict at every step: a detector run on class c alone with
    /// row c replaced by the Float32 rounding of s·w_c. For s ≥ 1 the argmaxable factors form a ray
    /// (the margin is convex in s and not positive at s = 1), so bisection is sound.
    static func weightScaling(_ layer: SoftmaxLayer, class c: Int, options: InteriorityOptions) -> WeightScaling {
        guard layer.weights.row(c).contains(where: { $0 != 0 }) else { return .never }
        var low = 1.0, high = Double.infinity
        var s = 2.0
        while s <= options.largestScale {
            let v = scaledVerdict(layer, class: c, factor: s, options: options)
            if v == .argmaxable {
                high = s
                break
            }
            if v == .undecided { return .bracket(lower: low, upper: .infinity) }
            low = s
            s *= 2
        }
        guard high.isFinite else { return .bracket(lower: low, upper: .infinity) }
        for _ in 0..<options.scalingSteps {
            let middle = (low + high) / 2
            guard middle > low, middle < high else { break }
            switch scaledVerdict(layer, class: c, factor: middle, options: options) {
            case .argmaxable: high = middle
            case .unargmaxable: low = middle
            case .undecided: return .bracket(lower: low, upper: high)
            }
        }
        return .bracket(lower: low, upper: high)
    }

    /// Shrinking instead: the margin is convex in s and not positive at s = 1, so if it is not positive
    /// at s = 0 either (w_c replaced by 0, a certified verdict) no s in (0, 1) works; otherwise the
    /// working factors in (0, 1) are an interval (0, s₁), bisected like the scaling.
    static func weightShrinking(_ layer: SoftmaxLayer, class c: Int, options: InteriorityOptions) -> WeightShrinking {
        switch scaledVerdict(layer, class: c, factor: 0, options: options) {
        case .unargmaxable: return .none
        case .undecided: return .undetermined
        case .argmaxable: break
        }
        var low = 0.0, high = 1.0
        for _ in 0..<options.scalingSteps {
            let middle = (low + high) / 2
            switch scaledVerdict(layer, class: c, factor: middle, options: options) {
            case .argmaxable: low = middle
            case .unargmaxable: high = middle
            case .undecided: return .bracket(lower: low, upper: high)
            }
        }
        return .bracket(lower: low, upper: high)
    }

    /// The detector's verdict on class c alone, with row c replaced by the Float32 rounding of s·w_c.
    static func scaledVerdict(_ layer: SoftmaxLayer, class c: Int, factor s: Double, options: InteriorityOptions)
        -> Verdict
    {
        let row = layer.weights.row(c)
        var values = layer.weights.values
        let d = layer.dimension
        for j in 0..<d { values[c * d + j] = Float(s * Double(row[j])) }
        guard values[(c * d)..<((c + 1) * d)].allSatisfy(\.isFinite),
            let scaled = try? SoftmaxLayer(weights: values, classes: layer.classes, dimension: d, bias: layer.bias)
        else { return .undecided }
        var detector = DetectorOptions()
        detector.domain = options.domain
        detector.classes = [c]
        detector.exactArithmetic = true
        detector.threads = options.threads
        return UnargmaxableDetector.detect(scaled, options: detector).results.first?.verdict ?? .undecided
    }

    // MARK: - Chebyshev ball

    /// max r over (x, r): (w_i − w_c)·x + r‖w_i − w_c‖ ≤ b_c − b_i for i ≠ c, and the ball inside the
    /// domain (x_j ± r within the bounds); then a certified lower bound at the LP's centre.
    public static func chebyshevBall(_ layer: SoftmaxLayer, class c: Int, domain: InputDomain) -> ChebyshevBall? {
        let d = layer.dimension
        let w = layer.weights.values.map(Double.init)
        func solve(cap: Double?) -> LinearProgramSolution? {
            guard let lp = try? LinearProgram(columns: d + 1, direction: .maximize) else { return nil }
            do {
                try lp.setObjective(Array(repeating: 0, count: d) + [1])
                for j in 0..<d { try lp.setColumnBound(j, .free) }
                try lp.setColumnBound(d, cap.map { .range(0, $0) } ?? .lower(0))
                for i in 0..<layer.classes where i != c {
                    let a = (0..<d).map { w[i * d + $0] - w[c * d + $0] }
                    let length = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    _ = try lp.addRow(a + [length], .upper(biasValue(layer, c) - biasValue(layer, i)))
                }
                for j in 0..<d {
                    var unit = [Double](repeating: 0, count: d + 1)
                    unit[d] = 1
                    if let u = upperBound(domain, j) {
                        unit[j] = 1
                        _ = try lp.addRow(unit, .upper(u))
                    }
                    if let l = lowerBound(domain, j) {
                        unit[j] = -1
                        _ = try lp.addRow(unit, .upper(-l))
                    }
                }
            } catch { return nil }
            return lp.solve()
        }
        guard let solution = solve(cap: nil) else { return nil }
        switch solution.status {
        case .optimal:
            let centre = Array(solution.primal[0..<d])
            return ChebyshevBall(
                radius: max(0, solution.objective),
                certifiedRadius: certifiedRadius(layer, class: c, centre: centre, domain: domain), centre: centre)
        case .unbounded:
            // Unbounded radius: certify a finite one at a capped optimum.
            guard let capped = solve(cap: 1e3), capped.status == .optimal else {
                return ChebyshevBall(radius: .infinity, certifiedRadius: 0, centre: Array(repeating: 0, count: d))
            }
            let centre = Array(capped.primal[0..<d])
            return ChebyshevBall(
                radius: .infinity, certifiedRadius: certifiedRadius(layer, class: c, centre: centre, domain: domain),
                centre: centre)
        default: return nil
        }
    }

    /// min over the region's rows of slack_i / ‖w_i − w_c‖ and over the domain's bounds of their
    /// slack: slacks exact (rationals) rounded down, norms rounded up, the quotient rounded down.
    static func certifiedRadius(_ layer: SoftmaxLayer, class c: Int, centre x: [Double], domain: InputDomain)
        -> Double
    {
        let d = layer.dimension
        guard x.allSatisfy(\.isFinite) else { return 0 }
        let xs = x.map { Rational(exactly: $0)! }
        var best = Double.infinity
        let w = layer.weights.values
        for i in 0..<layer.classes where i != c {
            var slack = Rational(exactly: biasValue(layer, c))! - Rational(exactly: biasValue(layer, i))!
            var squared = Rational.zero
            for j in 0..<d where w[i * d + j] != w[c * d + j] {
                let a = Rational(exactly: w[i * d + j])! - Rational(exactly: w[c * d + j])!
                slack = slack - a * xs[j]
                squared = squared + a * a
            }
            guard slack.signum > 0 else { return 0 }
            if squared.isZero { continue }
            let lengthUp = squared.doubleValue.nextUp.squareRoot().nextUp
            best = min(best, (slack.doubleValue.nextDown / lengthUp).nextDown)
        }
        for j in 0..<d {
            if let u = upperBound(domain, j) { best = min(best, (u - x[j]).nextDown) }
            if let l = lowerBound(domain, j) { best = min(best, (x[j] - l).nextDown) }
        }
        return best.isFinite ? max(0, best) : best
    }

    // MARK: - Helpers

    /// max(0, x) without a negative zero.
    static func positivePart(_ x: Double) -> Double { x > 0 ? x : 0 }

    static func biasValue(_ layer: SoftmaxLayer, _ i: Int) -> Double { layer.bias.map { Double($0[i]) } ?? 0 }

    static func lowerBound(_ domain: InputDomain, _ j: Int) -> Double? {
        switch domain {
        case .box(let r): return -r
        case .bounds(let lower, _): return lower[j]
        case .unbounded: return nil
        }
    }

    static func upperBound(_ domain: InputDomain, _ j: Int) -> Double? {
        switch domain {
        case .box(let r): return r
        case .bounds(_, let upper): return upper[j]
        case .unbounded: return nil
        }
    }

    static func setDomain(_ lp: LinearProgram, _ domain: InputDomain, dimension d: Int) throws(LinearProgramError) {
        for j in 0..<d {
            try lp.setColumnBound(j, LinearProgram.Bound(lower: lowerBound(domain, j), upper: upperBound(domain, j))!)
        }
    }

    static func contains(_ domain: InputDomain, _ x: [Double]) -> Bool {
        x.indices.allSatisfy { j in
            (lowerBound(domain, j).map { x[j] >= $0 } ?? true) && (upperBound(domain, j).map { x[j] <= $0 } ?? true)
        }
    }

    static func clip(_ x: inout [Double], _ domain: InputDomain) {
        for j in x.indices {
            if let l = lowerBound(domain, j), !(x[j] >= l) { x[j] = l }
            if let u = upperBound(domain, j), x[j] > u { x[j] = u }
        }
    }
}
