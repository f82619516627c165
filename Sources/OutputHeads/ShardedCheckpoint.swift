import Foundation
import LayerFormats
import ModelFormats

/// A checkpoint split into shards by a Hugging Face index (`model.safetensors.index.json`,
/// `pytorch_model.bin.index.json`): `weight_map` names the shard of every tensor. Every shard
/// is opened (mapped, header validated) once; tensors are read from the shard that holds them.
public struct ShardedCheckpoint: TensorFile {
    /// The index file the checkpoint was opened from.
    public let path: String
    /// Every tensor of every shard.
    public let tensors: [TensorInfo]
    let shards: [String: any TensorFile]
    let shardOf: [String: String]

    /// Reads the index and opens its shards, which must lie in the index's folder.
    public init(indexPath: String) throws {
        func fail(_ why: String) -> ModelHeadError { ModelHeadError(indexPath, why) }
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            throw FileManager.default.fileExists(atPath: indexPath)
                ? fail("cannot be read") : fail("No such file or directory")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let weightMap = object["weight_map"] as? [String: Any]
        else { throw fail("is not a shard index (a JSON object with a weight_map)") }
        var shardOf: [String: String] = [:]
        for (tensor, value) in weightMap {
            guard let file = value as? String, !file.contains("/"), !file.hasPrefix(".") else {
                throw fail("weight_map entry '\(tensor)' does not name a shard file in the same folder")
            }
            shardOf[tensor] = file
        }
        let folder = (indexPath as NSString).deletingLastPathComponent
        var shards: [String: any TensorFile] = [:]
        var tensors: [TensorInfo] = []
        for file in Set(shardOf.values).sorted() {
            let shardPath = (folder as NSString).appendingPathComponent(file)
            guard let shard = try CheckpointFiles.open(path: shardPath) else {
                throw fail("shard \(file) is not a checkpoint file")
            }
            shards[file] = shard
            for info in shard.tensors {
                // A shard may hold tensors the index does not list; the index decides.
                if shardOf[info.name] == file { tensors.append(info) }
            }
        }
        let found = Set(tensors.map(\.name))
        if let missing = shardOf.keys.sorted().first(where: { !found.contains($0) }) {
            throw fail("tensor '\(missing)' is not in its shard \(shardOf[missing]!)")
        }
        self.path = indexPath
        self.tensors = tensors
        self.shards = shards
        self.shardOf = shardOf
    }

    private func shard(_ name: String) throws -> any TensorFile {
        guard let file = shardOf[name], let shard = shards[file] else {
            throw ModelFormatError(path, .missingTensor(name))
        }
        return shard
    }

    /// The two-dimensional tensor `name` as Float32, read from the shard that holds it.
    public func matrix(_ name: String) throws -> FloatMatrix { try shard(name).matrix(name) }
    /// The one-dimensional tensor `name` as Float32, read from the shard that holds it.
    public func vector(_ name: String) throws -> [Float] { try shard(name).vector(name) }
}
