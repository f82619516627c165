import Foundation
import PythonFixtures
import Testing
@testable import LayerFormats

/// Runs `body` in a fresh directory under the temporary directory (`TMPDIR`) and removes that
/// directory with everything in it afterwards, whether `body` returns or throws: the tests leave
/// nothing behind. A directory that cannot be removed is a test failure, not a silent leak.
func withTemporaryDirectory<Result>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: (String) throws -> Result
) throws -> Result {
    try PythonFixtures.withTemporaryDirectory(prefix: "layerformats", sourceLocation: sourceLocation, body)
}

/// Runs a Python snippet with numpy and returns its standard output. Files written BY numpy (and
/// read back BY numpy) are the real test of a reader and a writer.
@discardableResult
func python(_ code: String) throws -> String {
    try runPython(code, prelude: "import numpy as np\n")
}

/// The kind of `LayerFormatError` that loading `path` throws (nil if it loads), checking on the
/// way that the message names the file.
func loadError(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> LayerFormatError.Kind? {
    do {
        _ = try LayerArrays.load(path: path)
        return nil
    } catch let error as LayerFormatError {
        #expect(
            error.description.hasPrefix(path), "the message should start with the file: \(error)",
            sourceLocation: sourceLocation)
        return error.kind
    } catch {
        Issue.record("not a LayerFormatError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// A tiny seeded generator so the fuzz cases are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}

/// The reference matrix W[i, j] = i − 0.25·j: exact in float16, float32 and float64.
func referenceMatrix(_ rows: Int, _ columns: Int) -> [Float] {
    (0..<rows).flatMap { i in (0..<columns).map { j in Float(i) - 0.25 * Float(j) } }
}

/// The same matrix as a numpy expression.
func numpyReference(_ rows: Int, _ columns: Int) -> String {
    "(np.arange(\(rows))[:, None] - 0.25 * np.arange(\(columns))[None, :])"
}

@Suite("Test support")
struct TestSupportTests {
    @Test("withTemporaryDirectory removes its directory, with files in it, when the body returns and when it throws")
    func temporaryDirectoryIsRemoved() throws {
        struct Boom: Error {}
        var seen: [String] = []
        let value = try withTemporaryDirectory { dir in
            seen.append(dir)
            try write([1, 2, 3], to: "\(dir)/file")
            return 42
        }
        #expect(value == 42)
        #expect(throws: Boom.self) {
            try withTemporaryDirectory { dir in
                seen.append(dir)
                try FileManager.default.createDirectory(atPath: "\(dir)/sub", withIntermediateDirectories: false)
                try write([1], to: "\(dir)/sub/file")
                throw Boom()
            }
        }
        #expect(seen.count == 2 && seen[0] != seen[1])
        for dir in seen { #expect(!FileManager.default.fileExists(atPath: dir), "\(dir)") }
    }
}
