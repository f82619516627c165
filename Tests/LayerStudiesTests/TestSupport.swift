import Foundation
import PythonFixtures
import Testing

/// Runs `body` in a fresh directory under the temporary directory and removes it afterwards,
/// whether `body` returns or throws.
func withTemporaryDirectory<Result>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: (String) throws -> Result
) throws -> Result {
    try PythonFixtures.withTemporaryDirectory(prefix: "layerstudies", sourceLocation: sourceLocation, body)
}

/// Runs a Python snippet with numpy (imported as np, json imported) and returns its standard output.
@discardableResult
func python(_ code: String) throws -> String {
    try runPython(code, prelude: "import json\nimport numpy as np\n")
}

/// Lines "name v1 v2 …" printed by Python (`repr` of floats is their shortest round-trip form,
/// and `Double(String)` rounds correctly, so the values are exact).
func doubleLines(_ text: String) -> [String: [Double]] {
    var out: [String: [Double]] = [:]
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ")
        out[String(fields[0])] = fields.dropFirst().map { Double($0)! }
    }
    return out
}
