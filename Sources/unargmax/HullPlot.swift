import Foundation

/// An SVG drawing of a layer's class weight vectors (d = 2, or d = 3 as a projected view):
/// every class a labelled dot, the hull's edges as lines, unargmaxable classes highlighted in red.
struct HullPlot {
    var points: [[Double]]  // one row per class, 2 or 3 coordinates
    var edges: [(Int, Int)]  // hull edges, as pairs of class indices
    var unargmaxable: Set<Int>
    var title: String

    /// Orthographic view of 3-D points: rotate about the vertical axis, then tilt towards the viewer.
    static func project(_ p: [Double], azimuth: Double = 0.6, elevation: Double = 0.35) -> (Double, Double) {
        guard p.count == 3 else { return (p[0], p[1]) }
        let x = p[0] * cos(azimuth) - p[1] * sin(azimuth)
        let y = p[0] * sin(azimuth) + p[1] * cos(azimuth)
        return (x, p[2] * cos(elevation) - y * sin(elevation))
    }

    func svg(size: Double = 640) -> String {
        let flat = points.map { HullPlot.project($0) }
        let xs = flat.map(\.0), ys = flat.map(\.1)
        let (minX, maxX, minY, maxY) = (xs.min() ?? 0, xs.max() ?? 1, ys.min() ?? 0, ys.max() ?? 1)
        let span = max(maxX - minX, maxY - minY, 1e-12)
        let margin = 40.0, scale = (size - 2 * margin) / span
        // SVG's y axis points down: flip so the picture reads like a plot.
        func screen(_ i: Int) -> (Double, Double) {
            (margin + (flat[i].0 - minX) * scale, size - margin - (flat[i].1 - minY) * scale)
        }
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        var out = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(size))\" height=\"\(Int(size) + 30)\" "
                + "viewBox=\"0 0 \(Int(size)) \(Int(size) + 30)\" font-family=\"sans-serif\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(f(size / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>",
            "<g transform=\"translate(0,30)\">",
            "<g stroke=\"#4a6fa5\" stroke-width=\"1.2\" fill=\"none\">",
        ]
        for (a, b) in edges {
            let (x1, y1) = screen(a), (x2, y2) = screen(b)
            out.append("<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\"/>")
        }
        out.append("</g>")
        let showLabels = points.count <= 200
        for i in points.indices {
            let (x, y) = screen(i)
            let bad = unargmaxable.contains(i)
            out.append(
                "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(bad ? 5 : 3.5)\" fill=\"\(bad ? "#d62728" : "#222")\">"
                    + "<title>class \(i)\(bad ? " (unargmaxable)" : "")</title></circle>"
            )
            if showLabels {
                out.append(
                    "<text x=\"\(f(x + 6))\" y=\"\(f(y - 6))\" font-size=\"10\" "
                        + "fill=\"\(bad ? "#d62728" : "#555")\">\(i)</text>"
                )
            }
        }
        out.append("</g>")
        out.append(
            "<text x=\"10\" y=\"\(Int(size) + 24)\" font-size=\"11\" fill=\"#d62728\">"
                + "● unargmaxable (\(unargmaxable.count))</text>"
        )
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
