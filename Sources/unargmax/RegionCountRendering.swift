import ExactArithmetic
import Foundation
import RegionCounting

/// Text, CSV, JSON and LaTeX renderings of region counts. Big numbers are decimal strings in JSON,
/// so no consumer silently rounds them to doubles.
enum RegionCountRendering {
    static func text(_ count: RegionCount) -> String {
        let fraction = count.log10FeasibleFraction
        return """
            classes:          \(count.classes)
            dimension:        \(count.dimension)
            bias:             \(count.hasBias)
            regions:          \(abbreviated(count.regions))
            bounded regions:  \(abbreviated(count.boundedRegions))
            unbounded:        \(abbreviated(count.unboundedRegions))
            permutations:     \(abbreviated(count.permutations))
            feasible fraction: 10^\(String(format: "%.6f", fraction))
            """
    }

    /// Numbers of more than 60 digits are shown by their leading digits and length (JSON keeps them whole).
    static func abbreviated(_ value: BigInt) -> String {
        let digits = value.decimalDigitCount
        guard digits > 60 else { return value.description }
        let text = value.description
        return "\(text.prefix(20))…\(text.suffix(10)) (\(digits) digits)"
    }

    static func json(_ count: RegionCount) -> String {
        let fraction = count.log10FeasibleFraction
        return """
            {"classes": \(count.classes), "dimension": \(count.dimension), "bias": \(count.hasBias), \
            "regions": "\(count.regions)", "bounded_regions": "\(count.boundedRegions)", \
            "unbounded_regions": "\(count.unboundedRegions)", \
            "permutations": "\(count.permutations)", "log10_fraction": \(fraction.isFinite ? "\(fraction)" : "null")}
            """
    }

    static func render(_ table: RegionCountTable, as format: CountCommand.Format) -> String {
        let dims = 1...table.maxDimension
        let rows = (1...table.maxClasses).map { c in dims.map { table.regions(classes: c, dimension: $0).description } }
        switch format {
        case .json:
            let body = rows.enumerated().map { i, row in
                "{\"classes\": \(i + 1), \"regions\": [\(row.map { "\"\($0)\"" }.joined(separator: ", "))]}"
            }
            return
                "{\"bias\": \(table.hasBias), "
                + "\"dimensions\": [\(dims.map(String.init).joined(separator: ", "))], \"rows\": [\n  "
                + body.joined(separator: ",\n  ") + "\n]}\n"
        case .csv:
            return "classes," + dims.map { "d=\($0)" }.joined(separator: ",") + "\n"
                + rows.enumerated().map { "\($0 + 1)," + $1.joined(separator: ",") }.joined(separator: "\n") + "\n"
        case .latex:
            let caption =
                table.hasBias
                ? "Feasible rankings of a softmax layer with a bias term (regions of the restricted braid arrangement)."
                : "Feasible rankings of a softmax layer without a bias term (OEIS A071223)."
            var lines = [
                "\\begin{tabular}{r|" + String(repeating: "r", count: dims.count) + "}", "\\toprule",
                "$|C|$ \\textbackslash{} $d$ & " + dims.map(String.init).joined(separator: " & ") + " \\\\",
                "\\midrule",
            ]
            for (i, row) in rows.enumerated() {
                // Cells with d ≥ |C| − 1 realise all |C|! rankings: bold, as in the paper.
                let cells = row.enumerated().map { j, cell in j + 1 >= i ? "\\textbf{\(cell)}" : cell }
                lines.append("\(i + 1) & " + cells.joined(separator: " & ") + " \\\\")
            }
            lines += ["\\bottomrule", "\\end{tabular}", "% \(caption)"]
            return lines.joined(separator: "\n") + "\n"
        case .text:
            let header = ["|C| \\ d"] + dims.map(String.init)
            let table = [header] + rows.enumerated().map { ["\($0 + 1)"] + $1 }
            let widths = (0..<header.count).map { col in table.map { $0[col].count }.max()! }
            return table.map { row in
                row.enumerated().map { col, cell in String(repeating: " ", count: widths[col] - cell.count) + cell }
                    .joined(separator: "  ")
            }.joined(separator: "\n") + "\n"
        }
    }
}
