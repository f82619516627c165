import Foundation

/// A local stand-in for the Hub, started per test: a Python `http.server` serving
/// `/{repo}/resolve/{revision}/{file}` from `root/{repo}/` (whose `.commit` holds the commit;
/// `.gated` asks for the token; `.stall` makes it never answer; `.slow` trickles config.json;
/// `.bad_etag` announces a wrong sha256),
/// with the Hub's headers (a gated repository's weights from a second port, as from a CDN)
/// (`X-Repo-Commit`, `ETag`, `X-Linked-Etag`, `X-Linked-Size`,
/// `X-Error-Code`), safetensors files redirected to `/cdn/…` as LFS files are, `Range` honoured
/// with 206, and every request logged as a JSON line so tests can count the bytes served.
final class HubServer {
    let port: Int
    let logPath: String
    private let process: Process

    init(root: String, token: String = "secret-token") throws {
        logPath = root + "/server-log.jsonl"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.scriptPath, root, logPath, token]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The server prints the port the OS chose, then nothing more.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw CocoaError(.fileReadUnknown)
        }
        self.port = port
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    func stop() {
        // SIGKILL: the child inherits the test process's blocked signals, SIGTERM among them.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    struct Request: Decodable {
        let method: String
        let path: String
        let range: String?
        let status: Int
        let bytes: Int
        /// It carried an `Authorization` header.
        let auth: Bool
    }

    /// Every request served so far.
    func requests() -> [Request] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    func clearLog() {
        try? Data().write(to: URL(fileURLWithPath: logPath))
    }

    /// The server script beside this file (also used by Tests/CrossChecks/test_hub.py).
    static let scriptPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("hub_server.py").path
}
