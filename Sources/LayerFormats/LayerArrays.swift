import Foundation

/// The arrays of a softmax layer as stored in a file: weights (classes × features) and an optional
/// bias (one per class), validated (non-empty, bias length, finite values).
///
/// Files `load(path:)` accepts (recognised by their first bytes, not their extension):
/// - `.npy`: the weights W, classes × features; no bias.
/// - `.npz` with `W` (classes × features) and optional `b` (classes; 1 × C or C × 1 too).
/// - `.npz` in the original tool's convention: `decoder_Wemb` stored features × classes (transposed
///   in the same pass that reads it), optional bias `decoder_ff_logit_out_b` (Marian's name) or `b`.
///   Marian's own model files store `decoder_Wemb` as classes × features; when a bias is present
///   and its length matches only one of the two dimensions, that dimension is taken as the classes,
///   so both orientations read correctly.
/// - `.npz` holding a single array (e.g. `np.savez(path, W)`, which names it `arr_0`): the weights.
public struct LayerArrays: Sendable {
    /// classes × features, possibly a view of the mapped file.
    public let weights: FloatMatrix
    /// One value per class, or nil when the file has none.
    public let bias: [Float]?

    /// C, the number of classes (rows of the weights).
    public var classes: Int { weights.rows }
    /// d, the number of features (columns of the weights).
    public var dimension: Int { weights.columns }

    /// Validates (non-empty, bias length, finite values), so every `LayerArrays` can be trusted
    /// downstream without scanning the weights again. `source` names the arrays in error messages.
    public init(weights: FloatMatrix, bias: [Float]?, source: String = "layer") throws {
        try Self.validate(weights: weights, bias: bias, source: source)
        self.weights = weights
        self.bias = bias
    }

    /// Reads and validates a layer from an `.npy` or `.npz` file (memory-mapped; see the type's
    /// documentation for the conventions). Errors are `LayerFormatError`s naming the file.
    public static func load(path: String) throws -> LayerArrays {
        let file = try MappedFile(path: path)
        let (weights, bias): (FloatMatrix, [Float]?)
        switch LayerFileKind(file.bytes) {
        case .npy:
            (weights, bias) = (try NumpyArray.parse(ByteRegion(file.bytes, owner: file), source: path).matrix(), nil)
        case .npz:
            (weights, bias) = try arrays(in: NPZArchive(file: file))
        case .unknown:
            throw LayerFormatError(
                path,
                path.lowercased().hasSuffix(".npz")
                    ? .notZip("it does not start with a zip signature") : .notNumpy)
        }
        return try LayerArrays(weights: weights, bias: bias, source: path)
    }

    private static func arrays(in archive: NPZArchive) throws -> (FloatMatrix, [Float]?) {
        if let w = try archive.array(named: "W") {
            return (try w.matrix(), try archive.array(named: "b")?.vector())
        }
        if let w = try archive.array(named: "decoder_Wemb") {
            let bias = try (archive.array(named: "decoder_ff_logit_out_b") ?? archive.array(named: "b"))?.vector()
            guard w.shape.count == 2 else {
                throw LayerFormatError(w.source, .wrongDimensions(expected: 2, shape: w.shape))
            }
            // The original tool's convention is features × classes; a bias that fits only the
            // first dimension says this file is Marian's classes × features instead.
            let storedClassesFirst = bias.map { $0.count == w.shape[0] && $0.count != w.shape[1] } ?? false
            return (try w.matrix(transposed: !storedClassesFirst), bias)
        }
        if archive.entries.count == 1, let only = try archive.array(named: archive.names[0]) {
            return (try only.matrix(), nil)
        }
        let names = archive.names.isEmpty ? "none" : archive.names.map { "'\($0)'" }.joined(separator: ", ")
        throw LayerFormatError(
            archive.file.path,
            .missingArray(
                "expected 'W' (classes × features) with optional 'b', "
                    + "or 'decoder_Wemb' (features × classes); found \(names)"
            ))
    }

    static func validate(weights: FloatMatrix, bias: [Float]?, source: String) throws {
        guard weights.rows > 0, weights.columns > 0 else { throw LayerFormatError(source, .emptyLayer) }
        if let bias, bias.count != weights.rows {
            throw LayerFormatError(
                source, .wrongShape("the bias has \(bias.count) entries for \(weights.rows) classes"))
        }
        if let (row, column) = weights.firstNonFinite() {
            throw LayerFormatError(source, .nonFinite(row: row, column: column))
        }
        if let index = bias?.firstIndex(where: { !$0.isFinite }) {
            throw LayerFormatError(source, .nonFiniteBias(index: index))
        }
    }

    /// Writes `W` and, if present, `b` as an `.npz` that `np.load` reads (float32, stored,
    /// 64-byte aligned entries, so `load` reads it back without a copy); atomically.
    public func writeNPZ(to path: String) throws {
        var members = [NPZArchive.Member(name: "W", matrix: weights)]
        if let bias { members.append(NPZArchive.Member(name: "b", vector: bias)) }
        try NPZArchive.write(members, to: path)
    }
}

/// What a file is, by its first bytes.
enum LayerFileKind {
    case npy, npz, unknown

    init(_ bytes: UnsafeRawBufferPointer) {
        if bytes.starts(with: NumpyArray.magic) {
            self = .npy
        } else if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            self = .npz  // "PK" and a local header, or the end record of an empty archive
        } else {
            self = .unknown
        }
    }
}
