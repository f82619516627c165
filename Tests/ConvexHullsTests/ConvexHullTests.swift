import Dispatch
import Testing
@testable import ConvexHulls

/// Deterministic pseudo-random points for property tests.
struct Points {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53) * 2 - 1
    }
    mutating func make(_ count: Int, _ dimension: Int) -> [Double] { (0..<(count * dimension)).map { _ in next() } }
}

@Suite("Convex hulls")
struct ConvexHullTests {
    @Test("a square with its centre: four vertices, four facets, centre strictly inside")
    func squareWithCentre() throws {
        let hull = try ConvexHull(points: [0, 0, 1, 0, 0, 1, 1, 1, 0.5, 0.5], count: 5, dimension: 2)
        #expect(hull.vertices == [0, 1, 2, 3])
        #expect(hull.facets.count == 4)
        #expect(abs(hull.signedDistance(to: [0.5, 0.5]) + 0.5) < 1e-12)
        #expect(abs(hull.signedDistance(to: [2, 0.5]) - 1) < 1e-12)
        for facet in hull.facets { #expect(abs(norm(facet.normal) - 1) < 1e-12) }
    }

    @Test(
        "random hulls: every point satisfies every facet; vertices lie on facets; others are not vertices",
        arguments: 2...7)
    func randomProperties(dimension: Int) throws {
        var random = Points(state: UInt64(dimension))
        let count = 40 + 10 * dimension
        let points = random.make(count, dimension)
        let hull = try ConvexHull(points: points, count: count, dimension: dimension)
        #expect(hull.affineDimension == dimension)
        for i in 0..<count {
            let p = Array(points[(i * dimension)..<((i + 1) * dimension)])
            let distance = hull.signedDistance(to: p)
            #expect(distance <= 1e-9)
            if hull.vertices.contains(i) { #expect(abs(distance) < 1e-9) }
        }
        let onFacets = Set(hull.facets.flatMap(\.vertices))
        #expect(onFacets == Set(hull.vertices))
    }

    @Test("collinear and coplanar points on the boundary are not vertices")
    func boundaryNonVertices() throws {
        // (2, 0) is on the edge from (0, 0) to (4, 0).
        let hull = try ConvexHull(points: [0, 0, 4, 0, 0, 4, 2, 0], count: 4, dimension: 2)
        #expect(hull.vertices == [0, 1, 2])
        // Points all on one line in 3-D: only the two ends are vertices.
        let line = try ConvexHull(points: [0, 0, 0, 1, 1, 1, 3, 3, 3, 2, 2, 2], count: 4, dimension: 3)
        #expect(line.affineDimension == 1 && line.vertices == [0, 2])
    }

    @Test("duplicates are reported and both copies listed as vertices when the point is one")
    func duplicates() throws {
        let hull = try ConvexHull(points: [0, 0, 1, 0, 0, 1, 1, 0, 0.2, 0.2], count: 5, dimension: 2)
        #expect(hull.duplicated == [1, 3])
        #expect(hull.vertices == [0, 1, 2, 3])
        let single = try ConvexHull(points: [1, 2, 1, 2, 1, 2], count: 3, dimension: 2)
        #expect(single.affineDimension == 0 && single.duplicated == [0, 1, 2])
    }

    @Test("points on a plane in 3-D give the same hull as the same points in 2-D")
    func rankDeficient() throws {
        var random = Points(state: 99)
        let flat = random.make(30, 2)
        // Embed (u, v) ↦ u·a + v·b + c with a, b, c generic.
        let a = [0.3, -0.7, 0.2], b = [0.5, 0.1, -0.9], c = [1.0, 2.0, 3.0]
        var embedded: [Double] = []
        for i in 0..<30 {
            for k in 0..<3 { embedded.append(flat[2 * i] * a[k] + flat[2 * i + 1] * b[k] + c[k]) }
        }
        let plane = try ConvexHull(points: flat, count: 30, dimension: 2)
        let space = try ConvexHull(points: embedded, count: 30, dimension: 3)
        #expect(space.affineDimension == 2)
        #expect(space.vertices == plane.vertices)
    }

    @Test("fewer than d + 1 points: a simplex of lower dimension, every point a vertex")
    func fewPoints() throws {
        let hull = try ConvexHull(points: [0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0], count: 4, dimension: 4)
        #expect(hull.affineDimension == 3 && hull.vertices == [0, 1, 2, 3])
        let one = try ConvexHull(points: [5, 5, 5], count: 1, dimension: 3)
        #expect(one.vertices == [0])
    }

    @Test("bad input is a typed error, never a Qhull abort")
    func badInput() {
        #expect(throws: ConvexHullError.nonFinite(point: 1, coordinate: 0)) {
            try ConvexHull(points: [0, 0, .nan, 1, 1, 1], count: 3, dimension: 2)
        }
        #expect(throws: ConvexHullError.shapeMismatch(values: 5, count: 3, dimension: 2)) {
            try ConvexHull(points: [0, 0, 1, 1, 1], count: 3, dimension: 2)
        }
        #expect(throws: ConvexHullError.noPoints) { try ConvexHull(points: [], count: 0, dimension: 2) }
    }

    @Test("hulls computed concurrently on several threads equal the sequential ones")
    func concurrent() throws {
        let inputs = (0..<16).map { seed -> [Double] in
            var r = Points(state: UInt64(seed + 1000))
            return r.make(200, 4)
        }
        let sequential = try inputs.map { try ConvexHull(points: $0, count: 200, dimension: 4).vertices }
        let results = UnsafeMutableBufferPointer<[Int]>.allocate(capacity: inputs.count)
        results.initialize(repeating: [])
        defer {
            // The arrays in the buffer are released only by deinitialising it (LeakSanitizer saw them).
            results.deinitialize()
            results.deallocate()
        }
        nonisolated(unsafe) let output = results
        DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
            output[i] = (try? ConvexHull(points: inputs[i], count: 200, dimension: 4).vertices) ?? [-1]
        }
        #expect(Array(results) == sequential)
    }
}

@Suite("Argmax ground truth")
struct ArgmaxGroundTruthTests {
    @Test("the paper's Figure 1: four classes in d = 2, the interior one is unargmaxable")
    func figureOne() throws {
        let truth = try ArgmaxGroundTruth.withoutBias(
            weights: [0, 2, -2, -1, 2, -1, 0.1, 0.2] as [Double], classes: 4, dimension: 2)
        #expect(truth.unargmaxable == [3] && truth.argmaxable == [0, 1, 2])
    }

    @Test("duplicated rows are both unargmaxable (they always tie)")
    func duplicateRows() throws {
        let truth = try ArgmaxGroundTruth.withoutBias(
            weights: [0, 0, 3, 1, 4, 0, 0, 4, 3, 1, 2, 0] as [Double], classes: 6, dimension: 2)
        #expect(truth.unargmaxable == [1, 4, 5])
    }

    @Test("a large bias lifts an interior class out; a negative one sinks it")
    func biasLifts() throws {
        let w: [Double] = [1, 0, -1, 0, 0, 1, 0, -1, 0, 0]
        #expect(try ArgmaxGroundTruth.withoutBias(weights: w, classes: 5, dimension: 2).unargmaxable == [4])
        #expect(
            try ArgmaxGroundTruth.withBias(weights: w, bias: [0, 0, 0, 0, 5], classes: 5, dimension: 2).unargmaxable
                == [])
        #expect(
            try ArgmaxGroundTruth.withBias(weights: w, bias: [0, 0, 0, 0, -5], classes: 5, dimension: 2).unargmaxable
                == [4])
    }

    @Test("same weights, different bias: only the larger bias can win")
    func sameWeights() throws {
        let truth = try ArgmaxGroundTruth.withBias(
            weights: [1, 1, 1, 1, -1, 0] as [Double], bias: [0, 1, 0], classes: 3, dimension: 2)
        #expect(truth.unargmaxable == [0])
    }

    @Test("a bias that is constant or affine in w changes nothing: logits are w·(x + a) + const", arguments: [2, 3, 5])
    func affineBias(dimension: Int) throws {
        var random = Points(state: UInt64(7 * dimension))
        let count = 30 + 10 * dimension
        let w = random.make(count, dimension)
        let a = (0..<dimension).map { _ in random.next() }
        let affine = (0..<count).map { i in 0.25 + (0..<dimension).map { w[i * dimension + $0] * a[$0] }.reduce(0, +) }
        let plain = try ArgmaxGroundTruth.withoutBias(weights: w, classes: count, dimension: dimension)
        #expect(
            try ArgmaxGroundTruth.withBias(weights: w, bias: affine, classes: count, dimension: dimension).unargmaxable
                == plain.unargmaxable)
        #expect(
            try ArgmaxGroundTruth.withBias(
                weights: w, bias: Array(repeating: 3, count: count), classes: count, dimension: dimension
            ).unargmaxable == plain.unargmaxable)
    }

    @Test("with bias, d = 1: brute force over the real line agrees", arguments: 0..<20)
    func oneDimensionalBruteForce(seed: Int) throws {
        // Logits w_i x + b_i are lines; the upper envelope's pieces are the argmaxable classes.
        // Evaluate the envelope between and beyond all pairwise crossings.
        var random = Points(state: UInt64(seed + 500))
        let count = 12
        let w = random.make(count, 1), b = random.make(count, 1)
        var crossings: [Double] = []
        for i in 0..<count {
            for j in (i + 1)..<count where w[i] != w[j] { crossings.append((b[j] - b[i]) / (w[i] - w[j])) }
        }
        crossings.sort()
        var probes = [crossings.first! - 1e3, crossings.last! + 1e3]
        for k in 0..<(crossings.count - 1) { probes.append((crossings[k] + crossings[k + 1]) / 2) }
        var winners = Set<Int>()
        for x in probes {
            let logits = (0..<count).map { w[$0] * x + b[$0] }
            winners.insert(logits.indices.max { logits[$0] < logits[$1] }!)
        }
        let truth = try ArgmaxGroundTruth.withBias(weights: w, bias: b, classes: count, dimension: 1)
        #expect(Set(truth.argmaxable) == winners)
    }

    @Test("one class is always argmaxable; two identical classes never are")
    func smallCases() throws {
        #expect(
            try ArgmaxGroundTruth.withoutBias(weights: [1, 2] as [Double], classes: 1, dimension: 2).unargmaxable == [])
        #expect(
            try ArgmaxGroundTruth.withBias(weights: [1, 2] as [Double], bias: [0], classes: 1, dimension: 2)
                .unargmaxable == [])
        #expect(
            try ArgmaxGroundTruth.withoutBias(weights: [1, 2, 1, 2] as [Double], classes: 2, dimension: 2).unargmaxable
                == [0, 1])
    }
}
