import Foundation
import PythonFixtures
import Testing

@testable import Vocabularies

/// A fresh temporary directory; the caller removes it (`defer { removeDirectory(path) }`).
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "vocabularies-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Runs a Python snippet and returns its standard output. Fixtures written by the real libraries
/// (`tokenizers`, `sentencepiece`, PyYAML) and their own reading of them are the test of the readers.
@discardableResult
func python(_ code: String) throws -> String {
    try runPython(code, prelude: "import json, sys\n")
}

/// A Python snippet's output, printed with `json.dumps`, decoded.
func pythonJSON<T: Decodable>(_ type: T.Type, _ code: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(python(code).utf8))
}

/// Sentences with non-ASCII text (Cyrillic, Japanese, accents, an emoji) and whitespace, repeated so the
/// trainers find merges; a Python list literal.
let trainingSentences = """
    ["Hello world, the quick brown fox jumps over 12 lazy dogs.", \
    "привет мир, как дела? Всё хорошо.", \
    "日本語のテキストです", "emoji 🙂 café naïve façade", "line\\nbreak\\ttab  two spaces", \
    "Ελληνικά γράμματα", "数字 2024 和 标点！"] * 20
    """

/// The kind of `VocabularyError` that loading `path` throws (nil if it loads), checking on the way that
/// the message starts with the file.
func loadError(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> VocabularyError.Kind? {
    do {
        _ = try Vocabulary.load(path: path)
        return nil
    } catch let error as VocabularyError {
        #expect(
            error.description.hasPrefix(path), "the message should start with the file: \(error)",
            sourceLocation: sourceLocation)
        return error.kind
    } catch {
        Issue.record("not a VocabularyError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

func write(_ text: String, to path: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
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

/// Tokens as their Unicode scalars: `==` on Swift strings is canonical equivalence, under which `Å`
/// (U+00C5) and `Å` (U+212B) are equal, but a vocabulary must keep them apart.
func scalars(_ tokens: [String]) -> [[Unicode.Scalar]] {
    tokens.map { Array($0.unicodeScalars) }
}
