import CPostgreSQL
import Foundation

/// A connection to a PostgreSQL server through libpq, PostgreSQL's own client library: synchronous,
/// like the command line tool. Class rows go in by `COPY … FROM STDIN`.
final class PostgreSQLConnection: Connection {
    let engine = Engine.postgresql
    private var handle: OpaquePointer?

    /// The advisory lock key that serialises writers (and migrations) of one database.
    private static let lockKey = 0x756E_6172_676D  // "unargm"

    /// Connects to `url` (`postgresql://…` or `postgres://…`); libpq's own defaults apply (PGPASSWORD,
    /// ~/.pgpass, PGSSLMODE …), with a 10 s connect timeout unless the URL sets one.
    init(url: String, readOnly: Bool) throws(ConnectionError) {
        let keywords = ["connect_timeout", "client_encoding", "application_name", "dbname"]
        let values = ["10", "UTF8", "unargmax", url]
        var keywordPointers = keywords.map { strdup($0) } + [nil]
        var valuePointers = values.map { strdup($0) } + [nil]
        defer {
            keywordPointers.forEach { free($0) }
            valuePointers.forEach { free($0) }
        }
        let connection = keywordPointers.withUnsafeMutableBufferPointer { k in
            valuePointers.withUnsafeMutableBufferPointer { v in
                k.withMemoryRebound(to: UnsafePointer<CChar>?.self) { k in
                    v.withMemoryRebound(to: UnsafePointer<CChar>?.self) { v in
                        PQconnectdbParams(k.baseAddress, v.baseAddress, 1)
                    }
                }
            }
        }
        guard let connection else { throw ConnectionError("cannot connect: out of memory") }
        handle = connection
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.firstLine(String(cString: PQerrorMessage(connection)))
            close()
            throw ConnectionError("cannot connect: \(message)")
        }
        // The library prints nothing: the server's notices (e.g. "relation exists, skipping") are dropped.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        try execute("SET client_min_messages = warning", [])
        if readOnly { try execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", []) }
    }

    deinit { close() }

    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    static func firstLine(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.filter { !$0.isEmpty }.joined(separator: "; ")
    }

    /// Runs `sql` with text parameters and returns the result, which the caller must `PQclear`.
    private func run(_ sql: String, _ parameters: [ResultsValue]) throws(ConnectionError) -> OpaquePointer {
        var texts: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.parameterText.map { strdup($0) } ?? nil }
        defer { texts.forEach { free($0) } }
        let result = texts.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                PQexecParams(handle, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
            }
        }
        guard let result else {
            throw ConnectionError(Self.firstLine(String(cString: PQerrorMessage(handle))))
        }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN else {
            let message = Self.firstLine(String(cString: PQresultErrorMessage(result)))
            PQclear(result)
            if PQstatus(handle) != CONNECTION_OK { throw ConnectionError("lost the connection: \(message)") }
            throw ConnectionError(message)
        }
        return result
    }

    func execute(_ sql: String, _ parameters: [ResultsValue]) throws(ConnectionError) {
        PQclear(try run(sql, parameters))
    }

    func rows(_ sql: String, _ parameters: [ResultsValue]) throws(ConnectionError) -> ResultsTable {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        let columnCount = PQnfields(result), rowCount = PQntuples(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        let types = (0..<columnCount).map { PQftype(result, $0) }
        var rows: [[ResultsValue]] = []
        rows.reserveCapacity(Int(rowCount))
        for r in 0..<rowCount {
            rows.append(
                (0..<columnCount).map { k in
                    if PQgetisnull(result, r, k) != 0 { return .null }
                    let text = String(cString: PQgetvalue(result, r, k))
                    switch types[Int(k)] {
                    case 20, 21, 23: return Int64(text).map(ResultsValue.integer) ?? .text(text)  // int8, int2, int4
                    case 700, 701, 1700: return Double(text).map(ResultsValue.real) ?? .text(text)  // float4/8, numeric
                    case 16: return .integer(text == "t" ? 1 : 0)  // bool
                    default: return .text(text)
                    }
                })
        }
        return ResultsTable(columns: columns, rows: rows)
    }

    func beginWrite() throws(ConnectionError) {
        try execute("BEGIN", [])
        try execute("SELECT pg_advisory_xact_lock(\(Self.lockKey))", [])
    }

    func commit() throws(ConnectionError) { try execute("COMMIT", []) }

    func rollback() {
        if let handle, PQtransactionStatus(handle) != PQTRANS_IDLE { _ = try? execute("ROLLBACK", []) }
    }

    func existingTables() throws(ConnectionError) -> Set<String> {
        let table = try rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()", [])
        return Set(table.rows.compactMap { if case .text(let name) = $0[0] { return name } else { return nil } })
    }

    /// COPY's text format: backslash escapes for the characters that delimit fields and rows, `\N` for NULL.
    private static func copyField(_ value: ResultsValue, into out: inout String) {
        switch value {
        case .null: out += "\\N"
        case .integer(let n): out += String(n)
        case .real(let x): out += "\(x)"
        case .text(let s):
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
    }

    func insertClasses(runID: Int64, _ classes: [RecordedClass]) throws(ConnectionError) {
        PQclear(
            try run(
                """
                COPY classes (run_id, class_index, token, verdict, margin_lower, margin_upper, steps, stage,
                    certificate_digest) FROM STDIN
                """, []))
        // PQexec of COPY leaves the connection in COPY_IN state (the result status is PGRES_COPY_IN).
        var buffer = ""
        buffer.reserveCapacity(1 << 20)
        func send() throws(ConnectionError) {
            let status = buffer.withCString { PQputCopyData(handle, $0, Int32(strlen($0))) }
            guard status == 1 else {
                throw ConnectionError("COPY failed: \(Self.firstLine(String(cString: PQerrorMessage(handle))))")
            }
            buffer.removeAll(keepingCapacity: true)
        }
        for c in classes {
            let fields: [ResultsValue] = [
                .integer(runID), .integer(Int64(c.index)), c.token.value, .text(c.verdict), c.marginLower.value,
                c.marginUpper.value, .integer(Int64(c.steps)), .text(c.stage), c.certificateDigest.value,
            ]
            for (k, field) in fields.enumerated() {
                if k > 0 { buffer += "\t" }
                Self.copyField(field, into: &buffer)
            }
            buffer += "\n"
            if buffer.utf8.count >= 1 << 20 { try send() }
        }
        if !buffer.isEmpty { try send() }
        guard PQputCopyEnd(handle, nil) == 1 else {
            throw ConnectionError("COPY failed: \(Self.firstLine(String(cString: PQerrorMessage(handle))))")
        }
        var failure: String?
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) != PGRES_COMMAND_OK {
                failure = failure ?? Self.firstLine(String(cString: PQresultErrorMessage(result)))
            }
            PQclear(result)
        }
        if let failure { throw ConnectionError(failure) }
    }
}
