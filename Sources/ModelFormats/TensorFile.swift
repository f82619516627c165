import LayerFormats

/// One tensor of a checkpoint as its file describes it.
public struct TensorInfo: Sendable, Equatable {
    /// The name in the file (`lm_head.weight`, `output.weight`, …).
    public let name: String
    /// The element type as the format spells it (`BF16`, `torch.float16`, `Q8_0`, …).
    public let dtype: String
    /// Row-major shape, outermost first (PyTorch's order; GGUF's reversed `ne` becomes
    /// `[n_vocab, n_embd]` for an output matrix).
    public let shape: [Int]

    /// A description of the tensor `name` with element type `dtype` and `shape`.
    public init(name: String, dtype: String, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A file (or a set of shards) of named tensors: safetensors, a PyTorch checkpoint, GGUF.
///
/// Readers validate the whole directory of tensors when they open (offsets, sizes, dtypes), so
/// `matrix`/`vector` only convert: the weights are read once, viewed in place when they are
/// aligned little-endian float32, otherwise converted to Float32 once.
public protocol TensorFile: Sendable {
    /// The file or folder, as error messages name it.
    var path: String { get }
    /// Every tensor, in the file's order.
    var tensors: [TensorInfo] { get }
    /// A 2-D tensor as a rows × columns Float32 matrix.
    func matrix(_ name: String) throws -> FloatMatrix
    /// A 1-D tensor (or a 2-D one with a single row or column) as Float32 values.
    func vector(_ name: String) throws -> [Float]
}

extension TensorFile {
    /// The description of tensor `name`, if the file has it.
    public func tensor(_ name: String) -> TensorInfo? { tensors.first { $0.name == name } }

    /// Throws `.missingTensor` unless the file has `name`.
    func require(_ name: String) throws -> TensorInfo {
        guard let info = tensor(name) else { throw ModelFormatError(path, .missingTensor(name)) }
        return info
    }
}
