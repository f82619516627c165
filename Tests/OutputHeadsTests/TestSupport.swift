import Foundation

/// Runs `body` with a fresh temporary directory that is removed afterwards, even when it throws.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "outputheads-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Runs a Python snippet (numpy as np, safetensors' numpy writer as save_file, json) and returns
/// its standard output: fixtures written by the real libraries.
@discardableResult
func python(_ code: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    let prelude = "import json, os\nimport numpy as np\nfrom safetensors.numpy import save_file\n"
    process.arguments = ["python3", "-c", prelude + code]
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

/// Writes `config.json` with these fields.
func writeConfig(_ folder: String, _ fields: String) throws {
    try fields.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
}
