import Foundation

/// One model's folder in the huggingface_hub cache layout:
///
///     models--org--name/
///       refs/main                     the commit hash `main` pointed to when last fetched
///       blobs/{etag}                  each file once, named by its ETag (sha256 for LFS files)
///       snapshots/{commit}/{file}     symlinks to ../../blobs/{etag}
///       unargmax-heads/{commit}/      this tool's own: see `HubClient.resolve`
///
/// Files are only ever created by renaming a complete, verified `.incomplete` file, so the layout
/// other tools read never holds a partial file under a real name.
struct HubCache {
    let root: String
    let id: HubModelID

    var repositoryFolder: String { path(root, id.cacheFolderName) }

    func snapshot(_ commit: String) -> String { path(repositoryFolder, "snapshots", commit) }
    func heads(_ commit: String) -> String { path(repositoryFolder, "unargmax-heads", commit) }
    func blob(_ etag: String) -> String { path(repositoryFolder, "blobs", etag) }
    func ref(_ revision: String) -> String { path(repositoryFolder, "refs", revision) }

    /// The commit a revision names: itself when it is a commit hash, else what `refs/` recorded.
    func commit(for revision: String) -> String? {
        if Self.isCommitHash(revision) { return revision }
        guard !revision.contains(".."), let data = FileManager.default.contents(atPath: ref(revision)) else {
            return nil
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Self.isCommitHash(text) ? text : nil
    }

    func writeRef(_ revision: String, commit: String) throws {
        guard revision != commit else { return }
        let file = ref(revision)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(commit.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
    }

    /// Points `snapshots/{commit}/{name}` at `blobs/{etag}` with a relative symlink, as huggingface_hub does.
    func link(_ name: String, commit: String, etag: String) throws {
        let folder = snapshot(commit)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try replaceLink(at: path(folder, name), destination: "../../blobs/\(etag)")
    }

    func replaceLink(at file: String, destination: String) throws {
        let manager = FileManager.default
        if (try? manager.destinationOfSymbolicLink(atPath: file)) == destination { return }
        if (try? manager.attributesOfItem(atPath: file)) != nil { try manager.removeItem(atPath: file) }
        try manager.createSymbolicLink(atPath: file, withDestinationPath: destination)
    }

    /// Whether a snapshot holds weights a local load can use (a shard index only with all its shards):
    /// a snapshot with just config.json and a tokenizer, as a partial download leaves, is not enough.
    static func hasWeights(_ folder: String) -> Bool {
        let manager = FileManager.default
        for name in ["model.safetensors", "pytorch_model.bin", "model.pt", "checkpoint_best.pt", "checkpoint.pt"]
        where manager.fileExists(atPath: path(folder, name)) {
            return true
        }
        for index in ["model.safetensors.index.json", "pytorch_model.bin.index.json"] {
            guard let data = manager.contents(atPath: path(folder, index)),
                let shards = HubClient.shardFiles(indexData: data)
            else { continue }
            if shards.allSatisfy({ manager.fileExists(atPath: path(folder, $0)) }) { return true }
        }
        let names = (try? manager.contentsOfDirectory(atPath: folder)) ?? []
        return names.contains { $0.hasSuffix(".gguf") }
    }

    static func isCommitHash(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    static func fileSize(_ file: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int
    }
}

/// Joins path components.
func path(_ first: String, _ rest: String...) -> String {
    rest.reduce(first) { ($0 as NSString).appendingPathComponent($1) }
}
