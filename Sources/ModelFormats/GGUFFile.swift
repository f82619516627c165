import Foundation
import LayerFormats

/// A GGUF file (llama.cpp's format, versions 2 and 3, little-endian), mapped read-only.
///
/// The whole header is read and checked when the file opens: metadata, tensor descriptions,
/// alignment, and that every tensor lies inside the data section without overlapping another.
/// `matrix`/`vector` then convert F32, F16, BF16 and the quantised types Q4_0, Q4_1, Q5_0, Q5_1,
/// Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K to Float32 exactly as gguf-py's reference
/// dequantiser does.
public struct GGUFFile: TensorFile {
    /// The path the file was opened at.
    public let path: String
    /// The format version (2 or 3).
    public let version: Int
    /// Every metadata key/value of the header.
    public let metadata: [String: GGUFValue]
    /// Every tensor in the file's order; shapes are row-major, outermost first (GGUF's `ne`
    /// reversed: an output matrix with `ne = [n_embd, n_vocab]` has shape `[n_vocab, n_embd]`).
    public let tensors: [TensorInfo]
    /// The alignment of tensor data (`general.alignment`, 32 when absent).
    public let alignment: Int
    /// Where the data section starts in the file.
    public let dataOffset: Int

    private let file: MappedFile
    private let entries: [String: Entry]

    /// Where one tensor's bytes are and how they are encoded.
    private struct Entry: Sendable {
        let info: TensorInfo
        let type: GGMLType
        /// Absolute offset in the file.
        let start: Int
        let byteCount: Int
    }

    /// Maps and validates the file; throws `ModelFormatError` for anything it cannot read.
    public init(path: String) throws {
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch let error as LayerFormatError {
            throw ModelFormatError(path, GGUFFile.kind(of: error))
        }
        var reader = GGUFHeaderReader(bytes: file.bytes, path: path)
        let header = try reader.read()
        self.path = path
        self.file = file
        self.version = header.version
        self.metadata = header.metadata
        self.alignment = header.alignment
        self.dataOffset = header.dataOffset
        self.tensors = header.tensors.map(\.info)
        var entries: [String: Entry] = [:]
        for tensor in header.tensors {
            entries[tensor.info.name] = Entry(
                info: tensor.info, type: tensor.type, start: tensor.start, byteCount: tensor.byteCount)
        }
        self.entries = entries
    }

    /// The vocabulary (`tokenizer.ggml.tokens`), in token-id order.
    public var tokens: [String]? { metadata["tokenizer.ggml.tokens"]?.stringArray }

    /// The model architecture (`general.architecture`, e.g. `llama`).
    public var architecture: String? { metadata["general.architecture"]?.string }

    /// A 2-D tensor (leading dimensions of size 1 are dropped) as rows × columns Float32.
    public func matrix(_ name: String) throws -> FloatMatrix {
        let entry = try self.entry(name)
        var shape = entry.info.shape
        while shape.count > 2 && shape[0] == 1 { shape.removeFirst() }
        guard shape.count == 2 else {
            throw ModelFormatError(path, .wrongShape(tensor: name, "a matrix needs 2 dimensions, it has \(shape)"))
        }
        let (rows, columns) = (shape[0], shape[1])
        if rows == 0 || columns == 0 { return FloatMatrix(rows: rows, columns: columns, values: []) }
        if let encoding = entry.type.floatEncoding {
            let stored = FloatMatrix.stored(
                in: file, offset: entry.start, rows: rows, columns: columns, encoding: encoding)
            guard let stored else { throw outOfMemory(entry) }
            return stored
        }
        let decoder = try self.decoder(entry)
        let source = file.bytes.baseAddress! + entry.start
        let blocks = rows * columns / entry.type.blockSize
        let matrix = FloatMatrix.filled(rows: rows, columns: columns) { out in
            dequantize(decoder, type: entry.type, source: source, blockCount: blocks, into: out.baseAddress!)
        }
        guard let matrix else { throw outOfMemory(entry) }
        return matrix
    }

    /// A tensor with at most one dimension larger than 1, as Float32 values.
    public func vector(_ name: String) throws -> [Float] {
        let entry = try self.entry(name)
        let shape = entry.info.shape
        guard shape.filter({ $0 != 1 }).count <= 1 else {
            throw ModelFormatError(path, .wrongShape(tensor: name, "a vector needs one dimension, it has \(shape)"))
        }
        let count = entry.info.elementCount
        if count == 0 { return [] }
        let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[entry.start..<(entry.start + entry.byteCount)])
        if let encoding = entry.type.floatEncoding {
            return withExtendedLifetime(file) { storedFloats(bytes, encoding: encoding, count: count) }
        }
        let decoder = try self.decoder(entry)
        return withExtendedLifetime(file) {
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                dequantize(
                    decoder, type: entry.type, source: bytes.baseAddress!, blockCount: count / entry.type.blockSize,
                    into: out.baseAddress!)
                initialized = count
            }
        }
    }

    private func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else { throw ModelFormatError(path, .missingTensor(name)) }
        return entry
    }

    private func decoder(_ entry: Entry) throws -> BlockDecoder {
        guard let decoder = entry.type.blockDecoder else {
            throw ModelFormatError(path, .unsupportedDType(tensor: entry.info.name, dtype: entry.type.name))
        }
        return decoder
    }

    private func outOfMemory(_ entry: Entry) -> ModelFormatError {
        ModelFormatError(
            path, .unreadable("not enough memory to convert tensor '\(entry.info.name)' \(entry.info.shape) to Float32")
        )
    }

    private static func kind(of error: LayerFormatError) -> ModelFormatError.Kind {
        switch error.kind {
        case .missingFile: return .missingFile
        case .unreadable(let why): return .unreadable(why)
        case .truncated(let what): return .truncated(what)
        default: return .unreadable("\(error.kind)")
        }
    }
}
