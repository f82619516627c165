import LayerFormats

/// Why a model file could not be read. Every message starts with the file, so the CLI prints it
/// as it is.
public struct ModelFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The path does not exist.
        case missingFile
        /// It exists but cannot be opened or mapped.
        case unreadable(String)
        /// The file ends inside a header or a tensor.
        case truncated(String)
        /// The header (JSON, GGUF key/values, pickle) is not what the format prescribes.
        case malformedHeader(String)
        /// A tensor's bytes are not where and how large its header says (outside the data
        /// section, overlapping another tensor, or a byte length that is not shape × element size).
        case badTensorLayout(tensor: String, String)
        /// An element type the tool does not read (names the tensor and the type).
        case unsupportedDType(tensor: String, dtype: String)
        /// A pickle that asks for a global outside the allow-list (never imported, never run).
        case forbiddenGlobal(String)
        /// A pickle opcode a state dict never needs.
        case forbiddenOpcode(String)
        /// A tensor the caller asked for is not in the file.
        case missingTensor(String)
        /// A tensor of the wrong rank or shape for its use.
        case wrongShape(tensor: String, String)
        /// Not a format this tool reads.
        case unknownFormat(String)
    }

    /// The file (or folder) the problem is in.
    public let path: String
    /// What went wrong.
    public let kind: Kind

    /// An error about the file (or folder) `path`.
    public init(_ path: String, _ kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String {
        let problem: String
        switch kind {
        case .missingFile: problem = "No such file or directory"
        case .unreadable(let why): problem = "cannot be read: \(why)"
        case .truncated(let what): problem = "is truncated: \(what)"
        case .malformedHeader(let why): problem = "has a malformed header: \(why)"
        case .badTensorLayout(let tensor, let why): problem = "tensor '\(tensor)': \(why)"
        case .unsupportedDType(let tensor, let dtype): problem = "tensor '\(tensor)' has unsupported dtype \(dtype)"
        case .forbiddenGlobal(let name):
            problem = "the pickle asks for '\(name)', which a state dict never needs; refused (nothing was run)"
        case .forbiddenOpcode(let name):
            problem = "the pickle uses opcode \(name), which a state dict never needs; refused"
        case .missingTensor(let name): problem = "has no tensor named '\(name)'"
        case .wrongShape(let tensor, let why): problem = "tensor '\(tensor)' has the wrong shape: \(why)"
        case .unknownFormat(let why): problem = "is not a model file this tool reads: \(why)"
        }
        return "\(path): \(problem)"
    }
}

extension ModelFormatError {
    /// The same problem reported by `MappedFile` or another LayerFormats reader.
    public init(layerFormatError error: LayerFormatError) {
        switch error.kind {
        case .missingFile: self.init(error.path, .missingFile)
        case .truncated(let what): self.init(error.path, .truncated(what))
        case .unreadable(let why): self.init(error.path, .unreadable(why))
        default:
            let prefix = error.path + ": "
            let text =
                error.description.hasPrefix(prefix)
                ? String(error.description.dropFirst(prefix.count)) : error.description
            self.init(error.path, .unreadable(text))
        }
    }
}
