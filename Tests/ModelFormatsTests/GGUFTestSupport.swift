import Foundation
import PythonFixtures
import Testing
@testable import ModelFormats

/// A fresh temporary directory; the caller removes it (`defer`) so tests leave nothing behind.
func ggufTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "gguf-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs a Python snippet with numpy and the `gguf` package and returns its standard output.
/// Fixtures written BY gguf-py and values dequantised BY gguf-py are the reference.
@discardableResult
func ggufPython(_ code: String) throws -> String {
    try runPython(code, prelude: "import numpy as np\nimport gguf\n")
}

/// Little-endian float32 values from a raw file (numpy's `astype('<f4').tofile`).
func readFloat32File(_ path: String) throws -> [Float] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return data.withUnsafeBytes { raw in
        (0..<(raw.count / 4)).map {
            Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
        }
    }
}

/// Index of the first value that differs in bits (any NaN matches any NaN), nil when all agree.
func firstBitDifference(_ a: [Float], _ b: [Float]) -> Int? {
    guard a.count == b.count else { return min(a.count, b.count) }
    return a.indices.first { i in !(a[i].isNaN && b[i].isNaN) && a[i].bitPattern != b[i].bitPattern }
}

/// The kind of `ModelFormatError` that opening `path` throws (nil if it opens), checking that the
/// message starts with the file.
func ggufOpenError(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> ModelFormatError.Kind? {
    do {
        _ = try GGUFFile(path: path)
        return nil
    } catch let error as ModelFormatError {
        #expect(error.path == path, sourceLocation: sourceLocation)
        #expect(
            error.description.hasPrefix(path + ": "), "the message should start with the file: \(error)",
            sourceLocation: sourceLocation)
        return error.kind
    } catch {
        Issue.record("not a ModelFormatError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A GGUF file built byte by byte, for headers gguf-py would never write.
struct GGUFBuilder {
    struct Tensor {
        var name: String
        /// Innermost first, as GGUF stores it.
        var ne: [UInt64]
        var type: UInt32
        var offset: UInt64
    }

    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    /// Each entry: the key and its encoded type + value (see `value`).
    var metadata: [(String, [UInt8])] = []
    var tensors: [Tensor] = []
    var alignment = 32
    /// Bytes of the data section (after the padding that aligns its start).
    var data: [UInt8] = []
    /// Overrides the counts written in the header (to claim more than there is).
    var tensorCount: UInt64?
    var metadataCount: UInt64?

    static func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    static func u64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    static func string(_ text: String) -> [UInt8] { u64(UInt64(text.utf8.count)) + Array(text.utf8) }

    /// A uint32 metadata value with its type.
    static func uint32Value(_ value: UInt32) -> [UInt8] { u32(4) + u32(value) }
    /// A string metadata value with its type.
    static func stringValue(_ text: String) -> [UInt8] { u32(8) + string(text) }

    var bytes: [UInt8] {
        var out = magic + Self.u32(version)
        out += Self.u64(tensorCount ?? UInt64(tensors.count)) + Self.u64(metadataCount ?? UInt64(metadata.count))
        for (key, value) in metadata { out += Self.string(key) + value }
        for tensor in tensors {
            out += Self.string(tensor.name) + Self.u32(UInt32(tensor.ne.count))
            for extent in tensor.ne { out += Self.u64(extent) }
            out += Self.u32(tensor.type) + Self.u64(tensor.offset)
        }
        while out.count % alignment != 0 { out.append(0) }
        return out + data
    }

    func write(to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}

/// A tiny seeded generator so the mutations are the same on every run.
struct GGUFSeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}
