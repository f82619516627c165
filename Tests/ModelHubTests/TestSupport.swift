import Foundation
import Testing
import PythonFixtures

@testable import ModelHub

/// The commit every fixture repository is at.
let fixtureCommit = "0123456789abcdef0123456789abcdef01234567"

/// A temporary folder, removed afterwards even when `body` throws.
func withTemporaryDirectory<Result>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: (String) throws -> Result
) throws -> Result {
    try PythonFixtures.withTemporaryDirectory(prefix: "modelhub", sourceLocation: sourceLocation, body)
}

/// A Hub stand-in serving `root`, stopped afterwards even when `body` throws.
func withServer<T>(root: String, _ body: (HubServer) throws -> T) throws -> T {
    let server = try HubServer(root: root)
    defer { server.stop() }
    return try body(server)
}

/// Runs Python (numpy as np, safetensors' writer as save_file, json, os) and returns its output.
@discardableResult
func python(_ code: String, _ arguments: [String] = []) throws -> String {
    try runPython(
        code, prelude: "import json, os, sys\nimport numpy as np\nfrom safetensors.numpy import save_file\n",
        arguments: arguments)
}

/// Writes the repository `root/{repo}` at `fixtureCommit`: config.json, a ~25 KB tokenizer.json and
/// a safetensors model of about 4 MB whose head (`lm_head.weight` F16 200 × 100 and `lm_head.bias`
/// F32) is 40 KB, among large decoys; with `shards`, split in two by an index, the head and its bias
/// in different shards.
func writeFixtureModel(root: String, repo: String, shards: Bool = false) throws {
    let folder = root + "/" + repo
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try fixtureCommit.write(toFile: folder + "/.commit", atomically: true, encoding: .utf8)
    try python(
        """
        folder, shards = sys.argv[1], sys.argv[2] == "1"
        rng = np.random.default_rng(7)
        head = rng.standard_normal((200, 100)).astype(np.float16)
        bias = rng.standard_normal(200).astype(np.float32)
        embed = rng.standard_normal((1000, 1000)).astype(np.float32)
        norm = rng.standard_normal(100).astype(np.float16)
        json.dump({"architectures": ["GPT2LMHeadModel"], "vocab_size": 200}, open(folder + "/config.json", "w"))
        vocab = {"tok%05d" % i: i for i in range(200)}
        json.dump({"model": {"vocab": vocab}, "padding": "x" * 20000}, open(folder + "/tokenizer.json", "w"))
        if shards:
            one = {"model.embed_tokens.weight": embed, "lm_head.bias": bias}
            two = {"model.norm.weight": norm, "lm_head.weight": head}
            save_file(one, folder + "/model-00001-of-00002.safetensors")
            save_file(two, folder + "/model-00002-of-00002.safetensors")
            weight_map = {k: "model-00001-of-00002.safetensors" for k in one}
            weight_map.update({k: "model-00002-of-00002.safetensors" for k in two})
            json.dump({"metadata": {}, "weight_map": weight_map}, open(folder + "/model.safetensors.index.json", "w"))
        else:
            tensors = {"model.embed_tokens.weight": embed, "model.norm.weight": norm,
                       "lm_head.weight": head, "lm_head.bias": bias}
            save_file(tensors, folder + "/model.safetensors", metadata={"format": "pt"})
        """, [folder, shards ? "1" : "0"])
}

/// The client a test uses: everything under `folder`, never the real home or token.
func testClient(endpoint: String, folder: String, extra: [String: String] = [:]) -> HubClient {
    var environment = [
        "HF_ENDPOINT": endpoint, "HF_HUB_CACHE": folder + "/cache", "HF_HOME": folder + "/hf-home", "HOME": folder,
    ]
    environment.merge(extra) { $1 }
    var client = HubClient(environment: environment)
    client.requestTimeout = 10
    return client
}

/// The head rule of the tests: `lm_head.weight` and its bias, when present.
func lmHead(_ query: HubHeadQuery) -> [String] {
    ["lm_head.weight", "lm_head.bias"].filter { query.tensors[$0] != nil }
}

/// The bytes of tensor `name` in a safetensors file on disk.
func tensorBytes(_ file: String, _ name: String) throws -> Data {
    let data = try Data(contentsOf: URL(fileURLWithPath: file))
    let length = Int(data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
    let table = try SafetensorsLayout.parseHeader(data[8..<(8 + length)], file: file, fileSize: data.count)
    guard let range = table[name]?.byteRange else { throw CocoaError(.fileReadCorruptFile) }
    return data.subdata(in: (8 + length + range.lowerBound)..<(8 + length + range.upperBound))
}

/// Progress reports collected from URLSession's queue.
final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [HubProgress] = []

    func add(_ report: HubProgress) { lock.withLock { reports.append(report) } }
    var all: [HubProgress] { lock.withLock { reports } }
}
