import Foundation
import Testing
import PythonFixtures

/// Runs `body` with a fresh temporary directory that is removed afterwards, even when it throws.
func withTemporaryDirectory<Result>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: (String) throws -> Result
) throws -> Result {
    try PythonFixtures.withTemporaryDirectory(prefix: "outputheads", sourceLocation: sourceLocation, body)
}

/// Runs a Python snippet (numpy as np, safetensors' numpy writer as save_file, json) and returns
/// its standard output: fixtures written by the real libraries.
@discardableResult
func python(_ code: String) throws -> String {
    try runPython(
        code, prelude: "import json, os\nimport numpy as np\nfrom safetensors.numpy import save_file\n")
}

/// Writes `config.json` with these fields.
func writeConfig(_ folder: String, _ fields: String) throws {
    try fields.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
}
