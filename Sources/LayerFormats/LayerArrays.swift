import Foundation

/// The arrays of a softmax layer as stored in a file: weights (classes × features) and an optional
/// bias (one per class), validated (shapes, finite values, non-empty).
///
/// Accepted files:
/// - `.npz` with `W` (C × d) and optional `b` (C);
/// - `.npz` in the original tool's convention: `decoder_Wemb` stored d × C (transposed once here),
///   with an optional bias `decoder_ff_logit_out_b` (Marian's name, shape C or 1 × C) or `b`;
/// - `.npy` holding W (C × d), no bias.
public struct LayerArrays: Sendable {
    public let weights: FloatMatrix
    public let bias: [Float]?

    public var classes: Int { weights.rows }
    public var dimension: Int { weights.columns }

    /// Validates (non-empty, bias length, finite values), so every `LayerArrays` can be trusted
    /// downstream without scanning the weights again. `source` names the arrays in error messages.
    public init(weights: FloatMatrix, bias: [Float]?, source: String = "layer") throws {
        try Self.validate(weights: weights, bias: bias, path: source)
        self.weights = weights
        self.bias = bias
    }

    public static func load(path: String) throws -> LayerArrays {
        let file = try MappedFile(path: path)
        let isNumpy = file.bytes.count >= 6 && Array(file.bytes[0..<6]) == NumpyArray.magic
        let weights: FloatMatrix
        var bias: [Float]? = nil
        if isNumpy {
            weights = try NumpyArray.parse(ByteRegion(file.bytes, owner: file), path: path).matrix(path: path)
        } else {
            let archive = try NPZArchive(file: file)
            if let w = try archive.array(named: "W") {
                weights = try w.matrix(path: path)
                bias = try archive.array(named: "b")?.vector(path: path)
            } else if let w = try archive.array(named: "decoder_Wemb") {
                weights = try w.matrix(path: path).transposed()  // stored d × C
                bias = try (archive.array(named: "decoder_ff_logit_out_b") ?? archive.array(named: "b"))?.vector(path: path)
            } else {
                let names = archive.names.isEmpty ? "none" : archive.names.joined(separator: ", ")
                throw LayerFormatError(path, .missingArray("expected an array 'W' (classes × features) or 'decoder_Wemb' (features × classes); found: \(names)"))
            }
        }
        return try LayerArrays(weights: weights, bias: bias, source: path)
    }

    static func validate(weights: FloatMatrix, bias: [Float]?, path: String) throws {
        guard weights.rows > 0, weights.columns > 0 else { throw LayerFormatError(path, .emptyLayer) }
        if let bias, bias.count != weights.rows {
            throw LayerFormatError(path, .wrongShape("the bias has \(bias.count) entries for \(weights.rows) classes"))
        }
        if let (row, column) = weights.firstNonFinite() { throw LayerFormatError(path, .nonFinite(row: row, column: column)) }
        if let index = bias?.firstIndex(where: { !$0.isFinite }) {
            throw LayerFormatError(path, .nonFiniteBias(index: index))
        }
    }

    /// Writes `W` and, if present, `b` as an `.npz` that `np.load` reads; atomically.
    public func writeNPZ(to path: String) throws {
        var arrays = [(name: String, npy: Data)]()
        arrays.append(("W", weights.withUnsafeBufferPointer { NumpyArray.encode($0, shape: [classes, dimension]) }))
        if let bias { arrays.append(("b", bias.withUnsafeBufferPointer { NumpyArray.encode($0, shape: [classes]) })) }
        try NPZArchive.write(arrays, to: path)
    }
}
