import Foundation
import LayerFormats
import ModelFormats

/// What a single file is, told by its first bytes (not its extension).
public enum CheckpointKind: String, Sendable {
    case npy, npz, safetensors, gguf
    /// `torch.save`'s zip format.
    case torchZip = "PyTorch zip"
    /// `torch.save` before PyTorch 1.6: consecutive pickles.
    case torchLegacy = "PyTorch legacy"

    /// Reads the magic bytes of `path`; nil when none matches.
    static func detect(path: String) throws -> CheckpointKind? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelFormatError(
                path, FileManager.default.fileExists(atPath: path) ? .unreadable("cannot open") : .missingFile)
        }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 16)) ?? Data())
        if head.starts(with: [0x93] + Array("NUMPY".utf8)) { return .npy }
        if head.starts(with: Array("GGUF".utf8)) { return .gguf }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return try isTorchZip(path) ? .torchZip : .npz
        }
        if head.count >= 9, head[8] == UInt8(ascii: "{") { return .safetensors }
        if head.count >= 2, head[0] == 0x80, head[1] <= 5 { return .torchLegacy }
        return nil
    }

    /// The kind a file's extension names, for files whose first bytes match nothing.
    init?(extensionOf path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "npy": self = .npy
        case "npz": self = .npz
        case "safetensors": self = .safetensors
        case "gguf": self = .gguf
        case "bin", "pt", "pth", "ckpt": self = .torchZip
        default: return nil
        }
    }

    /// torch.save's zip holds `<archive>/data.pkl`; an npz holds `.npy` members.
    private static func isTorchZip(_ path: String) throws -> Bool {
        do {
            let archive = try NPZArchive(path: path)
            return archive.memberNames.contains { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }
        } catch let error as LayerFormatError {
            throw ModelFormatError(layerFormatError: error)
        }
    }
}

/// Opens checkpoints of any supported kind as a `TensorFile`.
public enum CheckpointFiles {
    /// The tensor file at `path` (safetensors, PyTorch, GGUF); nil for npy/npz layer files,
    /// which `LayerArrays` reads.
    public static func open(path: String) throws -> (any TensorFile)? {
        // Unrecognised first bytes: the extension picks the reader whose error says best what is wrong.
        guard let kind = try CheckpointKind.detect(path: path) ?? CheckpointKind(extensionOf: path) else {
            throw ModelFormatError(
                path,
                .unknownFormat("not npy, npz, safetensors, GGUF or a PyTorch checkpoint (unrecognised first bytes)"))
        }
        switch kind {
        case .npy, .npz: return nil
        case .safetensors: return try SafetensorsFile(path: path)
        case .gguf: return try GGUFFile(path: path)
        case .torchZip, .torchLegacy: return try TorchCheckpoint(path: path)
        }
    }
}
