import Foundation
import Testing

/// Runs `body` in a fresh directory under the temporary directory (`TMPDIR`), named `prefix-UUID`,
/// and removes that directory with everything in it afterwards, whether `body` returns or throws: the
/// tests leave nothing behind. A directory that cannot be removed is a test failure, not a silent leak.
public func withTemporaryDirectory<Result>(
    prefix: String = "unargmax-test", sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (String) throws -> Result
) throws -> Result {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            Issue.record("could not remove the temporary directory \(path): \(error)", sourceLocation: sourceLocation)
        }
    }
    return try body(path)
}
