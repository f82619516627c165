import Foundation
import JSONDocuments

/// One cell of a query's table.
public enum ResultsValue: Sendable, Equatable, Hashable {
    /// No value (SQL NULL): an unknown margin, a class without token or certificate, an unsharded run.
    case null
    /// An integer (ids, counts, indices, steps, 0/1 flags).
    case integer(Int64)
    /// A floating-point number (margins, seconds).
    case real(Double)
    /// Text (names, digests, verdicts, tokens, options JSON, times in ISO 8601).
    case text(String)
}

/// What `ResultsStore.query` answers: named columns and rows of values, with the three renderings of
/// `unargmax results`.
public struct ResultsTable: Sendable, Equatable {
    /// The column names, in order.
    public let columns: [String]
    /// The rows; each has one value per column.
    public let rows: [[ResultsValue]]

    /// A table of these columns and rows.
    public init(columns: [String], rows: [[ResultsValue]]) {
        self.columns = columns
        self.rows = rows
    }

    /// The values of one column, by name (empty when there is no such column).
    public func column(_ name: String) -> [ResultsValue] {
        guard let k = columns.firstIndex(of: name) else { return [] }
        return rows.map { $0[k] }
    }

    /// A JSON array with one object per row, keyed by column in column order; NULL and non-finite
    /// numbers are `null`.
    public func json() -> String {
        if rows.isEmpty { return "[]" }
        let keys = columns.map(Self.jsonString)
        let objects = rows.map { row in
            "  {" + zip(keys, row).map { "\($0): \(Self.json($1))" }.joined(separator: ", ") + "}"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]"
    }

    /// RFC 4180 CSV: a header line, then one line per row, CRLF line ends. A field holding a comma, a
    /// quote, CR or LF, or leading/trailing spaces is quoted with inner quotes doubled; NULL is an empty
    /// field and the empty string `""`, so the two stay distinguishable.
    public func csv() -> String {
        var lines = [columns.map(Self.csvField).joined(separator: ",")]
        for row in rows {
            lines.append(
                row.map { value -> String in
                    switch value {
                    case .null: return ""
                    case .integer(let n): return String(n)
                    case .real(let x): return Self.number(x)
                    case .text(let s): return s.isEmpty ? "\"\"" : Self.csvField(s)
                    }
                }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// An aligned table for a terminal: a header, a rule, one line per row. Control characters in text
    /// are shown escaped (`\n`), cells longer than `maximumWidth` characters are cut with `…`, NULL is
    /// blank, numbers are right-aligned.
    public func text(maximumWidth: Int = 48) -> String {
        func cell(_ value: ResultsValue) -> String {
            var s: String
            switch value {
            case .null: s = ""
            case .integer(let n): s = String(n)
            case .real(let x): s = Self.number(x)
            case .text(let t): s = Self.visible(t)
            }
            if s.count > maximumWidth { s = String(s.prefix(max(1, maximumWidth - 1))) + "…" }
            return s
        }
        let cells = rows.map { $0.map(cell) }
        var widths = columns.map(\.count)
        for row in cells { for (k, s) in row.enumerated() { widths[k] = max(widths[k], s.count) } }
        let numeric = columns.indices.map { k in
            !rows.isEmpty
                && rows.allSatisfy {
                    switch $0[k] {
                    case .integer, .real, .null: return true
                    case .text: return false
                    }
                }
        }
        func line(_ row: [String]) -> String {
            row.enumerated().map { k, s in
                let padding = String(repeating: " ", count: widths[k] - s.count)
                return numeric[k] ? padding + s : s + padding
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var lines = [line(columns), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += cells.map(line)
        lines.append("(\(rows.count) row\(rows.count == 1 ? "" : "s"))")
        return lines.joined(separator: "\n")
    }

    // MARK: - Rendering pieces

    /// Shortest round-trip form; non-finite numbers as `inf`, `-inf`, `nan`.
    static func number(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return "\(x)"
    }

    static func json(_ value: ResultsValue) -> String {
        switch value {
        case .null: return "null"
        case .integer(let n): return String(n)
        case .real(let x): return x.isFinite ? "\(x)" : "null"
        case .text(let s): return jsonString(s)
        }
    }

    /// `s` as a JSON string literal (`JSONValue.quote`), for anything that writes JSON by hand.
    public static func jsonString(_ s: String) -> String { JSONValue.quote(s) }

    static func csvField(_ s: String) -> String {
        let needsQuotes =
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            || s.first == " " || s.last == " "
        return needsQuotes ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Text with control characters escaped, so one cell stays on one line.
    static func visible(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += String(format: "\\x%02x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// The questions `unargmax results` (and `unargmax serve`) ask of a results database.
public enum ResultsQuery: Sendable, Equatable {
    /// The runs, most unargmaxable classes first (then by run id), with their model and verdict counts.
    case experiments(model: String?)
    /// The models (one row per layer digest and name), with how many runs each has, by name.
    case models(model: String?)
    /// Every recorded class, by run and class index, with its model's name; `verdict` keeps only classes
    /// with that verdict (`argmaxable`, `unargmaxable`, `undecided`).
    case classes(model: String?, verdict: String?)
}
