import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `unargmax serve`: replaces itself with the separately built `unargmax-serve` (package `Server/`), so that the
/// core tool neither links nor builds the HTTP server.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a results database read-only over HTTP: a JSON/CSV API and an HTML page to browse it.",
        discussion: """
            Routes (GET and HEAD only): / (the page: experiments, a model filter, a model's unargmaxable \
            tokens), /api/experiments?model=…, /api/models?model=…, /api/classes?model=…&verdict=…, each API \
            route also with format=csv or format=text: the tables of `unargmax results`. The first line printed \
            is the URL the server listens on. See Documentation/Serve.md.

            The server is a program of its own, unargmax-serve, built by `make serve`; this command runs it \
            from beside this executable, from UNARGMAX_SERVE, or from Server/.build in the source tree this \
            executable was built in.

              unargmax check Examples/tiny-bert-mlm --db results.sqlite
              unargmax serve --db results.sqlite --port 8080
            """
    )

    @Option(help: "The results database: an SQLite file (as `unargmax check --db` writes it) or a postgresql:// URL.")
    var db = "results.sqlite"

    @Option(help: "The address to listen on. The default answers this machine only; 0.0.0.0 opens it to the network.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one (the URL printed first names it).")
    var port = 8080

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, not \(port)") }
        guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
    }

    func run() throws {
        let server = try Self.locateServer()
        let arguments = [server, "--db", db, "--host", host, "--port", String(port)]
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        fflush(nil)
        execv(server, &cArguments)
        // execv returns only when it failed.
        let reason = String(cString: strerror(errno))
        for argument in cArguments { free(argument) }
        throw CommandFailure("cannot run the server \(server): \(reason)")
    }

    /// The executable file name of the server.
    static let serverName = "unargmax-serve"

    /// The `unargmax-serve` to run: `UNARGMAX_SERVE`, else beside this executable, else the newest build in
    /// `Server/.build` of a source tree above this executable (or the working directory).
    static func locateServer() throws -> String {
        let files = FileManager.default
        if let given = ProcessInfo.processInfo.environment["UNARGMAX_SERVE"], !given.isEmpty {
            guard files.isExecutableFile(atPath: given) else {
                throw CommandFailure("UNARGMAX_SERVE=\(given) is not an executable file; unset it or run `make serve`")
            }
            return given
        }
        let executable = URL(fileURLWithPath: ownExecutable()).resolvingSymlinksInPath()
        let beside = executable.deletingLastPathComponent().appendingPathComponent(serverName).path
        if files.isExecutableFile(atPath: beside) { return beside }
        var candidates: [String] = []
        for start in [executable.deletingLastPathComponent(), URL(fileURLWithPath: files.currentDirectoryPath)] {
            var folder = start.standardizedFileURL
            while true {
                let package = folder.appendingPathComponent("Server/Package.swift").path
                if files.fileExists(atPath: package) {
                    for configuration in ["release", "debug"] {
                        candidates.append(
                            folder.appendingPathComponent("Server/.build/\(configuration)/\(serverName)").path)
                    }
                    break
                }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        let built = candidates.filter { files.isExecutableFile(atPath: $0) }
        func modified(_ path: String) -> Date {
            (try? files.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
        }
        if let newest = built.max(by: { modified($0) < modified($1) }) { return newest }
        throw CommandFailure(
            "the server (\(serverName)) is not built: run `make serve` in the source tree, or set UNARGMAX_SERVE")
    }

    /// This process's executable file (`/proc/self/exe` on Linux).
    private static func ownExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}
