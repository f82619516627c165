import Foundation
import LinearProgramming
import Testing
import Unargmaxable

@testable import RankDepth

/// A seeded random layer with N(0, 1) weights (and bias).
func randomLayer(classes: Int, dimension: Int, bias: Bool, seed: UInt64) throws -> SoftmaxLayer {
    var random = SeededRandomNumberGenerator(seed: seed)
    let weights = (0..<(classes * dimension)).map { _ in Float(random.nextStandardNormal()) }
    let b = bias ? (0..<classes).map { _ in Float(random.nextStandardNormal()) } : nil
    return try SoftmaxLayer(weights: weights, classes: classes, dimension: dimension, bias: b)
}

/// Brute force, independent of the solver: the smallest S ⊆ C ∖ {c} such that some x in the domain
/// puts every class outside S ∪ {c} strictly below c (one margin LP per subset, by increasing size).
func bruteForceDepth(_ layer: SoftmaxLayer, class c: Int, domain: InputDomain) throws -> Int {
    let others = (0..<layer.classes).filter { $0 != c }
    let d = layer.dimension
    for size in 0...others.count {
        for subset in combinations(others.count, size) {
            let excluded = Set(subset.map { others[$0] })
            let lp = try LinearProgram(columns: d + 1, direction: .maximize)
            try lp.setObjective(Array(repeating: 0, count: d) + [1])
            for j in 0..<d {
                switch domain {
                case .box(let r): try lp.setColumnBound(j, .range(-r, r))
                default: try lp.setColumnBound(j, .free)
                }
            }
            try lp.setColumnBound(d, .upper(1))
            for i in others where !excluded.contains(i) {
                let row = (0..<d).map { Double(layer.weights[i, $0]) - Double(layer.weights[c, $0]) } + [1]
                try lp.addRow(row, .upper(Double(layer.bias?[c] ?? 0) - Double(layer.bias?[i] ?? 0)))
            }
            let solution = lp.solve()
            if solution.status == .optimal, solution.objective > 1e-7 { return size }
        }
    }
    return others.count
}

func combinations(_ n: Int, _ k: Int) -> [[Int]] {
    if k == 0 { return [[]] }
    if n < k { return [] }
    return combinations(n - 1, k) + combinations(n - 1, k - 1).map { $0 + [n - 1] }
}

func regularPolygonWithCentre(_ n: Int) throws -> SoftmaxLayer {
    // Opposite vertices of an even polygon are exact negatives, so the symmetry survives rounding.
    var weights: [Float] = []
    for k in 0..<n {
        if n % 2 == 0, k >= n / 2 {
            weights += [-weights[2 * (k - n / 2)], -weights[2 * (k - n / 2) + 1]]
            continue
        }
        let angle = 2 * Double.pi * Double(k) / Double(n)
        weights += [Float(cos(angle)), Float(sin(angle))]
    }
    weights += [0, 0]
    return try SoftmaxLayer(weights: weights, classes: n + 1, dimension: 2)
}

func expectCertified(_ result: ClassDepth, _ layer: SoftmaxLayer, _ domain: InputDomain) {
    #expect(DepthVerifier.check(result.witness, layer: layer, class: result.index, domain: domain) == nil)
    #expect(DepthVerifier.check(result.lowerCertificate, layer: layer, class: result.index, domain: domain) == nil)
    #expect(result.lower <= result.upper)
}

@Suite("RankDepth")
struct RankDepthTests {
    @Test(
        "equals brute force on small random layers, every certificate verifying exactly",
        arguments: [
            (7, 2, false, "box"), (8, 3, true, "box"), (10, 3, false, "unbounded"), (9, 4, true, "unbounded"),
            (12, 2, true, "box"), (11, 4, false, "box"),
        ])
    func bruteForce(classes: Int, dimension: Int, bias: Bool, domainName: String) throws {
        let layer = try randomLayer(
            classes: classes, dimension: dimension, bias: bias, seed: UInt64(classes * 31 + dimension))
        let domain: InputDomain = domainName == "box" ? .box(radius: 2) : .unbounded
        var options = DepthOptions()
        options.domain = domain
        options.threads = 1
        let report = try RankDepthSolver.solve(layer, options: options)
        for result in report.results {
            expectCertified(result, layer, domain)
            #expect(result.isDecided, "class \(result.index): [\(result.lower), \(result.upper)]")
            #expect(result.upper == (try bruteForceDepth(layer, class: result.index, domain: domain)))
        }
    }

    @Test("no bias, unbounded, d = 2: the sweep, direction sampling and the solver agree", arguments: [6, 9, 12])
    func planar(classes: Int) throws {
        let layer = try randomLayer(classes: classes, dimension: 2, bias: false, seed: UInt64(classes))
        var options = DepthOptions()
        options.domain = .unbounded
        options.threads = 1
        let report = try RankDepthSolver.solve(layer, options: options)
        let points = (0..<classes).map { (Double(layer.weights[$0, 0]), Double(layer.weights[$0, 1])) }
        for result in report.results {
            let c = result.index
            let others = points.indices.filter { $0 != c }.map { points[$0] }
            let swept = PlanarDepth.halfspaceDepth(of: points[c], among: others)
            // Independent: the fewest points in a closed half-plane through w_c, over 20000 directions.
            var sampled = others.count
            for k in 0..<20000 {
                let a = 2 * Double.pi * (Double(k) + 0.5) / 20000
                let count = others.filter { ($0.0 - points[c].0) * cos(a) + ($0.1 - points[c].1) * sin(a) >= 0 }.count
                sampled = min(sampled, count)
            }
            #expect(swept == sampled)
            #expect(result.isDecided && result.upper == swept)
            expectCertified(result, layer, .unbounded)
        }
    }

    @Test("the centre of a regular n-gon has depth ⌊n/2⌋", arguments: Array(3...9))
    func polygonCentre(n: Int) throws {
        let layer = try regularPolygonWithCentre(n)
        var options = DepthOptions()
        options.domain = .unbounded
        let result = RankDepthSolver.depth(layer, class: n, options: options)
        #expect(result.lower == n / 2 && result.upper == n / 2, "\(result)")
        expectCertified(result, layer, .unbounded)
        let points = (0..<n).map { (Double(layer.weights[$0, 0]), Double(layer.weights[$0, 1])) }
        #expect(PlanarDepth.halfspaceDepth(of: (0, 0), among: points) == n / 2)
    }

    @Test("a point just inside an edge of a hexagon has depth 1")
    func insideEdge() throws {
        let hexagon = try regularPolygonWithCentre(6)
        // The midpoint of the edge between vertices 0 and 1, moved 1% towards the centre.
        let mx = (hexagon.weights[0, 0] + hexagon.weights[1, 0]) / 2 * 0.99
        let my = (hexagon.weights[0, 1] + hexagon.weights[1, 1]) / 2 * 0.99
        var weights = Array(hexagon.weights.values.prefix(12))
        weights += [mx, my]
        let layer = try SoftmaxLayer(weights: weights, classes: 7, dimension: 2)
        var options = DepthOptions()
        options.domain = .unbounded
        let result = RankDepthSolver.depth(layer, class: 6, options: options)
        #expect(result.lower == 1 && result.upper == 1)
        expectCertified(result, layer, .unbounded)
    }

    @Test("--max-k stops once r_c ≥ K is proved, with a certificate")
    func maxK() throws {
        let layer = try regularPolygonWithCentre(9)
        var options = DepthOptions()
        options.domain = .box(radius: 10)
        options.maxK = 2
        options.exactHittingSets = false  // the greedy packing of large layers
        options.mixedIntegerClassLimit = 0
        let result = RankDepthSolver.depth(layer, class: 9, options: options)
        #expect(result.lower >= 2 && result.upper >= 4)
        expectCertified(result, layer, .box(radius: 10))
    }

    @Test("greedy packing on a larger layer: certified brackets containing the exact depth")
    func greedy() throws {
        let layer = try randomLayer(classes: 10, dimension: 3, bias: true, seed: 99)
        var options = DepthOptions()
        options.domain = .box(radius: 3)
        options.exactHittingSets = false
        options.mixedIntegerClassLimit = 0
        for c in 0..<10 {
            let result = RankDepthSolver.depth(layer, class: c, options: options)
            expectCertified(result, layer, options.domain)
            let truth = try bruteForceDepth(layer, class: c, domain: options.domain)
            #expect(result.lower <= truth && truth <= result.upper)
        }
    }

    @Test("the big-M program proposes an optimal input on small layers")
    func bigM() throws {
        let layer = try randomLayer(classes: 9, dimension: 3, bias: true, seed: 5)
        let domain = InputDomain.box(radius: 2)
        for c in 0..<9 {
            let x = try #require(BigMDepthProgram.input(layer, class: c, domain: domain))
            let beaters = try #require(DepthEvaluation.beaters(layer, class: c, at: x, domain: domain))
            #expect(beaters.count == (try bruteForceDepth(layer, class: c, domain: domain)))
        }
    }

    @Test("tampered certificates are refused")
    func tampered() throws {
        let layer = try regularPolygonWithCentre(6)
        var options = DepthOptions()
        options.domain = .unbounded
        let result = RankDepthSolver.depth(layer, class: 6, options: options)
        let fewer = DepthWitness(input: result.witness.input, beaters: Array(result.witness.beaters.dropFirst()))
        #expect(DepthVerifier.check(fewer, layer: layer, class: 6, domain: .unbounded) != nil)
        let inflated = DepthLowerCertificate(
            proofs: result.lowerCertificate.proofs, kind: result.lowerCertificate.kind,
            bound: result.lowerCertificate.bound + 1)
        #expect(DepthVerifier.check(inflated, layer: layer, class: 6, domain: .unbounded) != nil)
    }
}

@Test("--max-k with exact hitting sets: r_c ≥ K proved by a transversal, no larger search")
func maxKWithHittingSets() throws {
    let layer = try regularPolygonWithCentre(9)
    var options = DepthOptions()
    options.domain = .unbounded
    options.maxK = 3
    let result = RankDepthSolver.depth(layer, class: 9, options: options)
    #expect(result.lower == 3 && result.upper >= 4)
    expectCertified(result, layer, .unbounded)
}

@Test("the MIP façade solves a small knapsack and reports infeasibility")
func mixedIntegerProgram() throws {
    // maximise 5a + 4b + 3c  s.t.  2a + 3b + c ≤ 5,  4a + b + 2c ≤ 11,  3a + 4b + 2c ≤ 8,
    // a, b, c ∈ {0, 1, 2, …}
    let mip = try MixedIntegerProgram(columns: 3, direction: .maximize)
    try mip.setObjective([5, 4, 3])
    for j in 0..<3 {
        try mip.setColumnKind(j, .integer)
        try mip.setColumnBound(j, .lower(0))
    }
    try mip.addRow([2, 3, 1], .upper(5))
    try mip.addRow([4, 1, 2], .upper(11))
    try mip.addRow([3, 4, 2], .upper(8))
    let solution = mip.solve()
    #expect(solution.status == .optimal)
    #expect(abs(solution.objective - 13) < 1e-9)
    let infeasible = try MixedIntegerProgram(columns: 1, direction: .minimize)
    try infeasible.setColumnKind(0, .binary)
    try infeasible.addRow([2], .fixed(1))
    #expect(infeasible.solve().status == .infeasible)
    #expect(throws: LinearProgramError.self) { try mip.addRow([1, 2], .upper(1)) }
}
