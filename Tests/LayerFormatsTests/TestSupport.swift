import Foundation
import Testing
@testable import LayerFormats

/// A fresh temporary directory per test.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "layerformats-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs a Python snippet with numpy and returns its standard output. Files written BY numpy (and
/// read back BY numpy) are the real test of a reader and a writer.
@discardableResult
func python(_ code: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import numpy as np\n" + code]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw NSError(
            domain: "python", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: errorText])
    }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
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
