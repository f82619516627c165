import Foundation
import ResultsDatabase
import Testing

@testable import ResultsAPI

/// A real SQLite results database in a fresh temporary folder (removed by `remove()`), holding one run of a
/// three-class layer whose unargmaxable class has a markup token.
struct TemporaryDatabase {
    let folder: URL
    let path: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("results-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent("results.db").path
        let store = try ResultsStore.open(path)
        let model = RecordedModel(
            path: "/models/Markup-LM", name: "Markup-LM", layerDigest: String(repeating: "ab", count: 32),
            classes: 3, dimension: 2, hasBias: true)
        let classes = [
            RecordedClass(
                index: 0, token: "a", verdict: "argmaxable", marginLower: 1, marginUpper: 2, steps: 1,
                stage: "braid"),
            RecordedClass(
                index: 1, token: "<script>x</script>", verdict: "unargmaxable", marginLower: -2,
                marginUpper: -1, steps: 2, stage: "lp"),
            RecordedClass(
                index: 2, token: "b,\"c\"", verdict: "argmaxable", marginLower: 0.5, marginUpper: 3,
                steps: 1, stage: "braid"),
        ]
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try store.record(
            RecordedRun(
                model: model, optionsJSON: "{}", toolVersion: "0.1.0", host: "test", started: now, finished: now,
                seconds: 0.5, classes: classes))
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

@Suite("ResultsAPI: routes over a real results database")
struct ResultsAPITests {
    @Test("The API's tables are the store's own JSON, CSV and text")
    func tablesEqualTheStore() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try ResultsStore.open(database.path, readOnly: true)
        let api = ResultsAPI(store: store, databaseName: "results.db")
        let cases: [(String, ResultsQuery)] = [
            ("/api/experiments", .experiments(model: nil)),
            ("/api/models?model=markup", .models(model: "markup")),
            ("/api/classes?model=MARKUP&verdict=unargmaxable", .classes(model: "MARKUP", verdict: "unargmaxable")),
            ("/api/classes?verdict=argmaxable", .classes(model: nil, verdict: "argmaxable")),
        ]
        for (target, query) in cases {
            let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
            let table = try store.query(query)
            let path = parts[0]
            let base = parts.count > 1 ? parts[1] + "&" : ""
            let json = api.respond(to: APIRequest(method: "GET", path: path, query: parts.count > 1 ? parts[1] : nil))
            #expect(json.status == 200)
            #expect(json.contentType == "application/json; charset=utf-8")
            #expect(json.text == table.json())
            let csv = api.respond(to: APIRequest(method: "GET", path: path, query: base + "format=csv"))
            #expect(csv.contentType == "text/csv; charset=utf-8")
            #expect(csv.text == table.csv())
            let text = api.respond(to: APIRequest(method: "GET", path: path, query: base + "format=text"))
            #expect(text.text == table.text())
        }
        let unargmaxable = try store.query(.classes(model: "markup", verdict: "unargmaxable"))
        #expect(unargmaxable.rows.count == 1)
    }

    @Test("HEAD has GET's headers and length and no body; writing methods get 405 with Allow")
    func methods() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let api = ResultsAPI(store: try ResultsStore.open(database.path, readOnly: true), databaseName: "db")
        for path in ["/", "/api/experiments", "/api/classes"] {
            let get = api.respond(to: APIRequest(method: "GET", path: path))
            let head = api.respond(to: APIRequest(method: "HEAD", path: path))
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(head.contentLength == get.body.count && head.contentType == get.contentType)
            for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
                let refused = api.respond(to: APIRequest(method: method, path: path))
                #expect(refused.status == 405)
                #expect(refused.headers == [APIHeader("Allow", "GET, HEAD")])
                #expect(refused.text.contains("read-only"))
            }
        }
    }

    @Test("Bad parameters are 400 and unknown paths 404, each with a JSON error naming the problem")
    func errors() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let api = ResultsAPI(store: try ResultsStore.open(database.path, readOnly: true), databaseName: "db")
        let cases: [(String, String?, Int, String)] = [
            ("/api/classes", "verdict=perhaps", 400, "unknown verdict 'perhaps'"),
            ("/api/classes", "model=a&model=b", 400, "'model' given twice"),
            ("/api/models", "verdict=argmaxable", 400, "unknown query parameter 'verdict' for /api/models"),
            ("/api/experiments", "format=xml", 400, "unknown format 'xml'"),
            ("/api/experiments", "model=%E0%A4%A", 400, "malformed percent-encoding"),
            ("/api/experiments", "=x", 400, "without a name"),
            ("/api/nothing", nil, 404, "no such resource: /api/nothing"),
            ("/index.php", nil, 404, "no such resource"),
        ]
        for (path, query, status, message) in cases {
            let response = api.respond(to: APIRequest(method: "GET", path: path, query: query))
            #expect(response.status == status, "\(path)?\(query ?? "")")
            #expect(response.contentType == "application/json; charset=utf-8")
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: String]
            #expect(object?["error"]?.contains(message) == true, "\(response.text)")
        }
    }

    @Test("Query strings decode + and percent escapes; an empty filter is no filter; a trailing slash is ignored")
    func queryDecoding() throws {
        #expect(try ResultsAPI.parameters(of: "model=a+b%20c%2B&verdict=") == ["model": "a b c+", "verdict": ""])
        #expect(try ResultsAPI.parameters(of: nil) == [:])
        #expect(try ResultsAPI.parameters(of: "&&model=x&") == ["model": "x"])
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let api = ResultsAPI(store: try ResultsStore.open(database.path, readOnly: true), databaseName: "db")
        let all = api.respond(to: APIRequest(method: "GET", path: "/api/models"))
        #expect(api.respond(to: APIRequest(method: "GET", path: "/api/models/", query: "model=")) == all)
        let none = api.respond(to: APIRequest(method: "GET", path: "/api/models", query: "model=no+such+model"))
        #expect(none.status == 200 && none.text != all.text)
    }

    @Test("The page escapes the database name; shown URLs drop their credentials")
    func pageAndNames() {
        let page = ResultsPage.html(databaseName: "<b>&\"x\"")
        #expect(page.contains("&lt;b&gt;&amp;&quot;x&quot;") && !page.contains("<b>&"))
        #expect(!page.contains("{{DATABASE}}"))
        let shown = ResultsAPI.displayName(of: "postgresql://alice:s3cret@db.example:5432/results?sslmode=require")
        #expect(shown == "postgresql://db.example:5432/results")
        #expect(ResultsAPI.displayName(of: "/data/results.db") == "/data/results.db")
        #expect(ResultsTable.jsonString("a\"b\\\n\u{1}") == "\"a\\\"b\\\\\\n\\u0001\"")
    }
}
