/// Why a layer file could not be read or written. Every error names the file (and, inside an
/// `.npz`, the array), so the CLI can print the description as it is.
public struct LayerFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The path does not exist.
        case missingFile
        /// It exists but cannot be opened or mapped (permissions, a directory, out of memory).
        case unreadable(String)
        /// The first bytes are not NumPy's magic string (and it is no zip archive either).
        case notNumpy
        /// The file ends inside a header, a zip record or a compressed stream.
        case truncated(String)
        /// The `.npy` header is not the Python dictionary the format prescribes.
        case malformedHeader(String)
        /// An element type other than float16/32/64 (e.g. `<i4`, a structured dtype).
        case unsupportedDType(String)
        /// The header's shape needs more data bytes than the file has.
        case dataTooShort(needed: Int, available: Int)
        /// An array with the wrong number of dimensions (weights must be 2-D, a bias 1-D).
        case wrongDimensions(expected: Int, shape: [Int])
        /// Shapes that do not fit together (e.g. a bias whose length is not the number of classes).
        case wrongShape(String)
        /// NaN or ±Inf in the weights, at (class, feature) of the classes × features matrix.
        case nonFinite(row: Int, column: Int)
        case nonFiniteBias(index: Int)
        /// No classes or no features.
        case emptyLayer
        /// The archive has no array the layer conventions recognise.
        case missingArray(String)
        /// Not a zip archive, or a corrupt one.
        case notZip(String)
        case unsupportedCompression(String)
        case writeFailed(String)
    }

    /// The file (for an `.npz` member: `file (array 'name')`).
    public let path: String
    /// What went wrong.
    public let kind: Kind

    /// An error about the file (or `.npz` member) `path`.
    public init(_ path: String, _ kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String {
        let problem: String
        switch kind {
        case .missingFile: problem = "No such file"
        case .unreadable(let why): problem = "cannot be read: \(why)"
        case .notNumpy: problem = "is not a NumPy .npy file (bad magic bytes)"
        case .truncated(let what): problem = "is truncated: \(what)"
        case .malformedHeader(let why): problem = "has a malformed .npy header: \(why)"
        case .unsupportedDType(let dtype):
            problem = "has unsupported dtype \(dtype) (supported: float16, float32, float64, either byte order)"
        case .dataTooShort(let needed, let available):
            problem = "is truncated: its shape needs \(needed) data bytes, only \(available) are there"
        case .wrongDimensions(let expected, let shape):
            let what = expected == 2 ? "a 2-D array (classes × features)" : "a 1-D array"
            problem =
                "has the wrong number of dimensions: expected \(what), "
                + "got shape (\(shape.map(String.init).joined(separator: ", ")))"
        case .wrongShape(let why): problem = "has the wrong shape: \(why)"
        case .nonFinite(let row, let column):
            problem = "contains NaN or Inf in the weights (first at class \(row), feature \(column))"
        case .nonFiniteBias(let index): problem = "contains NaN or Inf in the bias (first at class \(index))"
        case .emptyLayer: problem = "holds an empty layer (no classes or no features)"
        case .missingArray(let why): problem = "has no layer weights: \(why)"
        case .notZip(let why): problem = "is not a valid .npz (zip) archive: \(why)"
        case .unsupportedCompression(let method): problem = "uses unsupported zip compression \(method)"
        case .writeFailed(let why): problem = "could not be written: \(why)"
        }
        return "\(path): \(problem)"
    }
}
