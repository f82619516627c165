import BraidArrangements
import ClassGeometry
import Foundation
import Testing
import Unargmaxable

/// A regular k-gon of unit circumradius (vertex 0 at (1, 0)) followed by extra points.
func polygon(_ k: Int, extra: [(Double, Double)] = []) -> [Float] {
    let vertices = (0..<k).flatMap { t -> [Float] in
        let angle = 2 * Double.pi * Double(t) / Double(k)
        return [Float(cos(angle)), Float(sin(angle))]
    }
    return vertices + extra.flatMap { [Float($0.0), Float($0.1)] }
}

func options(_ domain: InputDomain) -> InteriorityOptions {
    var options = InteriorityOptions()
    options.domain = domain
    options.threads = 1
    return options
}

func verdict(_ layer: SoftmaxLayer, _ c: Int, _ domain: InputDomain) -> Verdict {
    var detector = DetectorOptions()
    detector.domain = domain
    detector.classes = [c]
    detector.exactArithmetic = true
    detector.threads = 1
    return UnargmaxableDetector.detect(layer, options: detector).results[0].verdict
}

@Suite("Interiority")
struct InteriorityTests {
    @Test(
        "Qhull distances inside a hexagon equal the known depths; margin signs agree",
        arguments: [InputDomain.unbounded, .box(radius: 1)])
    func hexagonDepths(domain: InputDomain) throws {
        let apothem = cos(Double.pi / 6)
        let layer = try SoftmaxLayer(weights: polygon(6, extra: [(0, 0), (0.5, 0)]), classes: 8, dimension: 2)
        let measures = Interiority.measure(layer, options: options(domain))
        #expect(measures.count == 8)
        for m in measures[0..<6] {
            #expect(m.verdict == .argmaxable)
            #expect(m.weightScaling == .notNeeded)
            #expect(m.biasIncrease.lower == 0 && m.biasIncrease.upper == 0)
            #expect((m.hullDistance ?? 0) > 0)
            let ball = try #require(m.chebyshev)
            #expect(ball.certifiedRadius > 0 && ball.certifiedRadius <= ball.radius * (1 + 1e-9))
            // Without a bias the regions are cones: on R^d the ball is unbounded and so is the margin.
            #expect(ball.radius.isInfinite == (domain == .unbounded))
        }
        #expect(abs(measures[6].hullDistance! + apothem) < 1e-6)
        #expect(abs(measures[7].hullDistance! - (0.5 - 1) * apothem) < 1e-6)
        for m in measures[6...] {
            #expect(m.verdict == .unargmaxable)
            #expect(m.margin.lower == 0 && m.margin.upper == 0)  // no bias: exactly 0 (x = 0 ties everyone)
            #expect(m.chebyshev == nil)
        }
        #expect(measures[6].weightScaling == .never)
    }

    @Test("a class just outside the hull: small positive distance and margin")
    func justOutside() throws {
        let apothem = cos(Double.pi / 6)
        let r = apothem + 0.01
        let layer = try SoftmaxLayer(
            weights: polygon(6, extra: [(r * cos(Double.pi / 6), r * sin(Double.pi / 6))]), classes: 7, dimension: 2)
        let m = Interiority.measure(layer, classes: [6], options: options(.box(radius: 1)))[0]
        #expect(m.verdict == .argmaxable)
        #expect(m.margin.lower > 0 && m.margin.lower < 0.02)
        #expect(abs(m.hullDistance! - 0.01) < 1e-6)
        #expect(m.chebyshev!.certifiedRadius > 0)
    }

    @Test("bias increase: −lower + ε repairs the class, −upper − ε does not")
    func biasIncrease() throws {
        var bias = [Float](repeating: 0, count: 7)
        bias[6] = -0.5
        let weights = polygon(6, extra: [(0, 0)])
        let layer = try SoftmaxLayer(weights: weights, classes: 7, dimension: 2, bias: bias)
        let domain = InputDomain.box(radius: 2)
        let m = Interiority.measure(layer, classes: [6], options: options(domain))[0]
        #expect(m.verdict == .unargmaxable)
        #expect(m.margin.lower <= -0.5 && -0.5 <= m.margin.upper)
        #expect(m.biasIncrease.lower == -m.margin.upper && m.biasIncrease.upper == -m.margin.lower)
        #expect(m.biasIncrease.upper - m.biasIncrease.lower < 1e-6)
        let epsilon = 1e-3
        var raised = bias
        raised[6] = Float(Double(bias[6]) + m.biasIncrease.upper + epsilon)
        #expect(
            verdict(try SoftmaxLayer(weights: weights, classes: 7, dimension: 2, bias: raised), 6, domain)
                == .argmaxable)
        raised[6] = Float(Double(bias[6]) + m.biasIncrease.lower - epsilon)
        #expect(
            verdict(try SoftmaxLayer(weights: weights, classes: 7, dimension: 2, bias: raised), 6, domain)
                == .unargmaxable)
    }

    @Test("weight scaling brackets the analytic factor 1/ρ for a point at radius ρ towards a vertex")
    func weightScaling() throws {
        let layer = try SoftmaxLayer(weights: polygon(6, extra: [(0.5, 0)]), classes: 7, dimension: 2)
        let m = Interiority.measure(layer, classes: [6], options: options(.box(radius: 1)))[0]
        guard case let .bracket(lower, upper) = m.weightScaling else {
            Issue.record("expected a bracket, got \(m.weightScaling)")
            return
        }
        #expect(lower <= 2 && 2 <= upper)
        #expect(upper - lower < 1e-3)
    }

    @Test("weight scaling on a 12-point ring towards an edge midpoint: s* = cos(π/12)/ρ")
    func weightScalingTowardsAnEdge() throws {
        let rho = 0.3
        let angle = Double.pi / 12
        let layer = try SoftmaxLayer(
            weights: polygon(12, extra: [(rho * cos(angle), rho * sin(angle))]), classes: 13, dimension: 2)
        let m = Interiority.measure(layer, classes: [12], options: options(.box(radius: 1)))[0]
        guard case let .bracket(lower, upper) = m.weightScaling else {
            Issue.record("expected a bracket, got \(m.weightScaling)")
            return
        }
        let analytic = cos(Double.pi / 12) / rho  // Float32 data: equal up to ~1e-7 relative
        #expect(lower <= analytic * (1 + 1e-6) && analytic * (1 - 1e-6) <= upper)
        #expect(upper / lower - 1 < 1e-3)
    }

    @Test("a class that shrinking repairs: U(w) = w + 1 above it, s₁ = ½ below and s* = 2 above (R^1)")
    func weightShrinking() throws {
        // Others lift to (−1, 0) and (2, 3): the upper hull is U(w) = w + 1 on [−1, 2]. Class 2 at
        // (w, b) = (1, 1.5) lies ½ below it; s·w_c wins iff 1.5 > s + 1 (s < ½) or s·w_c leaves [−1, 2] (s > 2).
        let layer = try SoftmaxLayer(weights: [-1, 2, 1], classes: 3, dimension: 1, bias: [0, 3, 1.5])
        let m = Interiority.measure(layer, classes: [2], options: options(.unbounded))[0]
        #expect(m.verdict == .unargmaxable)
        #expect(m.margin.lower <= -0.5 && -0.5 <= m.margin.upper)
        guard case let .bracket(low, high) = m.weightShrinking, case let .bracket(lower, upper) = m.weightScaling
        else {
            Issue.record("expected brackets, got \(m.weightShrinking) and \(m.weightScaling)")
            return
        }
        #expect(low <= 0.5 && 0.5 <= high && high - low < 1e-3)
        #expect(lower <= 2 && 2 <= upper && upper - lower < 1e-3)
        // The centre of a hexagon shrinks to itself: no factor below 1 helps either.
        let hexagon = try SoftmaxLayer(weights: polygon(6, extra: [(0.5, 0)]), classes: 7, dimension: 2)
        #expect(Interiority.measure(hexagon, classes: [6], options: options(.unbounded))[0].weightShrinking == .none)
    }

    @Test("hull distances: vertices beyond the run limit get none, interior classes share the full hull")
    func hullRunLimit() throws {
        let layer = try SoftmaxLayer(weights: polygon(6, extra: [(0, 0), (0.5, 0)]), classes: 8, dimension: 2)
        var limited = options(.box(radius: 1))
        limited.hullRunLimit = 2
        let measures = Interiority.measure(layer, options: limited)
        #expect(measures[0..<2].allSatisfy { $0.hullDistance != nil })
        #expect(measures[2..<6].allSatisfy { $0.hullDistance == nil })
        #expect(abs(measures[6].hullDistance! + cos(Double.pi / 6)) < 1e-6)
    }

    @Test("Chebyshev ball of a half-line class in one dimension: radius ½, centre ½")
    func chebyshevInterval() throws {
        let layer = try SoftmaxLayer(weights: [1, -1], classes: 2, dimension: 1)
        let ball = try #require(Interiority.chebyshevBall(layer, class: 0, domain: .box(radius: 1)))
        #expect(abs(ball.radius - 0.5) < 1e-12 && abs(ball.centre[0] - 0.5) < 1e-12)
        #expect(ball.certifiedRadius <= 0.5 && ball.certifiedRadius > 0.5 - 1e-12)
    }

    @Test("with bias on R^d: hull distance sign is the verdict, margin ≤ distance ≤ 0 inside")
    func liftedDistances() throws {
        let random = RandomLayerArrays(classes: 14, dimension: 2, bias: true, distribution: .normal, seed: 5)
        let layer = try SoftmaxLayer(weights: random.weights, classes: 14, dimension: 2, bias: random.bias)
        var checked = 0
        for m in Interiority.measure(layer, options: options(.unbounded)) {
            guard let distance = m.hullDistance else { continue }
            checked += 1
            #expect((distance > 0) == (m.verdict == .argmaxable), "class \(m.index)")
            if m.verdict == .unargmaxable {
                #expect(m.margin.lower - 1e-6 <= distance && distance <= 1e-12, "class \(m.index)")
            }
        }
        #expect(checked == 14)
    }

    @Test(
        "argmaxability read off the certified regions equals the detector's verdicts",
        arguments: [(5, 2), (6, 2), (7, 3), (8, 2)])
    func regionsAgreeWithDetector(shape: (classes: Int, dimension: Int)) throws {
        for bias in [false, true] {
            let random = RandomLayerArrays(
                classes: shape.classes, dimension: shape.dimension, bias: bias, distribution: .normal,
                seed: UInt64(shape.classes * 10 + shape.dimension))
            let layer = try SoftmaxLayer(
                weights: random.weights, classes: shape.classes, dimension: shape.dimension, bias: random.bias)
            let arrangement = BraidArrangement(
                weights: random.weights.map(Double.init), bias: random.bias?.map(Double.init),
                classes: shape.classes, dimension: shape.dimension)
            let regions = arrangement.certifiedRegions(boundedness: false)
            #expect(regions.undetermined == 0)
            var detector = DetectorOptions()
            detector.domain = .unbounded
            detector.threads = 1
            let report = UnargmaxableDetector.detect(layer, options: detector)
            #expect(report.count(.undecided) == 0)
            #expect(BraidArrangement.argmaxable(regions, classes: shape.classes) == report.indices(.argmaxable))
        }
    }
}
