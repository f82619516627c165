import Foundation

/// Runs a Python snippet — `prelude` (imports) then `code` — and returns its standard output,
/// trimmed. Test fixtures are written by the real libraries (numpy, safetensors, gguf, tokenizers,
/// sentencepiece) through this, so a reader is tested against what the ecosystem writes, not
/// against our own writer. A failing snippet throws with Python's standard error as the message.
/// Bytecode is not written, so tests leave no `__pycache__` behind.
public func runPython(
    _ code: String, prelude: String = "", arguments: [String] = [], environment extra: [String: String] = [:]
) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", prelude + code] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    for (key, value) in extra { environment[key] = value }
    process.environment = environment
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
