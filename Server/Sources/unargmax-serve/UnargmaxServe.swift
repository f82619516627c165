import ArgumentParser
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ResultsAPI
import ResultsDatabase

/// `unargmax-serve`: a results database as a read-only JSON API and an HTML page (`unargmax serve` runs it).
@main
struct UnargmaxServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unargmax-serve",
        abstract: "Serves a results database read-only: a JSON/CSV API and an HTML page to browse it.",
        discussion: """
            Routes (GET and HEAD only; every other method gets 405): / (the page), /api/experiments?model=…, \
            /api/models?model=…, /api/classes?model=…&verdict=…; each API route also takes format=csv or \
            format=text. The first line printed is the URL the server listens on. Stop it with Ctrl-C (SIGINT) \
            or SIGTERM.
            """)

    @Option(help: "The results database: a SQLite file (as `unargmax check --db` writes it) or a postgresql:// URL.")
    var db: String

    @Option(help: "The address to listen on. The default answers this machine only; 0.0.0.0 opens it to the network.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one (the URL printed first names it).")
    var port = 8080

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, not \(port)") }
        guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
    }

    func run() async throws {
        let name = ResultsAPI.displayName(of: db)
        let store: ResultsStore
        do {
            store = try ResultsStore.open(db, readOnly: true)
        } catch {
            // The store's errors name the database already.
            throw ServeFailure(
                error is ResultsDatabaseError ? "cannot serve \(error)" : "cannot serve \(name): \(error)")
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "unargmax-serve")
        logger.logLevel = .warning
        let api = ResultsAPI(store: store, databaseName: name)
        let host = self.host
        let app = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in
                let answer = api.respond(
                    to: APIRequest(method: request.method.rawValue, path: request.uri.path, query: request.uri.query))
                return Response(answer)
            },
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "unargmax-serve"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let shownHost = host.contains(":") ? "[\(host)]" : host
                let line = "http://\(shownHost):\(port)/ serving \(name) read-only (Ctrl-C stops)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            },
            logger: logger)
        do {
            try await app.runService()
        } catch let error as IOError {
            // e.g. "Address already in use" rather than NIO's description of the failed system call.
            throw ServeFailure("cannot serve on \(host):\(port): \(String(cString: strerror(error.errnoCode)))")
        } catch {
            throw ServeFailure("cannot serve on \(host):\(port): \(error)")
        }
    }
}

/// A failure with a complete message; ArgumentParser prints it as "Error: …" and exits 1.
struct ServeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Response {
    /// The Hummingbird response for an API response.
    init(_ answer: APIResponse) {
        var fields = HTTPFields()
        fields[.contentType] = answer.contentType
        for header in answer.headers {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        fields[.contentLength] = String(answer.contentLength)
        var buffer = ByteBuffer()
        buffer.writeBytes(answer.body)
        self.init(
            status: HTTPResponse.Status(code: answer.status), headers: fields, body: ResponseBody(byteBuffer: buffer))
    }
}
