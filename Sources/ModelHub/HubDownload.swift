import Checksums
import Foundation

/// One online resolution: the state of a `HubClient.resolve` call that goes to the network.
final class HubDownload {
    let client: HubClient
    let id: HubModelID
    let revision: String
    let cache: HubCache
    /// Known from the first response; later requests name it instead of the branch so that every
    /// file comes from the same commit even if the branch moves meanwhile.
    var commit: String?
    var downloaded = 0
    var notes: [String] = []

    init(client: HubClient, id: HubModelID, revision: String, cache: HubCache) {
        self.client = client
        self.id = id
        self.revision = revision
        self.cache = cache
        commit = HubCache.isCommitHash(revision) ? revision : nil
    }

    /// What a HEAD request says about a file.
    struct FileMetadata {
        let url: URL
        let commit: String
        /// Without quotes or `W/`: a sha256 for LFS files, a git blob hash for others.
        let etag: String
        let size: Int?
    }

    func run(headTensors: (HubHeadQuery) throws -> [String]) throws -> HubResolution {
        var linked: [String] = []
        if let config = try metadata("config.json") {
            try downloadWhole("config.json", config)
            linked.append("config.json")
        } else {
            notes.append("config.json: the repository has none")
        }
        var vocabulary: String?
        for name in HubClient.vocabularyFiles {
            guard let file = try metadata(name) else { continue }
            try downloadWhole(name, file)
            vocabulary = name
            linked.append(name)
            break
        }
        if vocabulary == nil {
            notes.append("vocabulary: none of \(HubClient.vocabularyFiles.joined(separator: ", "))")
        }

        let shards: [String]
        var shardOf: [String: String]?
        if let index = try metadata("model.safetensors.index.json") {
            try downloadWhole("model.safetensors.index.json", index)
            let file = path(cache.snapshot(index.commit), "model.safetensors.index.json")
            guard let data = FileManager.default.contents(atPath: file),
                let files = HubClient.shardFiles(indexData: data),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let map = object["weight_map"] as? [String: String]
            else { throw fail(index.url, .badSafetensors("model.safetensors.index.json has no valid weight_map")) }
            shards = files
            shardOf = map
        } else if try metadata("model.safetensors") != nil {
            shards = ["model.safetensors"]
        } else {
            let url = client.fileURL(id, revision: currentRevision, file: "model.safetensors")
            throw fail(
                url,
                .notFound(
                    "no model.safetensors or model.safetensors.index.json at revision \(revision); only safetensors"
                        + " weights are fetched from the Hub (download others with huggingface-cli and pass the folder)"
                ))
        }
        guard let commit else {
            throw fail(nil, .network("the endpoint \(client.endpoint) sent no X-Repo-Commit header"))
        }
        try record(commit)

        // Every shard's header, then the caller's choice from the whole table.
        var tensors: [String: HubTensor] = [:]
        var names: [String] = []
        var headerEnds: [String: Int] = [:]
        var fileSizes: [String: Int] = [:]
        for shard in shards {
            let (header, dataStart, size) = try readHeader(shard)
            headerEnds[shard] = dataStart
            fileSizes[shard] = size
            let url = client.fileURL(id, revision: commit, file: shard)
            let table: [String: HubTensor]
            do { table = try SafetensorsLayout.parseHeader(header, file: shard, fileSize: size) } catch {
                throw fail(url, .badSafetensors(error.reason))
            }
            // By offset, then name (empty tensors share offsets): the same order on every run.
            let ordered = table.sorted {
                ($0.value.byteRange.lowerBound, $0.key) < ($1.value.byteRange.lowerBound, $1.key)
            }
            for (name, tensor) in ordered where shardOf == nil || shardOf?[name] == shard {
                tensors[name] = tensor
                names.append(name)
            }
        }
        if let missing = shardOf?.keys.sorted().first(where: { tensors[$0] == nil }) {
            let url = client.fileURL(id, revision: commit, file: shardOf?[missing] ?? "")
            throw fail(url, .badSafetensors("tensor '\(missing)' of the index is not in this shard"))
        }
        let snapshot = cache.snapshot(commit)
        let configuration = path(snapshot, "config.json")
        let query = HubHeadQuery(
            tensors: tensors, names: names,
            configurationPath: FileManager.default.fileExists(atPath: configuration) ? configuration : nil)
        var wanted: [String] = []
        for name in try headTensors(query) where !wanted.contains(name) {
            guard tensors[name] != nil else {
                throw fail(nil, .notFound("the checkpoint has no tensor named '\(name)'"))
            }
            wanted.append(name)
        }

        let heads = cache.heads(commit)
        try writeHead(wanted, tensors: tensors, headerEnds: headerEnds, folder: heads, commit: commit)
        do {
            try HeadTable(names: names, tensors: tensors).save(path(heads, HeadTable.fileName))
            for name in linked {
                try cache.replaceLink(at: path(heads, name), destination: "../../snapshots/\(commit)/\(name)")
            }
        } catch let error as HubError { throw error } catch {
            throw fail(nil, .cache("\(heads): \(error.localizedDescription)"))
        }
        let total = fileSizes.values.reduce(0, +)
        let kept = wanted.compactMap { tensors[$0]?.byteRange.count }.reduce(0, +)
        notes.append(
            "weights: \(wanted.joined(separator: ", ")) "
                + "(\(kept) of \(total) bytes of \(shards.joined(separator: ", ")))"
                + " fetched by range into \(heads)/model.safetensors, a file of only these tensors")
        return HubResolution(
            folder: heads, commit: commit, fromCache: false, downloadedBytes: downloaded, isHeadOnly: true,
            notes: ["\(id.repository) @ \(commit) from \(client.endpoint)"] + notes)
    }

    private var currentRevision: String { commit ?? revision }

    private func fail(_ url: URL?, _ kind: HubError.Kind) -> HubError {
        HubError(model: id.repository, url: url?.absoluteString, kind)
    }

    private func record(_ commit: String) throws {
        do { try cache.writeRef(revision, commit: commit) } catch {
            throw fail(nil, .cache("\(cache.ref(revision)): \(error.localizedDescription)"))
        }
    }

    /// One request; `item` and its size (with `base` bytes already on disk) are what `HubClient.progress` reports.
    private func request(
        _ url: URL, method: String = "GET", range: String? = nil, sink: FileHandle? = nil,
        item: String? = nil, base: Int = 0, expected: Int? = nil,
        destination: @escaping @Sendable (Int, [String: String]) -> BodyDestination
    ) throws -> HTTPResult {
        var report: (@Sendable (Int) -> Void)?
        if let item, let callback = client.progress {
            report = { callback(HubProgress(item: item, receivedBytes: base + $0, expectedBytes: expected)) }
        }
        do {
            let result = try client.http.perform(
                url, method: method, range: range, sink: sink, progress: report, destination: destination)
            downloaded += result.received
            return result
        } catch {
            throw fail(url, .network(error.reason))
        }
    }

    /// The HubError for a response that is not a success.
    private func statusError(_ result: HTTPResult, _ url: URL, what: String) -> HubError {
        let message = result.headers["x-error-message"].map { ": \($0)" } ?? ""
        switch result.status {
        case 401, 403:
            return fail(url, .unauthorized(status: result.status, hasToken: client.hasToken))
        case 404:
            switch result.headers["x-error-code"] {
            case "RepoNotFound": return fail(url, .notFound("no such model on \(client.endpoint)\(message)"))
            case "RevisionNotFound": return fail(url, .notFound("no revision '\(revision)'\(message)"))
            default: return fail(url, .notFound("\(what) not found (HTTP 404)\(message)"))
            }
        default:
            return fail(url, .network("HTTP \(result.status) for \(what)\(message)"))
        }
    }

    /// HEAD of a file; nil when the repository exists but has no such file.
    func metadata(_ file: String) throws -> FileMetadata? {
        guard let url = client.fileURL(id, revision: currentRevision, file: file) else {
            throw fail(nil, .notFound("revision '\(revision)' or file '\(file)' cannot be put in a URL"))
        }
        let result = try request(url, method: "HEAD") { _, _ in .memory(limit: 0) }
        guard (200..<300).contains(result.status) else {
            let code = result.headers["x-error-code"]
            if result.status == 404, code != "RepoNotFound", code != "RevisionNotFound" { return nil }
            throw statusError(result, url, what: file)
        }
        let hub = result.hubHeaders, final = result.headers
        guard let commit = hub["x-repo-commit"] ?? final["x-repo-commit"], HubCache.isCommitHash(commit) else {
            throw fail(
                url, .network("no X-Repo-Commit header: is HF_ENDPOINT (\(client.endpoint)) a Hugging Face Hub?"))
        }
        if self.commit == nil { self.commit = commit }
        var etag = hub["x-linked-etag"] ?? final["x-linked-etag"] ?? hub["etag"] ?? final["etag"] ?? ""
        if etag.hasPrefix("W/") { etag.removeFirst(2) }
        etag = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard !etag.isEmpty, HubClient.isPlainFileName(etag) else {
            throw fail(url, .network("no usable ETag header for \(file)"))
        }
        let sizeText = hub["x-linked-size"] ?? final["x-linked-size"] ?? final["content-length"]
        return FileMetadata(url: url, commit: commit, etag: etag, size: sizeText.flatMap { Int($0) })
    }

    /// A small file, whole, into `blobs/` and `snapshots/`; skipped when the snapshot already has it.
    func downloadWhole(_ name: String, _ file: FileMetadata) throws {
        if FileManager.default.fileExists(atPath: path(cache.snapshot(file.commit), name)) { return }
        let blob = cache.blob(file.etag)
        if file.size == nil || HubCache.fileSize(blob) != file.size {
            let partial = blob + ".incomplete"
            do {
                try FileManager.default.createDirectory(
                    atPath: (blob as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                if !FileManager.default.fileExists(atPath: partial) {
                    _ = FileManager.default.createFile(atPath: partial, contents: nil)
                }
            } catch { throw fail(nil, .cache("\(blob): \(error.localizedDescription)")) }
            try fetch(file.url, to: partial, expectedSize: file.size, what: name)
            try verify(partial, file)
            do {
                if FileManager.default.fileExists(atPath: blob) { try FileManager.default.removeItem(atPath: blob) }
                try FileManager.default.moveItem(atPath: partial, toPath: blob)
            } catch { throw fail(nil, .cache("\(blob): \(error.localizedDescription)")) }
        }
        do { try cache.link(name, commit: file.commit, etag: file.etag) } catch {
            throw fail(nil, .cache("\(cache.snapshot(file.commit))/\(name): \(error.localizedDescription)"))
        }
    }

    /// Downloads `url` into `partial`, continuing after the bytes it already holds when the server
    /// answers the range with a 206 from exactly there (a 200 starts over).
    private func fetch(_ url: URL, to partial: String, expectedSize: Int?, what: String) throws {
        guard let handle = FileHandle(forUpdatingAtPath: partial) else {
            throw fail(nil, .cache("cannot open \(partial)"))
        }
        defer { try? handle.close() }
        var have = HubCache.fileSize(partial) ?? 0
        if let expectedSize, have >= expectedSize { have = 0 }
        let start = have
        let result = try request(
            url, range: start > 0 ? "bytes=\(start)-" : nil, sink: handle, item: what, base: start,
            expected: expectedSize
        ) { status, headers in
            switch status {
            case 200: return .file(offset: 0)
            case 206:
                guard start > 0, let range = ContentRange(headers["content-range"]), range.start == start else {
                    return .refuse("a partial response that does not start at byte \(start)")
                }
                return .file(offset: start)
            default: return .memory(limit: 0)
            }
        }
        if result.status == 416 && start > 0 {
            // The partial file is not a prefix the server recognises: start over.
            try? handle.truncate(atOffset: 0)
            try fetch(url, to: partial, expectedSize: expectedSize, what: what)
            return
        }
        guard result.status == 200 || result.status == 206 else { throw statusError(result, url, what: what) }
        if result.status == 206 { notes.append("\(what): resumed at byte \(start)") }
        try? handle.synchronize()
        let announced =
            result.status == 206
            ? ContentRange(result.headers["content-range"])?.total
            : result.headers["content-length"].flatMap { Int($0) }
        let size = HubCache.fileSize(partial) ?? -1
        for expected in [expectedSize, announced].compactMap({ $0 }) where size != expected {
            throw fail(url, .verificationFailed("\(what) has \(size) bytes, the server announced \(expected)"))
        }
    }

    /// Checks a downloaded file against its sha256 when the ETag is one (LFS files); a failure
    /// removes it, so that the next attempt starts over.
    private func verify(_ partial: String, _ file: FileMetadata) throws {
        guard file.etag.count == 64, file.etag.allSatisfy(\.isHexDigit) else { return }
        let digest = try? SHA256.hexDigest(ofFile: partial)
        guard digest == file.etag.lowercased() else {
            try? FileManager.default.removeItem(atPath: partial)
            throw fail(file.url, .verificationFailed("sha256 \(digest ?? "unreadable"), the Hub says \(file.etag)"))
        }
    }

    /// A safetensors file's header by two range requests: its length (bytes 0-7), then the JSON.
    /// Returns the header, where the data section starts and the file's size.
    private func readHeader(_ file: String) throws -> (Data, Int, Int) {
        guard let url = client.fileURL(id, revision: currentRevision, file: file) else {
            throw fail(nil, .notFound("file '\(file)' cannot be put in a URL"))
        }
        let (prefix, size) = try readRange(url, start: 0, length: 8, what: file)
        let length = prefix.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length <= UInt64(SafetensorsLayout.maximumHeaderLength) else {
            throw fail(url, .badSafetensors("a header of \(length) bytes (the format's limit is 100 MB)"))
        }
        guard 8 + Int(length) <= size else {
            throw fail(url, .badSafetensors("a header of \(length) bytes in a file of \(size) bytes"))
        }
        let (header, _) = try readRange(url, start: 8, length: Int(length), what: file)
        return (header, 8 + Int(length), size)
    }

    /// `length` bytes from `start` into memory, and the file's total size from Content-Range.
    private func readRange(_ url: URL, start: Int, length: Int, what: String) throws -> (Data, Int) {
        guard length > 0 else { return (Data(), 0) }
        let end = start + length - 1
        let result = try request(url, range: "bytes=\(start)-\(end)") { status, headers in
            switch status {
            case 206:
                guard let range = ContentRange(headers["content-range"]), range.start == start, range.end == end else {
                    return .refuse("the server sent another range than bytes \(start)-\(end)")
                }
                return .memory(limit: length)
            case 200: return .refuse("the server ignored the Range header")
            default: return .memory(limit: 0)
            }
        }
        guard result.status == 206 else { throw statusError(result, url, what: what) }
        guard result.body.count == length else {
            throw fail(
                url, .verificationFailed("bytes \(start)-\(end) of \(what): received \(result.body.count) bytes"))
        }
        guard let total = ContentRange(result.headers["content-range"])?.total else {
            throw fail(url, .network("the server did not give the size of \(what) in Content-Range"))
        }
        return (result.body, total)
    }

    /// The compact head file: its header, then each tensor's bytes by one range request, streamed to
    /// disk. An interrupted `.incomplete` with the same header continues where it stopped.
    private func writeHead(
        _ names: [String], tensors: [String: HubTensor], headerEnds: [String: Int], folder: String, commit: String
    ) throws {
        let source = "\(client.endpoint)/\(id.repository)/resolve/\(commit)/"
        var offsets: [String: [String: Any]] = [:]
        for name in names {
            guard let tensor = tensors[name] else { continue }
            offsets[name] = [
                "file": tensor.file, "data_offsets": [tensor.byteRange.lowerBound, tensor.byteRange.upperBound],
            ]
        }
        let original = (try? JSONSerialization.data(withJSONObject: offsets, options: [.sortedKeys])) ?? Data()
        let metadata = [
            "format": "pt", "unargmax_source": source, "unargmax_commit": commit,
            "unargmax_original_offsets": String(decoding: original, as: UTF8.self),
            "unargmax_note": "only the tensors a head check needs, not the full checkpoint",
        ]
        let header: Data
        let pieces: [SafetensorsLayout.Piece]
        do {
            (header, pieces) = try SafetensorsLayout.compactLayout(names: names, tensors: tensors, metadata: metadata)
        } catch {
            throw fail(nil, .cache("cannot encode the head file's header: \(error.localizedDescription)"))
        }
        let target = path(folder, "model.safetensors")
        let partial = target + ".incomplete"
        let total = header.count + pieces.map(\.length).reduce(0, +)
        let handle: FileHandle
        var have = 0
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: partial) {
                _ = FileManager.default.createFile(atPath: partial, contents: nil)
            }
            guard let opened = FileHandle(forUpdatingAtPath: partial) else { throw CocoaError(.fileWriteUnknown) }
            handle = opened
            let size = HubCache.fileSize(partial) ?? 0
            if size >= header.count, size <= total, try handle.read(upToCount: header.count) == header {
                have = size
            } else {
                try handle.truncate(atOffset: 0)
                try handle.write(contentsOf: header)
                have = header.count
            }
        } catch { throw fail(nil, .cache("\(partial): \(error.localizedDescription)")) }
        defer { try? handle.close() }
        if have > header.count { notes.append("head file: resumed at byte \(have) of \(total)") }

        for piece in pieces where piece.offset + piece.length > have {
            let skip = max(0, have - piece.offset)
            guard let url = client.fileURL(id, revision: commit, file: piece.file),
                let dataStart = headerEnds[piece.file]
            else { throw fail(nil, .notFound("file '\(piece.file)' cannot be put in a URL")) }
            let start = dataStart + piece.sourceOffset + skip
            let length = piece.length - skip
            let end = start + length - 1
            let at = piece.offset + skip
            let result = try request(
                url, range: "bytes=\(start)-\(end)", sink: handle, item: piece.name, base: skip, expected: piece.length
            ) { status, headers in
                switch status {
                case 206:
                    guard let range = ContentRange(headers["content-range"]), range.start == start, range.end == end
                    else { return .refuse("the server sent another range than bytes \(start)-\(end)") }
                    return .file(offset: at)
                case 200: return .refuse("the server ignored the Range header")
                default: return .memory(limit: 0)
                }
            }
            guard result.status == 206 else { throw statusError(result, url, what: "tensor '\(piece.name)'") }
            // The Hub gives no hash of a range: its length is what can be checked.
            guard result.received == length else {
                throw fail(
                    url, .verificationFailed("tensor '\(piece.name)': received \(result.received) of \(length) bytes"))
            }
        }
        try? handle.synchronize()
        guard HubCache.fileSize(partial) == total else {
            throw fail(nil, .verificationFailed("\(partial) has \(HubCache.fileSize(partial) ?? 0) of \(total) bytes"))
        }
        do {
            if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
            try FileManager.default.moveItem(atPath: partial, toPath: target)
        } catch { throw fail(nil, .cache("\(target): \(error.localizedDescription)")) }
    }
}

/// `Content-Range: bytes START-END/TOTAL`.
struct ContentRange: Equatable {
    let start: Int
    let end: Int
    let total: Int?

    init?(_ text: String?) {
        guard let text, text.hasPrefix("bytes ") else { return nil }
        let parts = text.dropFirst(6).split(separator: "/", maxSplits: 1)
        let bounds = parts.first?.split(separator: "-")
        guard parts.count == 2, let bounds, bounds.count == 2, let start = Int(bounds[0]), let end = Int(bounds[1]),
            start <= end
        else { return nil }
        self.start = start
        self.end = end
        total = Int(parts[1])
    }
}
