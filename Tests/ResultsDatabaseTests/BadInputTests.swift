import Foundation
import Testing

@testable import ResultsDatabase

/// Bad databases get one clear line naming the database, never a crash.
@Suite("ResultsStore bad input")
struct BadInputTests {
    func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as ResultsDatabaseError { return error.description } catch {
            return "unexpected error type: \(error)"
        }
        return nil
    }

    @Test("a file that is not SQLite, a corrupt one, a directory, a missing directory")
    func notSQLite() throws {
        try withTemporaryDirectory { dir in
            let text = dir + "/notes.sqlite"
            try Data("these are not the bytes of a database\n".utf8 + Data(count: 4096)).write(
                to: URL(fileURLWithPath: text))
            let notDB = message { _ = try ResultsStore.open(text) }
            #expect(notDB?.hasPrefix(text + ": ") == true)
            #expect(notDB?.contains("not an SQLite database") == true)

            // A real results database with its page contents overwritten.
            let corrupt = dir + "/corrupt.sqlite"
            do { _ = try ResultsStore.open(corrupt).record(sampleRun(verdicts: ["argmaxable"])) }
            try? FileManager.default.removeItem(atPath: corrupt + "-wal")
            try? FileManager.default.removeItem(atPath: corrupt + "-shm")
            var bytes = try Data(contentsOf: URL(fileURLWithPath: corrupt))
            for k in 100..<bytes.count { bytes[k] = UInt8(truncatingIfNeeded: k &* 31) }
            try bytes.write(to: URL(fileURLWithPath: corrupt))
            let corrupted = message {
                let store = try ResultsStore.open(corrupt)
                _ = try store.query(.classes(model: nil, verdict: nil))
            }
            #expect(corrupted?.hasPrefix(corrupt + ": ") == true)
            #expect(corrupted != nil)

            let directory = message { _ = try ResultsStore.open(dir) }
            #expect(directory == "\(dir): is a directory, not a database file")
            let missing = message { _ = try ResultsStore.open(dir + "/no/such/dir/results.sqlite") }
            #expect(missing?.contains("does not exist") == true)
            let readOnlyMissing = message { _ = try ResultsStore.open(dir + "/absent.sqlite", readOnly: true) }
            #expect(readOnlyMissing == "\(dir)/absent.sqlite: no such results database (file not found)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/absent.sqlite"))
        }
    }

    @Test("an SQLite database of something else, and a newer schema version")
    func notOurs() throws {
        try withTemporaryDirectory { dir in
            let other = dir + "/other.sqlite"
            let connection = try SQLiteConnection(path: other, readOnly: false)
            try connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)", [])
            connection.close()
            let notOurs = message { _ = try ResultsStore.open(other) }
            #expect(notOurs?.contains("not a results database of unargmax") == true)
            #expect(notOurs?.contains("invoices") == true)

            let newer = dir + "/newer.sqlite"
            do {
                let store = try ResultsStore.open(newer)
                try store.executeForTesting(
                    "INSERT INTO schema_version (version, applied, description) VALUES (99, 'later', 'future')")
            }
            let tooNew = message { _ = try ResultsStore.open(newer) }
            #expect(tooNew == "\(newer): schema version 99 is newer than this unargmax knows (2); use a newer unargmax")

            let empty = dir + "/empty.sqlite"
            _ = FileManager.default.createFile(atPath: empty, contents: Data())
            let emptyReadOnly = message { _ = try ResultsStore.open(empty, readOnly: true) }
            #expect(emptyReadOnly?.contains("not a results database") == true)
            // Writable, an empty file becomes a results database.
            #expect(try ResultsStore.open(empty).version() == 2)
            #expect(message { _ = try ResultsStore.open(empty, readOnly: true).record(sampleRun(verdicts: [])) } != nil)
        }
    }

    @Test("unreachable and malformed PostgreSQL URLs: one line, password hidden")
    func badURLs() throws {
        let refused = message { _ = try ResultsStore.open("postgresql://someone:s3cret@127.0.0.1:1/results") }
        #expect(refused?.hasPrefix("postgresql://someone:***@127.0.0.1:1/results: cannot connect: ") == true)
        #expect(refused?.contains("s3cret") == false)
        #expect(refused?.contains("\n") == false)
        let malformed = message { _ = try ResultsStore.open("postgresql://host:notaport/db") }
        #expect(malformed?.hasPrefix("postgresql://host:notaport/db: cannot connect: ") == true)
        let badQuery = message { _ = try ResultsStore.open("postgres://localhost/db?nonsense_option=1") }
        #expect(badQuery?.contains("nonsense_option") == true)
        let otherScheme = message { _ = try ResultsStore.open("mysql://localhost/db") }
        #expect(otherScheme?.contains("not a database location") == true)
        #expect(ResultsStore.displayName("postgresql://u:p@h/d") == "postgresql://u:***@h/d")
        #expect(ResultsStore.displayName("postgresql://u@h/d") == "postgresql://u@h/d")
        #expect(ResultsStore.displayName("results.sqlite") == "results.sqlite")
    }
}
