import Foundation
import Testing

@testable import ResultsDatabase

@Suite("ResultsStore")
struct ResultsStoreTests {
    @Test("a recorded run comes back from every query", arguments: TestEngine.available)
    func roundTrip(engine: TestEngine) throws {
        try withDatabase(engine) { location in
            let store = try ResultsStore.open(location)
            let run = sampleRun(
                verdicts: ["argmaxable", "unargmaxable", "undecided", "unargmaxable"],
                tokens: ["a", "b,\"c\"", nil, "line\nbreak\ttab\\"])
            let outcome = try store.record(run)
            guard case .inserted(let id) = outcome else {
                Issue.record("not inserted: \(outcome)")
                return
            }

            let experiments = try store.query(.experiments(model: nil))
            #expect(experiments.integers("run") == [id])
            #expect(experiments.texts("model") == ["tiny-model"])
            #expect(experiments.integers("decided") == [4])
            #expect(experiments.integers("argmaxable") == [1])
            #expect(experiments.integers("unargmaxable") == [2])
            #expect(experiments.integers("undecided") == [1])
            #expect(experiments.column("shard") == [.null])
            #expect(experiments.column("seconds") == [.real(1.25)])
            #expect(experiments.texts("options") == [run.optionsJSON])
            #expect(experiments.texts("started") == ["2027-01-15T08:00:00.250Z"])

            let models = try store.query(.models(model: nil))
            #expect(models.texts("name") == ["tiny-model"])
            #expect(models.texts("path") == ["/models/tiny-model"])
            #expect(models.texts("digest") == ["d1"])
            #expect(models.integers("bias") == [1])
            #expect(models.column("bias_tensor") == [.null])
            #expect(models.texts("vocabulary_source") == ["tokenizer.json"])
            #expect(models.integers("runs") == [1])

            let classes = try store.query(.classes(model: nil, verdict: nil))
            #expect(classes.integers("class_index") == [0, 1, 2, 3])
            #expect(classes.texts("token") == ["a", "b,\"c\"", nil, "line\nbreak\ttab\\"])
            #expect(classes.texts("verdict") == run.classes.map(\.verdict))
            #expect(
                classes.column("margin_lower") == run.classes.map { $0.marginLower.map(ResultsValue.real) ?? .null })
            #expect(
                classes.column("margin_upper") == run.classes.map { $0.marginUpper.map(ResultsValue.real) ?? .null })
            #expect(classes.integers("steps") == [0, 3, 6, 9])
            #expect(classes.texts("certificate_digest") == run.classes.map(\.certificateDigest))
            #expect(try store.version() == ResultsStore.schemaVersion)
        }
    }

    @Test("recording the same layer, options and shard again is recognised", arguments: TestEngine.available)
    func rerunRecognised(engine: TestEngine) throws {
        try withDatabase(engine) { location in
            let store = try ResultsStore.open(location)
            let run = sampleRun(verdicts: ["argmaxable", "unargmaxable"])
            let first = try store.record(run)
            #expect(try store.record(run) == .alreadyRecorded(runID: first.runID))
            // Another process (a second store) recognises it too, even under another model name.
            let again = try ResultsStore.open(location)
            var renamed = run
            renamed.model.name = "copy-of-tiny"
            #expect(try again.record(renamed) == .alreadyRecorded(runID: first.runID))
            #expect(try store.query(.models(model: nil)).rows.count == 1)
            // Other options or another shard are other runs.
            let other = try store.record(sampleRun(options: #"{"domain":"unbounded"}"#, verdicts: ["argmaxable"]))
            let shard = try store.record(
                sampleRun(shard: RecordedShard(index: 0, count: 2), verdicts: ["argmaxable"]))
            guard case .inserted = other, case .inserted = shard else {
                Issue.record("not inserted: \(other), \(shard)")
                return
            }
            #expect(Set([first.runID, other.runID, shard.runID]).count == 3)
            #expect(try store.query(.classes(model: nil, verdict: nil)).rows.count == 4)
            #expect(try store.query(.experiments(model: nil)).texts("shard").contains("0/2"))
        }
    }

    @Test(
        "a database of schema version 1 is migrated, counts filled in from its classes",
        arguments: TestEngine.available)
    func migrationFromVersionOne(engine: TestEngine) throws {
        try withDatabase(engine) { location in
            do {
                let old = try ResultsStore.open(location, readOnly: false, upToVersion: 1)
                #expect(try old.version() == 1)
                try old.executeForTesting(
                    """
                    INSERT INTO models (layer_digest, name, path, classes, dimension, has_bias)
                        VALUES ('dd', 'old-model', '/old', 3, 2, 0)
                    """)
                try old.executeForTesting(
                    """
                    INSERT INTO runs (model_id, layer_digest, options, shard, tool_version, host, started, finished,
                        seconds, decided_classes)
                        SELECT id, 'dd', '{}', '', 'unargmax 0.0.9', 'h', 's', 'f', 0.5, 3 FROM models
                    """)
                for (k, verdict) in ["unargmaxable", "argmaxable", "unargmaxable"].enumerated() {
                    try old.executeForTesting(
                        """
                        INSERT INTO classes (run_id, class_index, verdict, steps, stage)
                            SELECT id, \(k), '\(verdict)', 0, 'exact' FROM runs
                        """)
                }
            }
            // A read-only store does not migrate.
            #expect(throws: ResultsDatabaseError.self) { try ResultsStore.open(location, readOnly: true) }
            let store = try ResultsStore.open(location)
            #expect(try store.version() == 2)
            let versions = try store.rowsForTesting("SELECT version FROM schema_version ORDER BY version")
            #expect(versions.integers("version") == [1, 2])
            let experiments = try store.query(.experiments(model: "old"))
            #expect(experiments.integers("unargmaxable") == [2])
            #expect(experiments.integers("argmaxable") == [1])
            #expect(experiments.integers("undecided") == [0])
            // And the migrated database takes new runs.
            _ = try store.record(sampleRun(verdicts: ["argmaxable"]))
            #expect(try store.query(.experiments(model: nil)).rows.count == 2)
        }
    }

    @Test("a run that fails half-way leaves nothing behind", arguments: TestEngine.available)
    func rollbackLeavesNothing(engine: TestEngine) throws {
        try withDatabase(engine) { location in
            let store = try ResultsStore.open(location)
            var run = sampleRun(name: "broken", verdicts: ["argmaxable", "unargmaxable", "argmaxable"])
            run.classes[2].index = 0  // the third class row collides with the first: the insert fails there
            #expect(throws: ResultsDatabaseError.self) { try store.record(run) }
            #expect(try store.query(.models(model: nil)).rows.isEmpty)
            #expect(try store.query(.experiments(model: nil)).rows.isEmpty)
            #expect(try store.rowsForTesting("SELECT COUNT(*) AS n FROM classes").integers("n") == [0])
            // The store is usable afterwards, and the corrected run is recorded.
            run.classes[2].index = 2
            guard case .inserted = try store.record(run) else {
                Issue.record("the corrected run was not inserted")
                return
            }
            #expect(try store.query(.classes(model: "broken", verdict: nil)).rows.count == 3)
        }
    }

    @Test("experiments sort by unargmaxable count; model and verdict filters", arguments: TestEngine.available)
    func queriesSortAndFilter(engine: TestEngine) throws {
        try withDatabase(engine) { location in
            let store = try ResultsStore.open(location)
            let a = try store.record(
                sampleRun(name: "Alpha_One", digest: "a", verdicts: ["unargmaxable", "argmaxable"]))
            let b = try store.record(
                sampleRun(name: "beta", digest: "b", verdicts: ["unargmaxable", "unargmaxable", "unargmaxable"]))
            let c = try store.record(sampleRun(name: "gamma", digest: "c", verdicts: ["argmaxable", "undecided"]))
            let d = try store.record(sampleRun(name: "delta", digest: "d", verdicts: ["unargmaxable", "argmaxable"]))
            let all = try store.query(.experiments(model: nil))
            #expect(all.integers("run") == [b.runID, a.runID, d.runID, c.runID])
            #expect(all.integers("unargmaxable") == [3, 1, 1, 0])
            // Case-insensitive substring of the name …
            #expect(try store.query(.experiments(model: "ALPHA")).texts("model") == ["Alpha_One"])
            // … or of the path; LIKE's wildcards are literal characters.
            #expect(try store.query(.models(model: "/models/gam")).texts("name") == ["gamma"])
            #expect(try store.query(.models(model: "_")).texts("name") == ["Alpha_One"])
            #expect(try store.query(.models(model: "%")).rows.isEmpty)
            #expect(try store.query(.models(model: nil)).texts("name") == ["Alpha_One", "beta", "delta", "gamma"])
            let unargmaxable = try store.query(.classes(model: nil, verdict: "unargmaxable"))
            #expect(unargmaxable.integers("run") == [a.runID, b.runID, b.runID, b.runID, d.runID])
            #expect(unargmaxable.integers("class_index") == [0, 0, 1, 2, 0])
            #expect(try store.query(.classes(model: "gam", verdict: "undecided")).integers("class_index") == [1])
            #expect(try store.query(.classes(model: "nothing", verdict: nil)).rows.isEmpty)
            #expect(try store.query(.classes(model: nil, verdict: "no-such-verdict")).rows.isEmpty)
        }
    }

    @Test("SQLite and PostgreSQL answer the same tables for the same runs")
    func enginesAgree() throws {
        guard TestEngine.postgresURL != nil else { return }
        var tables: [[ResultsTable]] = []
        for engine in TestEngine.allCases {
            tables.append(
                try withDatabase(engine) { location in
                    let store = try ResultsStore.open(location)
                    _ = try store.record(sampleRun(name: "x", digest: "x", verdicts: ["unargmaxable", "argmaxable"]))
                    _ = try store.record(
                        sampleRun(
                            name: "y", digest: "y", verdicts: ["undecided", "unargmaxable", "unargmaxable"],
                            tokens: ["é", "\u{0}nul", "tab\t"]))
                    return try [
                        store.query(.experiments(model: nil)), store.query(.models(model: nil)),
                        store.query(.classes(model: nil, verdict: nil)),
                        store.query(.classes(model: "Y", verdict: "unargmaxable")),
                    ]
                })
        }
        #expect(tables[0] == tables[1])
        #expect(tables[0][2].texts("token").contains("\u{FFFD}nul"))
    }

    @Test("two stores writing one database at the same time lose nothing", arguments: TestEngine.available)
    func concurrentWriters(engine: TestEngine) throws {
        try withDatabase(engine) { location in
            _ = try ResultsStore.open(location)
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                do {
                    let store = try ResultsStore.open(location)
                    for k in 0..<5 {
                        let run = sampleRun(
                            name: "w\(worker)", digest: "w\(worker)-\(k)",
                            verdicts: Array(repeating: "unargmaxable", count: 50 + k))
                        guard case .inserted = try store.record(run) else { throw ResultsDatabaseError("", "dup") }
                    }
                } catch { failures.append("\(error)") }
            }
            #expect(failures.all.isEmpty)
            let store = try ResultsStore.open(location)
            #expect(try store.query(.experiments(model: nil)).rows.count == 20)
            #expect(try store.query(.classes(model: nil, verdict: nil)).rows.count == 4 * (50 + 51 + 52 + 53 + 54))
        }
    }

    @Test("a 262144-class run records in seconds", arguments: TestEngine.available)
    func largeRun(engine: TestEngine) throws {
        try withDatabase(engine) { location in
            let store = try ResultsStore.open(location)
            let verdicts = (0..<262_144).map { $0 % 97 == 0 ? "unargmaxable" : "argmaxable" }
            let run = sampleRun(verdicts: verdicts, tokens: verdicts.indices.map { "tok\($0)" })
            let start = Date()
            _ = try store.record(run)
            let seconds = Date().timeIntervalSince(start)
            #expect(seconds < 30, "recording 262144 classes took \(seconds) s")
            #expect(try store.query(.experiments(model: nil)).integers("unargmaxable") == [Int64(2703)])
        }
    }
}

/// Error messages collected from worker threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ item: String) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
