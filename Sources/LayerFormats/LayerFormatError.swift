/// Why a layer file could not be read or written. Every case names the file, so the CLI can
/// print the description as it is.
public struct LayerFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case missingFile
        case unreadable(String)
        case notNumpy
        case truncated(String)
        case malformedHeader(String)
        case unsupportedDType(String)
        case wrongShape(String)
        case nonFinite(row: Int, column: Int)
        case nonFiniteBias(index: Int)
        case emptyLayer
        case missingArray(String)
        case notZip(String)
        case unsupportedCompression(String)
        case writeFailed(String)
    }

    public let path: String
    public let kind: Kind

    public init(_ path: String, _ kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String {
        let problem: String
        switch kind {
        case .missingFile: problem = "No such file"
        case .unreadable(let why): problem = "cannot be read: \(why)"
        case .notNumpy: problem = "is not a NumPy .npy array (bad magic bytes)"
        case .truncated(let what): problem = "is truncated: \(what)"
        case .malformedHeader(let why): problem = "has a malformed .npy header: \(why)"
        case .unsupportedDType(let dtype): problem = "has unsupported dtype \(dtype) (supported: float16, float32, float64, either byte order)"
        case .wrongShape(let why): problem = "has the wrong shape: \(why)"
        case .nonFinite(let row, let column): problem = "contains NaN or Inf in the weights (first at row \(row), column \(column))"
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
