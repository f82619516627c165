/// Why a study could not run: the file (or state file, or layer) and the problem, in one sentence
/// the command line prints as it is.
public struct StudyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file the problem is in (or a short name of the input, e.g. "--dims").
    public let path: String
    /// What is wrong, as a sentence.
    public let problem: String

    /// An error about `path`.
    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
