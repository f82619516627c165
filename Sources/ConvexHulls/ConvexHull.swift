/// The convex hull of a finite point set, computed by Qhull in the coordinates of the points'
/// affine hull, so degenerate sets (duplicates, collinear or coplanar points, fewer than d + 1
/// points, rank-deficient layers) have defined answers instead of Qhull errors.
public struct ConvexHull: Sendable {
    /// A facet as the half-space `normal · p ≤ offset` (normal of unit length, pointing outwards).
    /// For a lower-dimensional hull, normals lie in its affine hull (facets are relative to it).
    public struct Facet: Sendable, Equatable {
        /// The outward normal, of unit length.
        public let normal: [Double]
        /// The right-hand side: the facet's points p satisfy `normal · p = offset`.
        public let offset: Double
        /// Indices of the points that are vertices of this facet.
        public let vertices: [Int]
    }

    /// The number of input points.
    public let count: Int
    /// The dimension of the space the points live in.
    public let dimension: Int
    /// Dimension of the affine hull of the points (≤ dimension).
    public let affineDimension: Int
    /// Indices of points that are vertices of the hull. Each copy of a duplicated vertex is listed.
    public let vertices: [Int]
    /// Indices of points whose coordinates occur more than once.
    public let duplicated: [Int]
    /// The facets of the hull (relative to its affine hull when that is lower-dimensional).
    public let facets: [Facet]
    let affineHull: AffineHull

    /// `points`: `count` rows of `dimension` coordinates, row-major.
    public init(points: [Double], count: Int, dimension: Int) throws {
        guard count >= 1, dimension >= 1 else { throw ConvexHullError.noPoints }
        guard points.count == count * dimension else {
            throw ConvexHullError.shapeMismatch(values: points.count, count: count, dimension: dimension)
        }
        if let bad = points.firstIndex(where: { !$0.isFinite }) {
            throw ConvexHullError.nonFinite(point: bad / dimension, coordinate: bad % dimension)
        }
        self.count = count
        self.dimension = dimension

        // Exact duplicates: one representative per distinct point; the hull is computed on those.
        var groups: [[Double]: [Int]] = [:]
        var representatives: [Int] = []
        for i in 0..<count {
            let row = Array(points[(i * dimension)..<((i + 1) * dimension)])
            if groups[row] == nil { representatives.append(i) }
            groups[row, default: []].append(i)
        }
        let unique = representatives.flatMap { points[($0 * dimension)..<(($0 + 1) * dimension)] }
        duplicated = groups.values.filter { $0.count > 1 }.flatMap { $0 }.sorted()

        let affine = AffineHull(points: unique, count: representatives.count, ambientDimension: dimension)
        affineHull = affine
        affineDimension = affine.dimension
        let coordinates = affine.coordinates(of: unique, count: representatives.count, ambientDimension: dimension)
        let k = affine.dimension

        // Hull of the representatives in affine coordinates: vertex and facet indices refer to them.
        var localVertices: [Int]
        var localFacets: [(normal: [Double], offset: Double, vertices: [Int])]
        switch k {
        case 0:
            localVertices = [0]
            localFacets = []
        case 1:
            let values = coordinates
            let low = values.indices.min { values[$0] < values[$1] }!
            let high = values.indices.max { values[$0] < values[$1] }!
            localVertices = [low, high]
            localFacets = [([-1], -values[low], [low]), ([1], values[high], [high])]
        default:
            let output = try Qhull.run(points: coordinates, count: representatives.count, dimension: k)
            localVertices = output.vertices
            // Qhull's hyperplanes are n·q + o = 0 with o < 0 inside; ours are n·q ≤ offset.
            localFacets = output.facets.map { ($0.normal, -$0.offset, $0.vertices) }
        }

        // Back to original indices and ambient coordinates.
        func originals(_ local: Int) -> [Int] {
            let r = representatives[local]
            return groups[Array(points[(r * dimension)..<((r + 1) * dimension)])]!
        }
        vertices = Set(localVertices).flatMap(originals).sorted()
        facets = localFacets.map { facet in
            let normal = affine.ambient(direction: facet.normal)
            // n·(p − origin) ≤ offset  ⇔  n·p ≤ offset + n·origin
            return Facet(
                normal: normal, offset: facet.offset + dot(normal, affine.origin),
                vertices: facet.vertices.flatMap(originals).sorted())
        }
    }

    /// The hull of `count` Float32 points of `dimension` coordinates, row-major (converted to Double exactly).
    @_disfavoredOverload
    public init(points: [Float], count: Int, dimension: Int) throws {
        try self.init(points: points.map(Double.init), count: count, dimension: dimension)
    }

    /// max over facets of `normal · p − offset`: negative strictly inside, 0 on the boundary, positive
    /// outside (the distance to the farthest violated facet plane). For a lower-dimensional hull, the
    /// point is first projected onto the hull's affine hull; `distanceToAffineHull` gives the rest.
    public func signedDistance(to point: [Double]) -> Double {
        precondition(point.count == dimension)
        if facets.isEmpty { return norm(zip(point, affineHull.origin).map { $0 - $1 }) }
        let projected = projectOntoAffineHull(point)
        return facets.map { dot($0.normal, projected) - $0.offset }.max()!
    }

    /// Euclidean distance from `point` to the affine hull of the points.
    public func distanceToAffineHull(_ point: [Double]) -> Double {
        norm(zip(point, projectOntoAffineHull(point)).map { $0 - $1 })
    }

    func projectOntoAffineHull(_ point: [Double]) -> [Double] {
        let relative = zip(point, affineHull.origin).map { $0 - $1 }
        let inPlane = affineHull.ambient(direction: affineHull.project(direction: relative))
        return zip(inPlane, affineHull.origin).map { $0 + $1 }
    }
}
