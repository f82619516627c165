import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One finished HTTP exchange.
struct HTTPResult {
    let status: Int
    /// The final response's headers, names lowercased.
    let headers: [String: String]
    /// The first response's headers (the Hub's own, before a redirect to a CDN): only they carry
    /// `X-Repo-Commit`, `X-Linked-Etag` and `X-Linked-Size` for LFS files. Equal to `headers` without redirect.
    let hubHeaders: [String: String]
    /// The body when it was not written to a file (error bodies are cut at 64 KiB).
    let body: Data
    /// Body bytes received, whether kept in memory or written to the file.
    let received: Int
}

/// What to do with a response's body, decided when its status and headers arrive.
enum BodyDestination {
    /// Into the file, starting at this offset (the file is truncated there first).
    case file(offset: Int)
    /// Into memory, at most this many bytes (more is an error: a server that ignored `Range`).
    case memory(limit: Int)
    /// Abort the transfer with this reason.
    case refuse(String)
}

/// A transport failure: no HTTP status to report (refused, DNS, TLS, stalled, a local write error).
struct TransferFailure: Error {
    let reason: String
}

/// Synchronous HTTP over `URLSession` for a synchronous CLI: a data task whose delegate streams the
/// body to a file as it arrives (never holding a large range in memory), a watchdog that cancels a
/// transfer after `stallTimeout` seconds without a byte, and redirects that keep `Range` (and
/// `Authorization` only within the same scheme, host and port, so a token is never sent to a CDN).
struct HTTPClient: Sendable {
    var token: String?
    var stallTimeout: TimeInterval
    var userAgent = "unargmax-modelhub/1"

    func perform(
        _ url: URL, method: String = "GET", range: String? = nil, sink: FileHandle? = nil,
        progress: (@Sendable (_ received: Int) -> Void)? = nil,
        destination: @escaping @Sendable (_ status: Int, _ headers: [String: String]) -> BodyDestination
    ) throws(TransferFailure) -> HTTPResult {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = stallTimeout
        request.cachePolicy = .reloadIgnoringLocalCacheData
        // Sizes are checked against Content-Length, so the body must not be transparently decompressed.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        if let range { request.setValue(range, forHTTPHeaderField: "Range") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = stallTimeout
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false
        let delegate = TransferDelegate(original: request, sink: sink, progress: progress, destination: destination)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        defer { session.invalidateAndCancel() }
        let task = session.dataTask(with: request)
        task.resume()

        // The watchdog: URLSession's own timeout is the first line; this one also catches a session
        // that never calls back, so a request can never hang the CLI.
        while delegate.done.wait(timeout: .now() + min(stallTimeout, 0.5)) == .timedOut {
            if Date().timeIntervalSince(delegate.lastProgress) > stallTimeout {
                delegate.abandon("no data for \(Int(stallTimeout)) s")
                task.cancel()
                _ = delegate.done.wait(timeout: .now() + 5)
                break
            }
        }
        return try delegate.result()
    }
}

/// Collects one task's response; every field is guarded by `lock` (callbacks run on the session's
/// queue, the waiting thread reads the result).
private final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private let original: URLRequest
    private let sink: FileHandle?
    private let progressHandler: (@Sendable (Int) -> Void)?
    private let destination: @Sendable (Int, [String: String]) -> BodyDestination
    private var status = 0
    private var headers: [String: String] = [:]
    private var hubHeaders: [String: String]?
    private var mode = BodyDestination.memory(limit: 0)
    private var body = Data()
    private var received = 0
    private var failure: String?
    private var redirects = 0
    private var progress = Date()
    private var abandoned = false

    init(
        original: URLRequest, sink: FileHandle?, progress: (@Sendable (Int) -> Void)?,
        destination: @escaping @Sendable (Int, [String: String]) -> BodyDestination
    ) {
        self.original = original
        self.sink = sink
        self.progressHandler = progress
        self.destination = destination
    }

    var lastProgress: Date { lock.withLock { progress } }

    func fail(_ reason: String) {
        lock.withLock { if failure == nil { failure = reason } }
    }

    /// Fails the transfer and ignores whatever the session still delivers: the caller is about to
    /// return and close the file.
    func abandon(_ reason: String) {
        lock.withLock {
            if failure == nil { failure = reason }
            abandoned = true
        }
    }

    func result() throws(TransferFailure) -> HTTPResult {
        lock.lock()
        let failure = self.failure
        let result = HTTPResult(
            status: status, headers: headers, hubHeaders: hubHeaders ?? headers, body: body, received: received)
        lock.unlock()
        if let failure { throw TransferFailure(reason: failure) }
        return result
    }

    private static func lowercased(_ response: HTTPURLResponse) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in response.allHeaderFields {
            if let key = key as? String, let value = value as? String { result[key.lowercased()] = value }
        }
        return result
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        let next: URLRequest? = lock.withLock {
            progress = Date()
            redirects += 1
            if hubHeaders == nil { hubHeaders = Self.lowercased(response) }
            guard redirects <= 10, let url = request.url else {
                failure = failure ?? "more than 10 redirects"
                return nil
            }
            // Rebuilt from the original so that Range and the method survive every hop.
            var next = original
            next.url = url
            let sameOrigin =
                url.host == original.url?.host && url.port == original.url?.port
                && url.scheme == original.url?.scheme
            if !sameOrigin { next.setValue(nil, forHTTPHeaderField: "Authorization") }
            return next
        }
        completionHandler(next)
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        guard let http = response as? HTTPURLResponse else {
            fail("not an HTTP response")
            completionHandler(.cancel)
            return
        }
        let fields = Self.lowercased(http)
        let chosen = destination(http.statusCode, fields)
        let proceed: Bool = lock.withLock {
            guard !abandoned else { return false }
            progress = Date()
            status = http.statusCode
            headers = fields
            mode = chosen
            switch chosen {
            case .refuse(let reason):
                failure = failure ?? reason
                return false
            case .file(let offset):
                guard let sink else {
                    failure = failure ?? "no file to write to"
                    return false
                }
                do {
                    try sink.truncate(atOffset: UInt64(offset))
                    try sink.seek(toOffset: UInt64(offset))
                } catch {
                    failure = failure ?? "cannot write the download: \(error.localizedDescription)"
                    return false
                }
                return true
            case .memory:
                return true
            }
        }
        completionHandler(proceed ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let (keepGoing, total, isSuccess): (Bool, Int, Bool) = lock.withLock {
            (write(data), received, (200..<300).contains(status))
        }
        if keepGoing, isSuccess { progressHandler?(total) }
        if !keepGoing { dataTask.cancel() }
    }

    /// Stores a chunk as the response's destination says; false stops the transfer. Called under `lock`.
    private func write(_ data: Data) -> Bool {
        guard !abandoned else { return false }
        progress = Date()
        received += data.count
        switch mode {
        case .file:
            do { try sink?.write(contentsOf: data) } catch {
                failure = failure ?? "cannot write the download: \(error.localizedDescription)"
                return false
            }
        case .memory(let limit):
            if !(200..<300).contains(status) {
                // Only the start of an error page is kept, for its message.
                if body.count < 65_536 { body.append(data.prefix(65_536 - body.count)) }
            } else if received > limit {
                failure = failure ?? "the response is longer than the \(limit) bytes asked for"
                return false
            } else {
                body.append(data)
            }
        case .refuse:
            return false
        }
        return true
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.withLock {
            if let error, failure == nil { failure = error.localizedDescription }
        }
        done.signal()
    }
}
