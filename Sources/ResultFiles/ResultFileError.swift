/// A file `check` writes and the other commands read back (certificates, journals, reports) that
/// cannot be read or written: the message names the file and the problem.
public struct ResultFileError: Error, CustomStringConvertible {
    public let description: String

    /// The failure of `path`, for this reason.
    public init(_ path: String, _ reason: String) { description = "\(path): \(reason)" }
}
