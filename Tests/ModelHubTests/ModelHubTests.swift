import Checksums
import Foundation
import Testing

@testable import ModelHub

@Suite("Hub model ids")
struct HubModelIDTests {
    @Test func acceptsHubNames() {
        #expect(HubModelID("openai-community/gpt2")?.repository == "openai-community/gpt2")
        #expect(HubModelID("gpt2")?.cacheFolderName == "models--gpt2")
        #expect(HubModelID("meta-llama/Llama-3.1-8B")?.cacheFolderName == "models--meta-llama--Llama-3.1-8B")
        #expect(HubModelID("org_x/model.v2")?.repository == "org_x/model.v2")
    }

    @Test func refusesPathsAndJunk() {
        for text in [
            "", "/abs/path", "./model", "../model", "~/model", "a/b/c", "org/", "/name", "org/na me", "org/-x",
            "org/x..y", "model.safetensors", "org/model.gguf", "dir/layer.npz", "ünïcode/x",
        ] {
            #expect(HubModelID(text) == nil, "\(text)")
        }
        // A folder of the current directory (the package's, under `swift test`) is a local model, never an id.
        if FileManager.default.fileExists(atPath: "Tests/ModelHubTests") {
            #expect(HubModelID("Tests/ModelHubTests") == nil)
        }
    }
}

@Suite("SHA-256")
struct SHA256Tests {
    @Test func knownDigests() {
        func digest(_ text: String) -> String {
            var hash = SHA256()
            hash.update(Array(text.utf8))
            return hash.hexDigest()
        }
        #expect(digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // Fed in uneven pieces, as a download arrives.
        var hash = SHA256()
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var start = 0
        for size in [1, 63, 64, 65, 1000, 998_807] {
            hash.update(bytes[start..<(start + size)])
            start += size
        }
        #expect(hash.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The SHA-extension path (used on CPUs that have it) against the portable code, on lengths around
    /// block boundaries and pieces that start mid-block.
    @Test func hardwareMatchesPortable() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096, 100_003] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var fast = SHA256(), portable = SHA256(hardware: false)
            var start = 0
            for piece in [7, 64, 129, 4000] where start < length {
                let end = min(length, start + piece)
                fast.update(bytes[start..<end])
                portable.update(bytes[start..<end])
                start = end
            }
            fast.update(bytes[start...])
            portable.update(bytes[start...])
            #expect(fast.hexDigest() == portable.hexDigest(), "length \(length)")
        }
        // Pinned where the CPU reports the extensions (Zen, Ice Lake and later).
        let cpuHasSHA = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" sha_ni") ?? false
        #expect(SHA256.usesHardware == cpuHasSHA)
    }
}

@Suite("Resolving models from a local Hub")
struct HubClientTests {
    @Test func fetchesOnlyTheHeadThenUsesTheCache() throws {
        try withTemporaryDirectory { folder in
            let root = folder + "/hub"
            try writeFixtureModel(root: root, repo: "org/tiny")
            try withServer(root: root) { server in
                var client = testClient(endpoint: server.endpoint, folder: folder)
                let reports = Reports()
                client.progress = { reports.add($0) }
                let id = try #require(HubModelID("org/tiny"))
                nonisolated(unsafe) var query: HubHeadQuery?
                let first = try client.resolve(id) { found in
                    query = found
                    return lmHead(found)
                }
                let repository = folder + "/cache/models--org--tiny"
                #expect(first.folder == repository + "/unargmax-heads/\(fixtureCommit)")
                #expect(first.commit == fixtureCommit)
                #expect(!first.fromCache && first.isHeadOnly)
                // Every tensor, in file order, as a local load lists them.
                let names = query?.names ?? []
                #expect(
                    Set(names) == ["model.embed_tokens.weight", "model.norm.weight", "lm_head.weight", "lm_head.bias"])
                let starts = names.compactMap { query?.tensors[$0]?.byteRange.lowerBound }
                #expect(starts == starts.sorted() && starts.count == 4)
                #expect(query?.tensors["lm_head.weight"]?.shape == [200, 100])
                #expect(query?.tensors["lm_head.weight"]?.dtype == "F16")
                #expect(query?.configurationPath == repository + "/snapshots/\(fixtureCommit)/config.json")

                // Progress ends at each download's full size.
                let last = Dictionary(reports.all.map { ($0.item, $0) }) { $1 }
                #expect(
                    last["lm_head.weight"]
                        == HubProgress(item: "lm_head.weight", receivedBytes: 40_000, expectedBytes: 40_000))
                #expect(last["lm_head.bias"]?.receivedBytes == 800)
                #expect(last["tokenizer.json"].map { $0.receivedBytes == $0.expectedBytes } == true)

                // Only the header and the head's 40 800 bytes of the 4 MB weights crossed the wire.
                let original = root + "/org/tiny/model.safetensors"
                let modelSize = try #require(HubCache.fileSize(original))
                #expect(modelSize > 4_000_000)
                let requests = server.requests()
                let served = requests.map(\.bytes).reduce(0, +)
                let weightBytes = requests.filter { $0.path.hasPrefix("/cdn/") }.map(\.bytes).reduce(0, +)
                #expect(served < 100_000)
                #expect(weightBytes < 42_000)
                #expect(first.downloadedBytes == served)
                #expect(
                    requests.filter { $0.path.hasPrefix("/cdn/") && $0.method == "GET" }.allSatisfy { $0.status == 206 }
                )

                // The compact file holds exactly the head's bytes, and the reference reader agrees.
                let compact = first.folder + "/model.safetensors"
                for name in ["lm_head.weight", "lm_head.bias"] {
                    #expect(try tensorBytes(compact, name) == tensorBytes(original, name))
                }
                let check = try python(
                    """
                    from safetensors import safe_open
                    with safe_open(sys.argv[1], "np") as a, safe_open(sys.argv[2], "np") as b:
                        assert sorted(a.keys()) == ["lm_head.bias", "lm_head.weight"], a.keys()
                        for k in a.keys():
                            x, y = a.get_tensor(k), b.get_tensor(k)
                            assert x.dtype == y.dtype and x.shape == y.shape and (x == y).all(), k
                        m = a.metadata()
                        assert m["unargmax_commit"] == sys.argv[3], m
                        assert json.loads(m["unargmax_original_offsets"])["lm_head.bias"]["file"] == "model.safetensors"
                    print("ok")
                    """, [compact, original, fixtureCommit])
                #expect(check == "ok")

                // The huggingface_hub layout: refs, blobs by ETag, snapshot symlinks into them.
                let ref = try String(contentsOfFile: repository + "/refs/main", encoding: .utf8)
                #expect(ref == fixtureCommit)
                let snapshot = repository + "/snapshots/\(fixtureCommit)"
                let link = try FileManager.default.destinationOfSymbolicLink(atPath: snapshot + "/config.json")
                #expect(link.hasPrefix("../../blobs/"))
                #expect(
                    FileManager.default.contents(atPath: snapshot + "/config.json")
                        == FileManager.default.contents(atPath: root + "/org/tiny/config.json"))
                let tokenizerSHA = try SHA256.hexDigest(ofFile: root + "/org/tiny/tokenizer.json")
                #expect(
                    try FileManager.default.destinationOfSymbolicLink(atPath: snapshot + "/tokenizer.json")
                        == "../../blobs/\(tokenizerSHA)")
                #expect(!FileManager.default.fileExists(atPath: snapshot + "/model.safetensors"))
                #expect(FileManager.default.contents(atPath: first.folder + "/tokenizer.json") != nil)
                #expect(FileManager.default.contents(atPath: first.folder + "/config.json") != nil)
                let blobs = try FileManager.default.contentsOfDirectory(atPath: repository + "/blobs")
                #expect(!blobs.contains { $0.hasSuffix(".incomplete") })

                // Again: from the cache, without a single request; offline too.
                server.clearLog()
                let second = try client.resolve(id, headTensors: lmHead)
                #expect(second.fromCache && second.folder == first.folder && second.downloadedBytes == 0)
                let offline = testClient(endpoint: server.endpoint, folder: folder, extra: ["HF_HUB_OFFLINE": "1"])
                #expect(try offline.resolve(id, headTensors: lmHead).folder == first.folder)
                let byCommit = try offline.resolve(id, revision: fixtureCommit, headTensors: lmHead)
                #expect(byCommit.folder == first.folder)
                #expect(server.requests().isEmpty)

                // Asking for another tensor than the cached head goes back to the Hub for it.
                let other = try client.resolve(id) { _ in ["model.norm.weight"] }
                #expect(!other.fromCache)
                #expect(
                    try tensorBytes(other.folder + "/model.safetensors", "model.norm.weight")
                        == tensorBytes(original, "model.norm.weight"))
            }
        }
    }

    @Test func shardedCheckpointHeadFromTwoShards() throws {
        try withTemporaryDirectory { folder in
            let root = folder + "/hub"
            try writeFixtureModel(root: root, repo: "org/sharded", shards: true)
            try withServer(root: root) { server in
                let client = testClient(endpoint: server.endpoint, folder: folder)
                nonisolated(unsafe) var names: [String] = []
                let result = try client.resolve(try #require(HubModelID("org/sharded"))) { query in
                    names = query.names
                    return lmHead(query)
                }
                // Shards by file name, tensors by offset: the order a local folder would list them.
                #expect(Array(names.prefix(2)).sorted() == ["lm_head.bias", "model.embed_tokens.weight"])
                #expect(Array(names.suffix(2)).sorted() == ["lm_head.weight", "model.norm.weight"])
                let compact = result.folder + "/model.safetensors"
                #expect(
                    try tensorBytes(compact, "lm_head.weight")
                        == tensorBytes(root + "/org/sharded/model-00002-of-00002.safetensors", "lm_head.weight"))
                #expect(
                    try tensorBytes(compact, "lm_head.bias")
                        == tensorBytes(root + "/org/sharded/model-00001-of-00002.safetensors", "lm_head.bias"))
                let weightBytes = server.requests().filter { $0.path.hasPrefix("/cdn/") }.map(\.bytes).reduce(0, +)
                #expect(weightBytes < 42_000)
                let snapshot = folder + "/cache/models--org--sharded/snapshots/\(fixtureCommit)"
                #expect(FileManager.default.fileExists(atPath: snapshot + "/model.safetensors.index.json"))
            }
        }
    }

    @Test func resumesAnIncompleteDownload() throws {
        try withTemporaryDirectory { folder in
            let root = folder + "/hub"
            try writeFixtureModel(root: root, repo: "org/tiny")
            let tokenizer = try Data(contentsOf: URL(fileURLWithPath: root + "/org/tiny/tokenizer.json"))
            let sha = try SHA256.hexDigest(ofFile: root + "/org/tiny/tokenizer.json")
            let blobs = folder + "/cache/models--org--tiny/blobs"
            try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
            let half = tokenizer.count / 2
            try tokenizer.prefix(half).write(to: URL(fileURLWithPath: blobs + "/\(sha).incomplete"))
            try withServer(root: root) { server in
                let client = testClient(endpoint: server.endpoint, folder: folder)
                let result = try client.resolve(try #require(HubModelID("org/tiny")), headTensors: lmHead)
                let gets = server.requests().filter { $0.method == "GET" && $0.path.hasSuffix("/tokenizer.json") }
                #expect(gets.count == 1)
                #expect(gets.first?.range == "bytes=\(half)-")
                #expect(gets.first?.status == 206)
                #expect(gets.first?.bytes == tokenizer.count - half)
                #expect(FileManager.default.contents(atPath: blobs + "/\(sha)") == tokenizer)
                #expect(!FileManager.default.fileExists(atPath: blobs + "/\(sha).incomplete"))
                #expect(result.notes.contains { $0.contains("resumed at byte \(half)") })
            }
        }
    }

    @Test func aWrongChecksumIsRefusedAndNothingIsKept() throws {
        try withTemporaryDirectory { folder in
            let root = folder + "/hub"
            try writeFixtureModel(root: root, repo: "org/tiny")
            try Data().write(to: URL(fileURLWithPath: root + "/org/tiny/.bad_etag"))
            try withServer(root: root) { server in
                let client = testClient(endpoint: server.endpoint, folder: folder)
                let error = #expect(throws: HubError.self) {
                    try client.resolve(try #require(HubModelID("org/tiny")), headTensors: lmHead)
                }
                guard case .verificationFailed = error?.kind else {
                    Issue.record("expected a verification failure, got \(String(describing: error))")
                    return
                }
                let blobs = folder + "/cache/models--org--tiny/blobs"
                let left = (try? FileManager.default.contentsOfDirectory(atPath: blobs)) ?? []
                #expect(!left.contains { $0.hasSuffix(".incomplete") })
            }
        }
    }

    @Test func missingModelRevisionAndGatedAccess() throws {
        try withTemporaryDirectory { folder in
            let root = folder + "/hub"
            try writeFixtureModel(root: root, repo: "org/gated")
            try Data().write(to: URL(fileURLWithPath: root + "/org/gated/.gated"))
            try withServer(root: root) { server in
                let client = testClient(endpoint: server.endpoint, folder: folder)
                let missing = #expect(throws: HubError.self) {
                    try client.resolve(try #require(HubModelID("org/nothing")), headTensors: lmHead)
                }
                #expect(missing?.kind == .notFound("no such model on \(server.endpoint): Repository not found"))
                #expect(missing?.description.contains("org/nothing") == true)
                #expect(missing?.description.contains("\(server.endpoint)/org/nothing/resolve/main/") == true)

                let gated = #expect(throws: HubError.self) {
                    try client.resolve(try #require(HubModelID("org/gated")), headTensors: lmHead)
                }
                #expect(gated?.kind == .unauthorized(status: 401, hasToken: false))
                #expect(gated?.description.contains("HF_TOKEN") == true)

                let authorized = testClient(
                    endpoint: server.endpoint, folder: folder, extra: ["HF_TOKEN": "secret-token"])
                let badRevision = #expect(throws: HubError.self) {
                    try authorized.resolve(try #require(HubModelID("org/gated")), revision: "v9", headTensors: lmHead)
                }
                #expect(badRevision?.kind == .notFound("no revision 'v9': Invalid rev"))
                server.clearLog()
                let result = try authorized.resolve(try #require(HubModelID("org/gated")), headTensors: lmHead)
                #expect(result.isHeadOnly && !result.fromCache)
                // The token goes to the Hub, never to the other origin a redirect leads to.
                let requests = server.requests()
                #expect(requests.filter { !$0.path.hasPrefix("/cdn/") }.allSatisfy { $0.auth })
                #expect(requests.contains { $0.path.hasPrefix("/cdn/") && $0.status == 206 })
                #expect(!requests.contains { $0.path.hasPrefix("/cdn/") && $0.auth })

                // The token can also come from the file `huggingface-cli login` writes.
                try FileManager.default.createDirectory(
                    atPath: folder + "/other-home", withIntermediateDirectories: true)
                try "secret-token\n".write(toFile: folder + "/other-home/token", atomically: true, encoding: .utf8)
                let stored = testClient(
                    endpoint: server.endpoint, folder: folder,
                    extra: ["HF_HOME": folder + "/other-home", "HF_HUB_CACHE": folder + "/cache2"])
                #expect(stored.hasToken)
                #expect(try stored.resolve(try #require(HubModelID("org/gated")), headTensors: lmHead).isHeadOnly)
            }
        }
    }

    @Test func revisionsThatWouldLeaveTheCacheAreRefused() throws {
        try withTemporaryDirectory { folder in
            let client = testClient(endpoint: "http://127.0.0.1:9", folder: folder)
            let id = try #require(HubModelID("org/tiny"))
            for revision in ["", "../../x", "a/../b", "/abs", "a//b", "a\\b", ".hidden"] {
                let error = #expect(throws: HubError.self) { try client.resolve(id, revision: revision) { _ in [] } }
                #expect(error?.kind == .notFound("'\(revision)' is not a revision name"))
            }
        }
    }

    @Test func offlineWithNothingCached() throws {
        try withTemporaryDirectory { folder in
            let client = testClient(
                endpoint: "http://127.0.0.1:9", folder: folder, extra: ["HF_HUB_OFFLINE": "1"])
            let error = #expect(throws: HubError.self) {
                try client.resolve(try #require(HubModelID("org/tiny")), headTensors: lmHead)
            }
            #expect(error?.kind == .offline(cache: folder + "/cache"))
            #expect(error?.description.contains("HF_HUB_OFFLINE") == true)
        }
    }

    @Test func aSnapshotWithWeightsIsUsedWithoutTheNetwork() throws {
        try withTemporaryDirectory { folder in
            // A cache as huggingface_hub leaves it; the endpoint is a closed port, never contacted.
            let repository = folder + "/cache/models--gpt2"
            let snapshot = repository + "/snapshots/\(fixtureCommit)"
            try FileManager.default.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: repository + "/blobs", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: repository + "/refs", withIntermediateDirectories: true)
            try fixtureCommit.write(toFile: repository + "/refs/main", atomically: true, encoding: .utf8)
            for (name, blob) in [("config.json", "aaaa"), ("model.safetensors", "bbbb")] {
                try "{}".write(toFile: repository + "/blobs/" + blob, atomically: true, encoding: .utf8)
                try FileManager.default.createSymbolicLink(
                    atPath: snapshot + "/" + name, withDestinationPath: "../../blobs/" + blob)
            }
            let client = testClient(endpoint: "http://127.0.0.1:9", folder: folder)
            let id = try #require(HubModelID("gpt2"))
            let result = try client.resolve(id) { _ in
                Issue.record("the head rules are not needed for a full snapshot")
                return []
            }
            #expect(
                result
                    == HubResolution(
                        folder: snapshot, commit: fixtureCommit, fromCache: true, downloadedBytes: 0, isHeadOnly: false,
                        notes: result.notes))
            // Another revision is not cached: the closed port is a network error naming the URL, not a hang.
            let error = #expect(throws: HubError.self) { try client.resolve(id, revision: "v2", headTensors: lmHead) }
            guard case .network = error?.kind else {
                Issue.record("expected a network error, got \(String(describing: error))")
                return
            }
            #expect(error?.url == "http://127.0.0.1:9/gpt2/resolve/v2/config.json")
        }
    }

    @Test func aStalledServerTimesOut() throws {
        try withTemporaryDirectory { folder in
            let root = folder + "/hub"
            try writeFixtureModel(root: root, repo: "org/slow")
            try Data().write(to: URL(fileURLWithPath: root + "/org/slow/.stall"))
            try withServer(root: root) { server in
                var client = testClient(endpoint: server.endpoint, folder: folder)
                client.requestTimeout = 1
                let started = Date()
                let error = #expect(throws: HubError.self) {
                    try client.resolve(try #require(HubModelID("org/slow")), headTensors: lmHead)
                }
                guard case .network = error?.kind else {
                    Issue.record("expected a network error, got \(String(describing: error))")
                    return
                }
                #expect(Date().timeIntervalSince(started) < 5)
            }
        }
    }

    @Test func aSlowButSteadyTransferIsNotCutOff() throws {
        try withTemporaryDirectory { folder in
            let root = folder + "/hub"
            try writeFixtureModel(root: root, repo: "org/slow")
            try Data().write(to: URL(fileURLWithPath: root + "/org/slow/.slow"))
            try withServer(root: root) { server in
                // config.json arrives in four pieces 0.4 s apart: 1.6 s in all, never 1 s without a byte.
                var client = testClient(endpoint: server.endpoint, folder: folder)
                client.requestTimeout = 1
                let result = try client.resolve(try #require(HubModelID("org/slow")), headTensors: lmHead)
                #expect(
                    FileManager.default.contents(atPath: result.folder + "/config.json")
                        == FileManager.default.contents(atPath: root + "/org/slow/config.json"))
            }
        }
    }
}

@Suite("Interrupted and hostile downloads")
struct HubDownloadEdgeTests {
    @Test func resumesAnInterruptedHeadFile() throws {
        try withTemporaryDirectory { folder in
            let root = folder + "/hub"
            try writeFixtureModel(root: root, repo: "org/tiny")
            try withServer(root: root) { server in
                let id = try #require(HubModelID("org/tiny"))
                let first = try testClient(endpoint: server.endpoint, folder: folder).resolve(id, headTensors: lmHead)
                let compact = try Data(contentsOf: URL(fileURLWithPath: first.folder + "/model.safetensors"))
                let headerEnd = 8 + Int(compact.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })

                // Another cache holding an interrupted copy: the header and 1000 bytes of the first tensor.
                let other = folder + "/other"
                let heads = other + "/cache/models--org--tiny/unargmax-heads/\(fixtureCommit)"
                try FileManager.default.createDirectory(atPath: heads, withIntermediateDirectories: true)
                let cut = headerEnd + 1000
                try compact.prefix(cut).write(to: URL(fileURLWithPath: heads + "/model.safetensors.incomplete"))
                server.clearLog()
                let second = try testClient(endpoint: server.endpoint, folder: other).resolve(id, headTensors: lmHead)
                #expect(second.folder == heads)
                #expect(try Data(contentsOf: URL(fileURLWithPath: heads + "/model.safetensors")) == compact)
                #expect(second.notes.contains { $0.contains("resumed at byte \(cut)") })

                let original = try Data(contentsOf: URL(fileURLWithPath: root + "/org/tiny/model.safetensors"))
                let originalHeader = Int(original.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
                let table = try SafetensorsLayout.parseHeader(
                    original[8..<(8 + originalHeader)], file: "model.safetensors", fileSize: original.count)
                let weightStart = 8 + originalHeader + (table["lm_head.weight"]?.byteRange.lowerBound ?? 0)
                let gets = server.requests().filter { $0.path.hasPrefix("/cdn/") && $0.method == "GET" }
                #expect(gets.contains { $0.range?.hasPrefix("bytes=\(weightStart + 1000)-") == true })
                #expect(gets.map(\.bytes).reduce(0, +) == 8 + originalHeader + compact.count - cut)
            }
        }
    }

    @Test func hostileHeadersAreRefusedBeforeAnyTensorIsFetched() throws {
        try withTemporaryDirectory { folder in
            let root = folder + "/hub"
            for repo in ["org/huge", "org/outside"] {
                try FileManager.default.createDirectory(atPath: root + "/" + repo, withIntermediateDirectories: true)
                try fixtureCommit.write(toFile: root + "/\(repo)/.commit", atomically: true, encoding: .utf8)
            }
            func write(_ header: Data, declared: UInt64, dataBytes: Int, to repo: String) throws {
                var file = Data()
                withUnsafeBytes(of: declared.littleEndian) { file.append(contentsOf: $0) }
                file.append(header)
                file.append(Data(count: dataBytes))
                try file.write(to: URL(fileURLWithPath: root + "/\(repo)/model.safetensors"))
            }
            // A 200 MB header length in a tiny file; a tensor whose bytes lie past the end of the file.
            try write(Data("{}".utf8), declared: 200_000_000, dataBytes: 16, to: "org/huge")
            let outside = Data(#"{"lm_head.weight":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}}"#.utf8)
            try write(outside, declared: UInt64(outside.count), dataBytes: 16, to: "org/outside")
            try withServer(root: root) { server in
                let client = testClient(endpoint: server.endpoint, folder: folder)
                for (repo, words) in [("org/huge", "100 MB"), ("org/outside", "outside")] {
                    let error = #expect(throws: HubError.self) {
                        try client.resolve(try #require(HubModelID(repo))) { _ in
                            Issue.record("the head rules must not see a hostile header")
                            return []
                        }
                    }
                    guard case .badSafetensors(let why) = error?.kind else {
                        Issue.record("expected a refused header for \(repo), got \(String(describing: error))")
                        continue
                    }
                    #expect(why.contains(words))
                    #expect(error?.url?.hasSuffix("/\(repo)/resolve/\(fixtureCommit)/model.safetensors") == true)
                }
                // Nothing but the 8-byte length (and for the second, its header) was read.
                let served = server.requests().filter { $0.path.hasPrefix("/cdn/") }.map(\.bytes).reduce(0, +)
                #expect(served == 8 + 8 + outside.count)
            }
        }
    }
}
