import Foundation

/// A results database: every run of `unargmax check --db`, its model and every decided class, in an
/// SQLite file (the embedded default) or on a PostgreSQL server (a `postgresql://` URL), with one schema.
///
/// Writes are transactional: a run, its model and all its class rows are committed together or not at
/// all. A run already recorded (same layer digest, options and shard) is recognised, not duplicated.
/// Opening a database of an older schema version migrates it (in one transaction); a newer one is
/// refused. Documentation/Results.md describes the schema.
///
/// One store may be used from several threads: its operations take turns.
public final class ResultsStore: @unchecked Sendable {
    /// The database as named in messages (a PostgreSQL URL without its password).
    public let name: String
    /// Whether the store was opened read-only.
    public let readOnly: Bool
    /// The schema version this code reads and writes.
    public static var schemaVersion: Int { Schema.currentVersion }

    private let connection: Connection
    private let lock = NSLock()

    private init(name: String, readOnly: Bool, connection: Connection) {
        self.name = name
        self.readOnly = readOnly
        self.connection = connection
    }

    deinit { connection.close() }

    /// Whether `location` names a PostgreSQL server rather than an SQLite file.
    public static func isPostgreSQL(_ location: String) -> Bool {
        let lower = location.lowercased()
        return lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://")
    }

    /// `location` as it may be shown: a URL's password replaced by `***`.
    public static func displayName(_ location: String) -> String {
        guard isPostgreSQL(location), let scheme = location.range(of: "://") else { return location }
        let rest = location[scheme.upperBound...]
        guard let at = rest.firstIndex(of: "@") else { return location }
        let userInfo = rest[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return location }
        return String(location[..<colon]) + ":***" + String(rest[at...])
    }

    /// A SQLite file path (created if missing) or a postgresql:// URL.
    ///
    /// Read-only stores never create or migrate: a missing file, or a database of an older schema version,
    /// is an error (open it once writable, e.g. by recording a run, to migrate it).
    public static func open(_ location: String, readOnly: Bool = false) throws -> ResultsStore {
        try open(location, readOnly: readOnly, upToVersion: Schema.currentVersion)
    }

    /// `open`, migrating no further than `upToVersion` (for tests of migrations).
    static func open(_ location: String, readOnly: Bool, upToVersion: Int) throws -> ResultsStore {
        let name = displayName(location)
        let connection: Connection
        do {
            if isPostgreSQL(location) {
                connection = try PostgreSQLConnection(url: location, readOnly: readOnly)
            } else {
                guard !location.isEmpty else { throw ConnectionError("an empty path is not a database") }
                if location.contains("://") {
                    throw ConnectionError("not a database location: give an SQLite file path or a postgresql:// URL")
                }
                connection = try SQLiteConnection(path: location, readOnly: readOnly)
            }
        } catch let error as ConnectionError {
            throw ResultsDatabaseError(name, error.message)
        }
        let store = ResultsStore(name: name, readOnly: readOnly, connection: connection)
        try store.prepareSchema(upToVersion: upToVersion)
        return store
    }

    private func fail(_ error: ConnectionError, _ context: String? = nil) -> ResultsDatabaseError {
        ResultsDatabaseError(name, context.map { "\($0): \(error.message)" } ?? error.message)
    }

    /// The schema version stored in the database, 0 for a database without our tables.
    private func storedVersion() throws -> Int {
        let tables: Set<String>
        do { tables = try connection.existingTables() } catch { throw fail(error) }
        if tables.contains("schema_version") {
            do {
                let table = try connection.rows("SELECT MAX(version) FROM schema_version", [])
                if case .integer(let version)? = table.rows.first?.first { return Int(version) }
                throw ResultsDatabaseError(name, "not a results database of unargmax (schema_version is empty)")
            } catch let error as ConnectionError {
                throw ResultsDatabaseError(
                    name, "not a results database of unargmax (unreadable schema_version: \(error.message))")
            }
        }
        let ours = tables.intersection(Schema.tables)
        if !ours.isEmpty || (connection.engine == .sqlite && !tables.isEmpty) {
            throw ResultsDatabaseError(
                name,
                "not a results database of unargmax (it has tables "
                    + tables.sorted().prefix(5).joined(separator: ", ") + " but no schema_version)")
        }
        return 0
    }

    /// Brings the schema to `upToVersion`: all due migrations in one write transaction, the version read
    /// again inside it (another process may have migrated meanwhile).
    private func prepareSchema(upToVersion: Int) throws {
        let found = try storedVersion()
        if found > Schema.currentVersion {
            throw ResultsDatabaseError(
                name,
                "schema version \(found) is newer than this unargmax knows (\(Schema.currentVersion)); "
                    + "use a newer unargmax")
        }
        if found >= upToVersion { return }
        if readOnly {
            throw ResultsDatabaseError(
                name,
                found == 0
                    ? "not a results database of unargmax (it is empty)"
                    : "schema version \(found) is older than this unargmax's (\(Schema.currentVersion)) and the "
                        + "database was opened read-only; open it once writable (e.g. unargmax results) to migrate")
        }
        do { try connection.beginWrite() } catch { throw fail(error) }
        do {
            let current = try storedVersion()
            for migration in Schema.migrations where migration.version > current && migration.version <= upToVersion {
                for statement in migration.statements(connection.engine) {
                    do { try connection.execute(statement, []) } catch {
                        throw fail(error, "migrating to schema version \(migration.version)")
                    }
                }
                do {
                    try connection.execute(
                        "INSERT INTO schema_version (version, applied, description) VALUES ($1, $2, $3)",
                        [
                            .integer(Int64(migration.version)), .text(Date().formatted(.iso8601)),
                            .text(migration.description),
                        ])
                } catch { throw fail(error, "migrating to schema version \(migration.version)") }
            }
            do { try connection.commit() } catch { throw fail(error, "committing the schema") }
        } catch {
            connection.rollback()
            throw error
        }
    }

    /// The schema version of the open database.
    public func version() throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        return try storedVersion()
    }

    /// Records `run` in one transaction: its model (added unless already known by layer digest and name),
    /// the run and every class row. A run with the same layer digest, options and shard is not recorded
    /// again: the outcome names the existing run. On any failure nothing of the run is left behind.
    public func record(_ run: RecordedRun) throws -> RecordOutcome {
        lock.lock()
        defer { lock.unlock() }
        if readOnly { throw ResultsDatabaseError(name, "opened read-only; cannot record a run") }
        let model = run.model
        let shard = run.shard?.text ?? ""
        do { try connection.beginWrite() } catch { throw fail(error, "starting a transaction") }
        do {
            let existing = try connection.rows(
                "SELECT id FROM runs WHERE layer_digest = $1 AND options = $2 AND shard = $3",
                [.text(model.layerDigest), .text(run.optionsJSON), .text(shard)])
            if case .integer(let id)? = existing.rows.first?.first {
                connection.rollback()
                return .alreadyRecorded(runID: id)
            }
            let modelValues: [ResultsValue] = [
                .text(model.layerDigest), .text(model.name), .text(model.path), .integer(Int64(model.classes)),
                .integer(Int64(model.dimension)), .integer(model.hasBias ? 1 : 0), model.weightsTensor.value,
                model.biasTensor.value, model.weightsFile.value, model.vocabularySource.value,
            ]
            try connection.execute(
                """
                INSERT INTO models (layer_digest, name, path, classes, dimension, has_bias, weights_tensor,
                    bias_tensor, weights_file, vocabulary_source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                    ON CONFLICT (layer_digest, name) DO NOTHING
                """, modelValues)
            let modelRow = try connection.rows(
                "SELECT id FROM models WHERE layer_digest = $1 AND name = $2",
                [.text(model.layerDigest), .text(model.name)])
            guard case .integer(let modelID)? = modelRow.rows.first?.first else {
                throw ConnectionError("the model row was not written")
            }
            let counts = ["argmaxable", "unargmaxable", "undecided"].map {
                ResultsValue.integer(Int64(run.count(verdict: $0)))
            }
            let runRow = try connection.rows(
                """
                INSERT INTO runs (model_id, layer_digest, options, shard, tool_version, host, started, finished,
                    seconds, decided_classes, argmaxable, unargmaxable, undecided)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id
                """,
                [
                    .integer(modelID), .text(model.layerDigest), .text(run.optionsJSON), .text(shard),
                    .text(run.toolVersion), .text(run.host), .text(Self.timestamp(run.started)),
                    .text(Self.timestamp(run.finished)), .real(run.seconds), .integer(Int64(run.classes.count)),
                ] + counts)
            guard case .integer(let runID)? = runRow.rows.first?.first else {
                throw ConnectionError("the run row was not written")
            }
            try connection.insertClasses(runID: runID, run.classes.map(Self.storable))
            try connection.commit()
            return .inserted(runID: runID)
        } catch let error as ConnectionError {
            connection.rollback()
            throw fail(error, "recording the run of \(model.name)")
        } catch {
            connection.rollback()
            throw error
        }
    }

    /// Text PostgreSQL can store: U+0000 (which it cannot) becomes U+FFFD in both engines alike.
    static func storable(_ c: RecordedClass) -> RecordedClass {
        guard let token = c.token, token.unicodeScalars.contains("\u{0}") else { return c }
        var c = c
        c.token = token.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
        return c
    }

    /// ISO 8601 in UTC with milliseconds: sorts as text in both engines.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// `%text%` for LIKE, with LIKE's own wildcards in `text` escaped (ESCAPE '\').
    static func likePattern(_ text: String) -> String {
        "%"
            + text.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    /// Answers `query` (see ``ResultsQuery``) as a table.
    public func query(_ query: ResultsQuery) throws -> ResultsTable {
        lock.lock()
        defer { lock.unlock() }
        var conditions: [String] = [], parameters: [ResultsValue] = []
        func modelFilter(_ model: String?) {
            guard let model else { return }
            parameters.append(.text(Self.likePattern(model)))
            let p = "$\(parameters.count)"
            conditions.append("(LOWER(m.name) LIKE \(p) ESCAPE '\\' OR LOWER(m.path) LIKE \(p) ESCAPE '\\')")
        }
        let sql: String
        switch query {
        case .experiments(let model):
            modelFilter(model)
            sql = """
                SELECT r.id AS run, m.name AS model, r.layer_digest AS digest, m.classes AS classes,
                    m.dimension AS dimension, m.has_bias AS bias, NULLIF(r.shard, '') AS shard,
                    r.decided_classes AS decided, r.argmaxable AS argmaxable, r.unargmaxable AS unargmaxable,
                    r.undecided AS undecided, r.seconds AS seconds, r.options AS options,
                    r.tool_version AS tool_version, r.host AS host, r.started AS started, r.finished AS finished
                FROM runs r JOIN models m ON m.id = r.model_id\(Self.whereClause(conditions))
                ORDER BY r.unargmaxable DESC, r.id
                """
        case .models(let model):
            modelFilter(model)
            sql = """
                SELECT m.id AS model_id, m.name AS name, m.path AS path, m.layer_digest AS digest,
                    m.classes AS classes, m.dimension AS dimension, m.has_bias AS bias,
                    m.weights_tensor AS weights_tensor, m.bias_tensor AS bias_tensor, m.weights_file AS weights_file,
                    m.vocabulary_source AS vocabulary_source,
                    (SELECT COUNT(*) FROM runs r WHERE r.model_id = m.id) AS runs
                FROM models m\(Self.whereClause(conditions))
                ORDER BY m.name, m.id
                """
        case .classes(let model, let verdict):
            modelFilter(model)
            if let verdict {
                parameters.append(.text(verdict))
                conditions.append("c.verdict = $\(parameters.count)")
            }
            sql = """
                SELECT c.run_id AS run, m.name AS model, c.class_index AS class_index, c.token AS token,
                    c.verdict AS verdict, c.margin_lower AS margin_lower, c.margin_upper AS margin_upper,
                    c.steps AS steps, c.stage AS stage, c.certificate_digest AS certificate_digest
                FROM classes c JOIN runs r ON r.id = c.run_id JOIN models m ON m.id = r.model_id\
                \(Self.whereClause(conditions))
                ORDER BY c.run_id, c.class_index
                """
        }
        do { return try connection.rows(sql, parameters) } catch { throw fail(error, "query") }
    }

    private static func whereClause(_ conditions: [String]) -> String {
        conditions.isEmpty ? "" : "\nWHERE " + conditions.joined(separator: " AND ")
    }

    /// Runs raw SQL (tests: building old schema versions, breaking things on purpose).
    func executeForTesting(_ sql: String, _ parameters: [ResultsValue] = []) throws {
        lock.lock()
        defer { lock.unlock() }
        do { try connection.execute(sql, parameters) } catch { throw fail(error) }
    }

    /// Runs a raw query (tests).
    func rowsForTesting(_ sql: String, _ parameters: [ResultsValue] = []) throws -> ResultsTable {
        lock.lock()
        defer { lock.unlock() }
        do { return try connection.rows(sql, parameters) } catch { throw fail(error) }
    }
}
