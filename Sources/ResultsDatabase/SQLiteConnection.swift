import CSQLite
import Foundation

/// A connection to an SQLite file through the system library: WAL journal (readers never wait for the
/// writer), a 60 s busy timeout and `BEGIN IMMEDIATE`, so concurrent writers queue instead of failing.
final class SQLiteConnection: Connection {
    let engine = Engine.sqlite
    private var handle: OpaquePointer?
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Opens (creating unless `readOnly`) the file at `path`.
    init(path: String, readOnly: Bool) throws(ConnectionError) {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue { throw ConnectionError("is a directory, not a database file") }
        if readOnly && !exists { throw ConnectionError("no such results database (file not found)") }
        if !exists {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else { throw ConnectionError("cannot create the database: the directory \(directory) does not exist") }
        }
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_FULLMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close(handle)
            handle = nil
            throw ConnectionError("cannot open: \(message)")
        }
        sqlite3_busy_timeout(handle, 60_000)
        sqlite3_extended_result_codes(handle, 1)
        try execute("PRAGMA foreign_keys = ON", [])
        if !readOnly {
            // Switching to WAL needs a moment alone with the file; the busy handler does not cover it.
            let deadline = Date().addingTimeInterval(60)
            while true {
                do {
                    _ = try rows("PRAGMA journal_mode = WAL", [])
                    break
                } catch let error where error.message.contains("locked") && Date() < deadline {
                    usleep(20_000)
                }
            }
        }
    }

    deinit { close() }

    func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    private func failure(_ status: Int32) -> ConnectionError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
        switch status & 0xFF {
        case SQLITE_NOTADB: return ConnectionError("not an SQLite database (\(message))", notADatabase: true)
        case SQLITE_CORRUPT: return ConnectionError("the SQLite file is corrupt (\(message))", notADatabase: true)
        case SQLITE_BUSY: return ConnectionError("locked by another process for over 60 s (\(message))")
        case SQLITE_READONLY: return ConnectionError("cannot write: the database is read-only (\(message))")
        case SQLITE_FULL: return ConnectionError("the disk is full (\(message))")
        default: return ConnectionError(message)
        }
    }

    private func prepare(_ sql: String) throws(ConnectionError) -> OpaquePointer {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw failure(status)
        }
        return statement
    }

    /// Binds `$1`, `$2` … by name, so a placeholder may appear more than once.
    private func bind(_ parameters: [ResultsValue], to statement: OpaquePointer) throws(ConnectionError) {
        for (k, value) in parameters.enumerated() {
            let position = sqlite3_bind_parameter_index(statement, "$\(k + 1)")
            if position == 0 { continue }
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(statement, position)
            case .integer(let n): status = sqlite3_bind_int64(statement, position, n)
            case .real(let x): status = sqlite3_bind_double(statement, position, x)
            case .text(let s): status = sqlite3_bind_text(statement, position, s, -1, Self.transient)
            }
            guard status == SQLITE_OK else { throw failure(status) }
        }
    }

    func execute(_ sql: String, _ parameters: [ResultsValue]) throws(ConnectionError) {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        try bind(parameters, to: statement)
        var status = sqlite3_step(statement)
        while status == SQLITE_ROW { status = sqlite3_step(statement) }
        guard status == SQLITE_DONE else { throw failure(status) }
    }

    func rows(_ sql: String, _ parameters: [ResultsValue]) throws(ConnectionError) -> ResultsTable {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        try bind(parameters, to: statement)
        let count = sqlite3_column_count(statement)
        let columns = (0..<count).map { String(cString: sqlite3_column_name(statement, $0)) }
        var rows: [[ResultsValue]] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw failure(status) }
            rows.append(
                (0..<count).map { k in
                    switch sqlite3_column_type(statement, k) {
                    case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, k))
                    case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, k))
                    case SQLITE_NULL: return .null
                    default:
                        guard let text = sqlite3_column_text(statement, k) else { return .null }
                        return .text(String(cString: text))
                    }
                })
        }
        return ResultsTable(columns: columns, rows: rows)
    }

    func beginWrite() throws(ConnectionError) { try execute("BEGIN IMMEDIATE", []) }
    func commit() throws(ConnectionError) { try execute("COMMIT", []) }
    func rollback() { if sqlite3_get_autocommit(handle) == 0 { _ = try? execute("ROLLBACK", []) } }

    func existingTables() throws(ConnectionError) -> Set<String> {
        let table = try rows("SELECT name FROM sqlite_master WHERE type = 'table'", [])
        return Set(table.rows.compactMap { if case .text(let name) = $0[0] { return name } else { return nil } })
    }

    /// Any table at all (a file holding other tables is not a results database).
    func hasAnyTable() throws(ConnectionError) -> Bool { try !existingTables().isEmpty }

    func insertClasses(runID: Int64, _ classes: [RecordedClass]) throws(ConnectionError) {
        let statement = try prepare(
            """
            INSERT INTO classes (run_id, class_index, token, verdict, margin_lower, margin_upper, steps, stage,
                certificate_digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """)
        defer { sqlite3_finalize(statement) }
        for c in classes {
            try bind(
                [
                    .integer(runID), .integer(Int64(c.index)), c.token.value, .text(c.verdict), c.marginLower.value,
                    c.marginUpper.value, .integer(Int64(c.steps)), .text(c.stage), c.certificateDigest.value,
                ], to: statement)
            let status = sqlite3_step(statement)
            guard status == SQLITE_DONE else { throw failure(status) }
            sqlite3_reset(statement)
        }
    }
}
