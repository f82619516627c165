import CQhull
import Foundation

/// One run of reentrant Qhull on full-dimensional points. Every run has its own `qhT`, so runs on
/// different threads do not interact. Qhull reports errors by longjmp back into `qh_new_qhull`,
/// which returns the code; its messages go to a temporary file that becomes the Swift error's text,
/// so nothing reaches stdout or stderr and nothing aborts the process.
enum Qhull {
    struct Output {
        var vertices: [Int]
        var facets: [(normal: [Double], offset: Double, vertices: [Int])]
    }

    /// Qhull options: "Qt" triangulates non-simplicial facets so every facet lists exactly its own
    /// vertices (merged coplanar facets keep one normal); Qhull's default pre-merging (and exact "Qx"
    /// merges for d ≥ 5) keeps the computation robust. Coplanar non-vertex points are never vertices,
    /// which is the strict definition we need (a point on the boundary that is not a vertex is a
    /// convex combination of others, so it can at best tie).
    static let options = "qhull Qt"

    static func run(points: [Double], count: Int, dimension: Int) throws -> Output {
        precondition(dimension >= 2 && count > dimension)
        guard let messages = tmpfile() else {
            throw ConvexHullError.qhullFailed(code: -1, message: "could not open a temporary file for Qhull's messages")
        }
        defer { fclose(messages) }
        let qh = UnsafeMutablePointer<qhT>.allocate(capacity: 1)
        defer { qh.deallocate() }
        qh_zero(qh, messages)
        var coordinates = points  // Qhull keeps a pointer to the points for the whole run
        let code = coordinates.withUnsafeMutableBufferPointer { buffer in
            options.withCString { command in
                qh_new_qhull(
                    qh, Int32(dimension), Int32(count), buffer.baseAddress, 0,
                    UnsafeMutablePointer(mutating: command), nil, messages)
            }
        }
        defer {
            qh_freeqhull(qh, 0)  // qh_ALL = 0 frees everything, long memory included
            var currentLong: Int32 = 0, totalLong: Int32 = 0
            qh_memfreeshort(qh, &currentLong, &totalLong)
        }
        guard code == 0 else {
            throw ConvexHullError.qhullFailed(code: Int(code), message: readAll(messages))
        }
        var output = Output(vertices: [], facets: [])
        var vertex = qh.pointee.vertex_list
        while let v = vertex, v.pointee.next != nil {
            output.vertices.append(Int(qh_pointid(qh, v.pointee.point)))
            vertex = v.pointee.next
        }
        var facet = qh.pointee.facet_list
        while let f = facet, f.pointee.next != nil {
            let normal = Array(UnsafeBufferPointer(start: f.pointee.normal, count: dimension))
            output.facets.append(
                (
                    normal, f.pointee.offset,
                    setElements(f.pointee.vertices).map { element in
                        let vertex = element.assumingMemoryBound(to: vertexT.self)
                        return Int(qh_pointid(qh, vertex.pointee.point))
                    }
                ))
            facet = f.pointee.next
        }
        output.vertices.sort()
        return output
    }

    /// The elements of a Qhull set (a NULL-terminated array of pointers after the `maxsize` header).
    private static func setElements(_ set: UnsafeMutablePointer<setT>?) -> [UnsafeMutableRawPointer] {
        guard let set else { return [] }
        let first = UnsafeMutableRawPointer(set).advanced(by: MemoryLayout<setT>.offset(of: \setT.e)!)
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        var out: [UnsafeMutableRawPointer] = []
        var i = 0
        while let element = first[i] {
            out.append(element)
            i += 1
        }
        return out
    }

    private static func readAll(_ file: UnsafeMutablePointer<FILE>) -> String {
        fflush(file)
        rewind(file)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "no message" : String(text.prefix(2000))
    }
}
