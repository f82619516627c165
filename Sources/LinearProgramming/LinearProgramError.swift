/// Input that `LinearProgram` refuses before it reaches GLPK, which would abort the process on
/// most of it. Descriptions are complete sentences naming the offending item.
public enum LinearProgramError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A program needs at least one column.
    case noColumns
    /// More columns or rows than GLPK supports (100 000 000 each).
    case tooLarge(what: String, count: Int, limit: Int)
    /// A dense row or objective whose length is not the column count, or sparse index and value
    /// arrays of different lengths.
    case wrongLength(what: String, count: Int, expected: Int)
    /// NaN or ±∞ where a finite number is required; `index` is the position within `what`.
    case nonFinite(what: String, index: Int, value: Double)
    case columnOutOfRange(Int, columnCount: Int)
    case rowOutOfRange(Int, rowCount: Int)
    /// The same column twice in a sparse row, or the same row twice in a removal.
    case duplicateIndex(what: String, index: Int)
    /// A double bound with lower > upper.
    case invertedBounds(what: String, lower: Double, upper: Double)
    /// The program was used on a thread other than the one that created it (GLPK's memory is
    /// per thread: see `LinearProgram`).
    case wrongThread

    public var description: String {
        switch self {
        case .noColumns:
            return "a linear program needs at least one column"
        case let .tooLarge(what, count, limit):
            return "\(count) \(what) is more than GLPK supports (\(limit))"
        case let .wrongLength(what, count, expected):
            return "\(what) has \(count) entries, expected \(expected)"
        case let .nonFinite(what, index, value):
            return "\(what) entry \(index) is \(value); every coefficient and bound must be finite"
        case let .columnOutOfRange(column, count):
            return "column \(column) is out of range: the program has columns 0..<\(count)"
        case let .rowOutOfRange(row, count):
            return "row \(row) is out of range: the program has rows 0..<\(count)"
        case let .duplicateIndex(what, index):
            return "\(what) lists index \(index) twice"
        case let .invertedBounds(what, lower, upper):
            return "\(what) has lower bound \(lower) above upper bound \(upper)"
        case .wrongThread:
            return
                "a LinearProgram was used on a thread other than the one that created it; "
                + "GLPK keeps its memory per thread, so create, use and release each program on one thread"
        }
    }
}
