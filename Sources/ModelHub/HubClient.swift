import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where a model was found: a folder ready for `ModelHead.load(path:)`.
public struct HubResolution: Sendable, Equatable {
    /// A folder with `config.json` (when the model has one), the vocabulary file and weights: a
    /// cache snapshot, or this tool's head folder holding only the head's tensors.
    public let folder: String
    /// The commit the revision named.
    public let commit: String
    /// Nothing was requested from the network.
    public let fromCache: Bool
    /// Body bytes received over HTTP in this call.
    public let downloadedBytes: Int
    /// `folder` holds only the tensors `headTensors` chose (see `HubClient.resolve`).
    public let isHeadOnly: Bool
    /// What was used and fetched, one line each, for the CLI to show.
    public let notes: [String]
}

/// How far one download is: a file (`config.json`, …) or a head tensor (`lm_head.weight`).
public struct HubProgress: Sendable, Equatable {
    /// The file or tensor name.
    public let item: String
    /// Bytes of it on disk so far (a resumed download counts what was already there).
    public let receivedBytes: Int
    /// Its size, when announced.
    public let expectedBytes: Int?
}

/// Resolves Hugging Face model ids to local folders: from the local huggingface_hub cache, else
/// from the Hub over HTTPS, fetching only the files a check needs and only the head's bytes of
/// large safetensors files. Synchronous; no output.
public struct HubClient: Sendable {
    /// `HF_ENDPOINT`, default `https://huggingface.co`, without a trailing slash.
    public let endpoint: String
    /// `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
    public let cacheDirectory: String
    /// `HF_HUB_OFFLINE` is 1/true/yes/on: only the cache is used.
    public let isOffline: Bool
    /// Seconds a request may go without receiving a byte before it fails.
    public var requestTimeout: TimeInterval = 60
    /// Called as downloads proceed (small files and head tensors, not the tiny header reads), from
    /// URLSession's queue, not the caller's thread: the library prints nothing, the CLI may.
    public var progress: (@Sendable (HubProgress) -> Void)?
    let token: String?

    /// Files of a model folder that hold its tokens, best first (`ModelHead.vocabularyFiles`'s order,
    /// so the one fetched is the one a local load would pick).
    public static let vocabularyFiles = [
        "tokenizer.json", "vocab.json", "vocab.txt", "tokenizer.model", "spiece.model", "sentencepiece.bpe.model",
        "target.spm", "vocab.yml",
    ]

    /// Reads the huggingface_hub variables from `environment`: `HF_ENDPOINT`, `HF_TOKEN` (else
    /// `HUGGING_FACE_HUB_TOKEN`, else the file `HF_TOKEN_PATH` or `$HF_HOME/token` that `huggingface-cli
    /// login` writes), `HF_HOME`, `HF_HUB_CACHE`, `HF_HUB_OFFLINE`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
            else { return nil }
            return text
        }
        var endpoint = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        let home = value("HOME") ?? NSHomeDirectory()
        let hfHome = value("HF_HOME") ?? path(home, ".cache", "huggingface")
        cacheDirectory = value("HF_HUB_CACHE") ?? path(hfHome, "hub")
        isOffline = ["1", "true", "yes", "on"].contains(value("HF_HUB_OFFLINE")?.lowercased() ?? "")
        let tokenFile = value("HF_TOKEN_PATH") ?? path(hfHome, "token")
        let stored = FileManager.default.contents(atPath: tokenFile).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        token = value("HF_TOKEN") ?? value("HUGGING_FACE_HUB_TOKEN") ?? stored.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether requests carry a token.
    public var hasToken: Bool { token != nil }

    /// A local folder for `id` at `revision` (a branch, tag or commit hash), ready for `ModelHead.load`.
    ///
    /// 1. **The cache**: when `refs/{revision}` (or the commit itself) names a snapshot with weights,
    ///    that snapshot is returned without any request; so is a head folder from an earlier call
    ///    that holds every tensor `headTensors` asks for.
    /// 2. **The Hub** otherwise (an error when `HF_HUB_OFFLINE` is set): `config.json`, the first
    ///    vocabulary file of `vocabularyFiles` the model has, and `model.safetensors.index.json` are
    ///    downloaded whole into the cache layout (`blobs/{etag}`, `snapshots/{commit}/{file}`,
    ///    `refs/{revision}`), resumed from a `.incomplete` file, checked against the announced size and,
    ///    when the ETag is a sha256 (LFS files), against the sha256.
    /// 3. **Only the head's bytes** of the weights: each safetensors file's header is read by two
    ///    range requests, `headTensors` picks the tensors from the whole table, and one range request
    ///    per tensor fetches exactly its bytes (checked by length: the Hub has no per-range hash).
    ///
    /// The chosen tensors are written as a valid safetensors file with the original dtypes and shapes
    /// (its `__metadata__` records the source URL, commit and original offsets) at
    /// `models--{org}--{name}/unargmax-heads/{commit}/model.safetensors`, next to symlinks to the
    /// snapshot's `config.json` and vocabulary, and that folder is returned. It is deliberately not
    /// in `snapshots/`: other tools trust a `model.safetensors` there to be the full checkpoint.
    /// Checking a 70B model's head this way downloads about 2 GB instead of 140 GB.
    ///
    /// - Parameters:
    ///   - id: The model, `org/name` or `name`.
    ///   - revision: A branch, tag or 40-hex commit.
    ///   - headTensors: The caller's rules: given every tensor (and `config.json`), the names of
    ///     those to fetch (the head and its bias). Its errors are rethrown as they are.
    /// - Throws: `HubError` naming the model and URL, or what `headTensors` throws.
    public func resolve(
        _ id: HubModelID, revision: String = "main", headTensors: (HubHeadQuery) throws -> [String]
    ) throws -> HubResolution {
        // The revision becomes a path under refs/: nothing that could leave it.
        let segments = revision.split(separator: "/", omittingEmptySubsequences: false)
        guard !revision.isEmpty, !revision.contains("\\"), segments.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") })
        else { throw HubError(model: id.repository, url: nil, .notFound("'\(revision)' is not a revision name")) }
        let cache = HubCache(root: cacheDirectory, id: id)
        if let found = try cached(id, revision: revision, cache: cache, headTensors: headTensors) { return found }
        guard !isOffline else { throw HubError(model: id.repository, url: nil, .offline(cache: cacheDirectory)) }
        let download = HubDownload(client: self, id: id, revision: revision, cache: cache)
        return try download.run(headTensors: headTensors)
    }

    private func cached(
        _ id: HubModelID, revision: String, cache: HubCache, headTensors: (HubHeadQuery) throws -> [String]
    ) throws -> HubResolution? {
        guard let commit = cache.commit(for: revision) else { return nil }
        let snapshot = cache.snapshot(commit)
        if HubCache.hasWeights(snapshot) {
            return HubResolution(
                folder: snapshot, commit: commit, fromCache: true, downloadedBytes: 0, isHeadOnly: false,
                notes: ["\(id.repository) @ \(commit): the cached snapshot \(snapshot)"])
        }
        let heads = cache.heads(commit)
        let compact = path(heads, "model.safetensors")
        guard let size = HubCache.fileSize(compact), let table = HeadTable.load(path(heads, HeadTable.fileName)),
            let handle = FileHandle(forReadingAtPath: compact)
        else { return nil }
        defer { try? handle.close() }
        let prefix = (try? handle.read(upToCount: 8)) ?? Data()
        guard prefix.count == 8 else { return nil }
        let length = Int(prefix.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        guard length <= SafetensorsLayout.maximumHeaderLength, let header = try? handle.read(upToCount: length),
            let stored = try? SafetensorsLayout.parseHeader(header, file: "model.safetensors", fileSize: size)
        else { return nil }
        let configuration = path(snapshot, "config.json")
        let query = HubHeadQuery(
            tensors: table.tensors, names: table.names,
            configurationPath: FileManager.default.fileExists(atPath: configuration) ? configuration : nil)
        let wanted = try headTensors(query)
        guard wanted.allSatisfy({ stored[$0] != nil }) else { return nil }
        return HubResolution(
            folder: heads, commit: commit, fromCache: true, downloadedBytes: 0, isHeadOnly: true,
            notes: ["\(id.repository) @ \(commit): the head tensors fetched earlier, \(heads)"])
    }

    func fileURL(_ id: HubModelID, revision: String, file: String) -> URL? {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        // A revision such as refs/pr/1 is one path segment, as the Hub expects.
        guard let revision = revision.addingPercentEncoding(withAllowedCharacters: allowed),
            let file = file.addingPercentEncoding(withAllowedCharacters: allowed)
        else { return nil }
        return URL(string: "\(endpoint)/\(id.repository)/resolve/\(revision)/\(file)")
    }

    var http: HTTPClient { HTTPClient(token: token, stallTimeout: requestTimeout) }

    /// The shard files an index's `weight_map` names, sorted; nil when it is not an index or names
    /// a file outside its folder.
    static func shardFiles(indexData: Data) -> [String]? {
        guard let object = try? JSONSerialization.jsonObject(with: indexData) as? [String: Any],
            let map = object["weight_map"] as? [String: Any]
        else { return nil }
        var files = Set<String>()
        for value in map.values {
            guard let file = value as? String, isPlainFileName(file) else { return nil }
            files.insert(file)
        }
        return files.sorted()
    }

    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && !name.contains("\\") && !name.hasPrefix(".")
    }
}

/// The full tensor table of the checkpoint a head folder was cut from, kept beside it so a later
/// call can apply the head rules (perhaps other ones) without a request.
struct HeadTable: Codable {
    static let fileName = "unargmax-tensors.json"

    struct Entry: Codable {
        let dtype: String
        let shape: [Int]
        let file: String
        let offsets: [Int]
    }

    let names: [String]
    let entries: [String: Entry]

    init(names: [String], tensors: [String: HubTensor]) {
        self.names = names
        entries = tensors.mapValues {
            Entry(
                dtype: $0.dtype, shape: $0.shape, file: $0.file,
                offsets: [$0.byteRange.lowerBound, $0.byteRange.upperBound])
        }
    }

    var tensors: [String: HubTensor] {
        entries.compactMapValues { entry in
            guard entry.offsets.count == 2, entry.offsets[0] <= entry.offsets[1] else { return nil }
            return HubTensor(
                dtype: entry.dtype, shape: entry.shape, file: entry.file, byteRange: entry.offsets[0]..<entry.offsets[1]
            )
        }
    }

    static func load(_ file: String) -> HeadTable? {
        FileManager.default.contents(atPath: file).flatMap { try? JSONDecoder().decode(HeadTable.self, from: $0) }
    }

    func save(_ file: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: file), options: .atomic)
    }
}
