import Foundation
import ResultsDatabase

/// An HTTP request as the API sees it: the method, the path and the raw (still percent-encoded) query.
public struct APIRequest: Sendable, Equatable {
    /// The HTTP method, upper case (`GET`, `HEAD`, `POST`, …).
    public var method: String
    /// The path without the query, e.g. `/api/classes`.
    public var path: String
    /// The query string after `?`, percent-encoded as it arrived; nil when the target has no `?`.
    public var query: String?

    /// A request with the given method, path and raw query.
    public init(method: String, path: String, query: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
    }
}

/// An HTTP response: status, content type, extra headers and the body (empty for `HEAD`).
public struct APIResponse: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// The `Content-Type` header, with its charset.
    public var contentType: String
    /// Headers besides `Content-Type` and `Content-Length` (e.g. `Allow` on a 405), in order.
    public var headers: [APIHeader]
    /// The body's bytes (UTF-8 text). For `HEAD` it is empty and `contentLength` gives the `GET` body's size.
    public var body: [UInt8]
    /// The `Content-Length` to send: the size of the body a `GET` would return.
    public var contentLength: Int

    /// A response whose body is `text` (dropped, but still counted in `contentLength`, when `head` is true).
    public init(status: Int, contentType: String, headers: [APIHeader] = [], text: String, head: Bool = false) {
        let bytes = Array(text.utf8)
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = head ? [] : bytes
        self.contentLength = bytes.count
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// One HTTP header field.
public struct APIHeader: Sendable, Equatable {
    /// The field name, e.g. `Allow`.
    public var name: String
    /// The field value.
    public var value: String

    /// A header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The read-only routes over a results database, independent of any HTTP library:
///
/// - `GET /`: the HTML page (``ResultsPage``).
/// - `GET /api/experiments?model=…`, `GET /api/models?model=…`, `GET /api/classes?model=…&verdict=…`:
///   the `ResultsQuery` tables, as JSON (the default) or, with `format=csv` or `format=text`, as CSV or text.
///
/// `HEAD` answers like `GET` without the body; every other method gets 405. Unknown paths get 404, unknown or
/// repeated parameters, a bad `format` or `verdict` 400, a database failure 500; every error body is
/// `{"error": "…"}`. The store is used from one request at a time.
public final class ResultsAPI: @unchecked Sendable {
    /// The verdicts `verdict=` accepts: the report's verdict strings.
    public static let verdicts = ["argmaxable", "unargmaxable", "undecided"]
    /// The output formats `format=` accepts.
    public static let formats = ["json", "csv", "text"]

    private let store: ResultsStore
    private let lock = NSLock()
    private let page: String

    /// Routes over `store`; `databaseName` (no credentials) is shown on the page.
    public init(store: ResultsStore, databaseName: String) {
        self.store = store
        self.page = ResultsPage.html(databaseName: databaseName)
    }

    /// The database's location as it may be shown: a file's path as given, a URL without its user and password.
    public static func displayName(of location: String) -> String {
        guard location.contains("://"), var components = URLComponents(string: location) else { return location }
        components.user = nil
        components.password = nil
        components.query = nil
        return components.string ?? location
    }

    /// The response to `request`.
    public func respond(to request: APIRequest) -> APIResponse {
        let head = request.method == "HEAD"
        guard request.method == "GET" || head else {
            return Self.error(
                405, "method \(request.method) not allowed: this API is read-only (GET and HEAD only)",
                headers: [APIHeader("Allow", "GET, HEAD")])
        }
        var path = request.path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        let parameters: [String: String]
        do {
            parameters = try Self.parameters(of: request.query)
        } catch let failure as QueryFailure {
            return Self.error(400, failure.message, head: head)
        } catch {
            return Self.error(400, "malformed query string", head: head)
        }
        switch path {
        case "/", "/index.html":
            if let unknown = parameters.keys.sorted().first(where: { $0 != "model" }) {
                return Self.error(400, "unknown query parameter '\(unknown)' for / (expected: model)", head: head)
            }
            return APIResponse(
                status: 200, contentType: "text/html; charset=utf-8",
                headers: [
                    APIHeader("Content-Security-Policy", ResultsPage.contentSecurityPolicy),
                    APIHeader("X-Content-Type-Options", "nosniff"),
                ], text: page, head: head)
        case "/api/experiments":
            return table(path, parameters, allowed: ["model", "format"], head: head) {
                .experiments(model: $0["model"])
            }
        case "/api/models":
            return table(path, parameters, allowed: ["model", "format"], head: head) { .models(model: $0["model"]) }
        case "/api/classes":
            if let verdict = parameters["verdict"], !Self.verdicts.contains(verdict) {
                return Self.error(
                    400,
                    "unknown verdict '\(verdict)' (expected one of: \(Self.verdicts.joined(separator: ", ")))",
                    head: head)
            }
            return table(path, parameters, allowed: ["model", "verdict", "format"], head: head) {
                .classes(model: $0["model"], verdict: $0["verdict"])
            }
        default:
            return Self.error(
                404,
                "no such resource: \(request.path) (try /, /api/experiments, /api/models or /api/classes)",
                head: head)
        }
    }

    /// A query route: checks the parameters, runs the query, renders the table in the requested format.
    private func table(
        _ path: String, _ parameters: [String: String], allowed: [String], head: Bool,
        query: ([String: String]) -> ResultsQuery
    ) -> APIResponse {
        if let unknown = parameters.keys.sorted().first(where: { !allowed.contains($0) }) {
            let expected = allowed.joined(separator: ", ")
            return Self.error(
                400, "unknown query parameter '\(unknown)' for \(path) (expected: \(expected))", head: head)
        }
        let format = parameters["format"] ?? "json"
        guard Self.formats.contains(format) else {
            return Self.error(
                400, "unknown format '\(format)' (expected one of: \(Self.formats.joined(separator: ", ")))",
                head: head)
        }
        // An empty filter (`?model=`, as an emptied search box sends it) is no filter.
        let filters = parameters.filter { $0.key != "format" && !$0.value.isEmpty }
        let table: ResultsTable
        do {
            lock.lock()
            defer { lock.unlock() }
            table = try store.query(query(filters))
        } catch {
            return Self.error(500, "\(error)", head: head)
        }
        switch format {
        case "csv":
            return APIResponse(status: 200, contentType: "text/csv; charset=utf-8", text: table.csv(), head: head)
        case "text":
            return APIResponse(status: 200, contentType: "text/plain; charset=utf-8", text: table.text(), head: head)
        default:
            return APIResponse(
                status: 200, contentType: "application/json; charset=utf-8", text: table.json(), head: head)
        }
    }

    /// `{"error": message}` with the given status.
    static func error(_ status: Int, _ message: String, headers: [APIHeader] = [], head: Bool = false) -> APIResponse {
        APIResponse(
            status: status, contentType: "application/json; charset=utf-8", headers: headers,
            text: "{\"error\": \(ResultsTable.jsonString(message))}\n", head: head)
    }

    /// A query parameter problem, answered with 400.
    struct QueryFailure: Error {
        let message: String
    }

    /// The `application/x-www-form-urlencoded` query as a dictionary (`+` is a space); a repeated name, a
    /// parameter without a name or bad percent-encoding is a `QueryFailure`.
    static func parameters(of query: String?) throws -> [String: String] {
        var parameters: [String: String] = [:]
        for piece in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) throws -> String {
                guard let text = part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw QueryFailure(message: "malformed percent-encoding in query parameter '\(piece)'")
                }
                return text
            }
            let name = try decode(parts[0])
            let value = parts.count > 1 ? try decode(parts[1]) : ""
            guard !name.isEmpty else { throw QueryFailure(message: "query parameter without a name: '\(piece)'") }
            guard parameters[name] == nil else { throw QueryFailure(message: "query parameter '\(name)' given twice") }
            parameters[name] = value
        }
        return parameters
    }
}
