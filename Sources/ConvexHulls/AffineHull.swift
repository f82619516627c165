/// The affine hull of a point set: an origin and an orthonormal basis of its direction space.
///
/// Qhull needs full-dimensional input, so degenerate point sets (collinear points in 3-D, a layer
/// whose rows lie on a hyperplane, …) are first expressed in coordinates of their affine hull.
/// The basis comes from modified Gram–Schmidt with column pivoting (the largest remaining residual
/// first), which is stable enough for this purpose and needs no LAPACK.
struct AffineHull {
    let origin: [Double]
    /// Orthonormal basis vectors of the direction space (each of the ambient dimension).
    let basis: [[Double]]

    var dimension: Int { basis.count }

    /// `points`: row-major, `count` rows of `ambientDimension`.
    /// Directions whose residual is below `relativeTolerance` × the largest spread are treated as absent.
    init(points: [Double], count: Int, ambientDimension d: Int, relativeTolerance: Double = 1e-10) {
        precondition(count >= 1)
        origin = Array(points[0..<d])
        var residuals = (1..<count).map { i in (0..<d).map { points[i * d + $0] - points[$0] } }
        let scale = residuals.map { norm($0) }.max() ?? 0
        var basis: [[Double]] = []
        while basis.count < d, !residuals.isEmpty {
            // Pivot: the residual with the largest norm.
            guard
                let (index, best) = residuals.enumerated().map({ ($0.offset, norm($0.element)) }).max(by: {
                    $0.1 < $1.1
                }),
                best > relativeTolerance * scale, best > 0
            else { break }
            let direction = residuals[index].map { $0 / best }
            basis.append(direction)
            residuals.remove(at: index)
            for j in residuals.indices {
                let projection = dot(residuals[j], direction)
                for k in 0..<d { residuals[j][k] -= projection * direction[k] }
            }
        }
        self.basis = basis
    }

    /// Coordinates of each point in the basis (row-major, count × dimension).
    func coordinates(of points: [Double], count: Int, ambientDimension d: Int) -> [Double] {
        var out = [Double](repeating: 0, count: count * dimension)
        for i in 0..<count {
            for (j, direction) in basis.enumerated() {
                var s = 0.0
                for k in 0..<d { s += (points[i * d + k] - origin[k]) * direction[k] }
                out[i * dimension + j] = s
            }
        }
        return out
    }

    /// A vector of the direction space expressed in the ambient space.
    func ambient(direction coordinates: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: origin.count)
        for (j, direction) in basis.enumerated() {
            for k in out.indices { out[k] += coordinates[j] * direction[k] }
        }
        return out
    }

    /// Coordinates of an ambient direction projected onto the direction space.
    func project(direction v: [Double]) -> [Double] { basis.map { dot($0, v) } }
}

func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in a.indices { s += a[i] * b[i] }
    return s
}

func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
