import Foundation
import PythonFixtures
import Testing

@testable import ResultsDatabase

/// The engines a test runs on: SQLite always, PostgreSQL when `UNARGMAX_TEST_POSTGRES_URL` names a server
/// (`make test-postgres` starts a throwaway one; see Tests/PostgreSQL/run_with_server.sh).
enum TestEngine: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgresql
    var testDescription: String { rawValue }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["UNARGMAX_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The engines available here.
    static var available: [TestEngine] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgresql] }
}

/// Runs `body` in a fresh directory under the temporary directory, removed afterwards whatever happens.
func withTemporaryDirectory<Result>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: (String) throws -> Result
) throws -> Result {
    try PythonFixtures.withTemporaryDirectory(prefix: "resultsdb", sourceLocation: sourceLocation, body)
}

/// `url` with `search_path` set to `schema` (libpq's `options` parameter).
func url(_ url: String, schema: String) -> String {
    url + (url.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
}

/// Runs `body` with the location of a new, empty results database on `engine`: an SQLite file in a
/// temporary directory, or a fresh schema on the PostgreSQL server, dropped afterwards.
func withDatabase<Result>(_ engine: TestEngine, _ body: (String) throws -> Result) throws -> Result {
    switch engine {
    case .sqlite:
        return try withTemporaryDirectory { try body($0 + "/results.sqlite") }
    case .postgresql:
        let base = try #require(TestEngine.postgresURL)
        let schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try PostgreSQLConnection(url: base, readOnly: false)
        try admin.execute("CREATE SCHEMA \(schema)", [])
        defer {
            _ = try? admin.execute("DROP SCHEMA \(schema) CASCADE", [])
            admin.close()
        }
        return try body(url(base, schema: schema))
    }
}

/// A run of a made-up model with classes of the given verdicts (index = position).
func sampleRun(
    name: String = "tiny-model", digest: String = "d1", options: String = #"{"domain":"box"}"#,
    shard: RecordedShard? = nil, verdicts: [String], tokens: [String?]? = nil
) -> RecordedRun {
    let classes = verdicts.enumerated().map { k, verdict in
        RecordedClass(
            index: k, token: tokens?[k], verdict: verdict,
            marginLower: verdict == "argmaxable" ? 0.5 + Double(k) : (verdict == "undecided" ? -0.25 : nil),
            marginUpper: verdict == "unargmaxable" ? -1.0 / Double(k + 3) : 2.5, steps: k * 3,
            stage: verdict == "argmaxable" ? "approximate" : "exact",
            certificateDigest: verdict == "undecided" ? nil : String(repeating: "ab", count: 32))
    }
    let start = Date(timeIntervalSince1970: 1_800_000_000.25)
    return RecordedRun(
        model: RecordedModel(
            path: "/models/\(name)", name: name, layerDigest: digest, classes: verdicts.count, dimension: 4,
            hasBias: true, weightsTensor: "lm_head.weight", biasTensor: nil, weightsFile: "model.safetensors",
            vocabularySource: tokens == nil ? nil : "tokenizer.json"),
        optionsJSON: options, shard: shard, toolVersion: "unargmax 0.1.0", host: "testhost", started: start,
        finished: start.addingTimeInterval(1.5), seconds: 1.25, classes: classes)
}

extension ResultsTable {
    /// The integer in `column` of every row.
    func integers(_ column: String) -> [Int64] {
        self.column(column).map { if case .integer(let n) = $0 { return n } else { return -1 } }
    }

    /// The text in `column` of every row (nil for NULL).
    func texts(_ column: String) -> [String?] {
        self.column(column).map { if case .text(let s) = $0 { return s } else { return nil } }
    }
}
