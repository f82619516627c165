import Foundation

/// A failure inside a connection, before the store adds the database's name.
struct ConnectionError: Error {
    let message: String
    /// The engine's view: the file is not a database of this engine at all (or is corrupt).
    var notADatabase = false
    init(_ message: String, notADatabase: Bool = false) {
        self.message = message
        self.notADatabase = notADatabase
    }
}

/// What `ResultsStore` needs of an engine. SQL uses `$1`, `$2` … placeholders in both engines.
protocol Connection: AnyObject {
    var engine: Engine { get }
    /// Runs one statement without results.
    func execute(_ sql: String, _ parameters: [ResultsValue]) throws(ConnectionError)
    /// Runs one query and returns its column names and rows.
    func rows(_ sql: String, _ parameters: [ResultsValue]) throws(ConnectionError) -> ResultsTable
    /// Starts a write transaction that waits for other writers (SQLite `BEGIN IMMEDIATE`; PostgreSQL
    /// `BEGIN` and a transaction-scoped advisory lock).
    func beginWrite() throws(ConnectionError)
    func commit() throws(ConnectionError)
    /// Rolls back the open transaction, if any (never throws: it is the way out of a failure).
    func rollback()
    /// The names of the tables the results store cares about that exist.
    func existingTables() throws(ConnectionError) -> Set<String>
    /// Appends the class rows of run `runID` inside the open transaction, as fast as the engine allows.
    func insertClasses(runID: Int64, _ classes: [RecordedClass]) throws(ConnectionError)
    func close()
}

extension ResultsValue {
    /// The text form used to pass a parameter (PostgreSQL) or to compare.
    var parameterText: String? {
        switch self {
        case .null: return nil
        case .integer(let n): return String(n)
        case .real(let x): return "\(x)"
        case .text(let s): return s
        }
    }
}

extension Optional where Wrapped == String {
    var value: ResultsValue { map(ResultsValue.text) ?? .null }
}

extension Optional where Wrapped == Double {
    var value: ResultsValue { map(ResultsValue.real) ?? .null }
}
