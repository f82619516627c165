/// Why a vocabulary file could not be read. The description starts with the file, so a command-line
/// tool can print it as it is.
public struct VocabularyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The path does not exist.
        case missingFile
        /// It exists but cannot be read (permissions, a directory without a known vocabulary file).
        case unreadable(String)
        /// The file name or content is no vocabulary format this module reads (e.g. `merges.txt`).
        case unknownFormat(String)
        /// Not valid JSON, or JSON without the expected fields.
        case malformedJSON(String)
        /// A SentencePiece `.model` that is not a valid `ModelProto` (truncated, bad wire type, …).
        case malformedProtobuf(String)
        /// A Marian `vocab.yml` line outside the `token: id` form this module reads.
        case malformedYAML(line: Int, String)
        /// A text vocabulary that is not UTF-8.
        case malformedText(String)
        /// Two tokens claim the same id.
        case duplicateID(Int, first: String, second: String)
        /// The ids do not cover 0..<count: `missing` is the smallest id without a token.
        case gapInIDs(missing: Int, count: Int)
        /// The file holds no token at all.
        case emptyVocabulary
    }

    /// The file the error is about.
    public let path: String
    /// What went wrong.
    public let kind: Kind

    /// An error about the file `path`.
    public init(_ path: String, _ kind: Kind) {
        self.path = path
        self.kind = kind
    }

    /// `path: problem`, ready to print.
    public var description: String {
        let problem: String
        switch kind {
        case .missingFile: problem = "No such file"
        case .unreadable(let why): problem = "cannot be read: \(why)"
        case .unknownFormat(let why): problem = "is not a vocabulary this tool reads: \(why)"
        case .malformedJSON(let why): problem = "is not a valid vocabulary JSON file: \(why)"
        case .malformedProtobuf(let why): problem = "is not a valid SentencePiece model: \(why)"
        case .malformedYAML(let line, let why): problem = "line \(line): not a `token: id` vocabulary line: \(why)"
        case .malformedText(let why): problem = "is not a valid text vocabulary: \(why)"
        case .duplicateID(let id, let first, let second):
            problem = "id \(id) is given to two tokens, \(quoted(first)) and \(quoted(second))"
        case .gapInIDs(let missing, let count):
            problem = "the token ids of its \(count) tokens do not cover 0..<\(count): no token has id \(missing)"
        case .emptyVocabulary: problem = "holds no tokens"
        }
        return "\(path): \(problem)"
    }
}

/// A token in an error message: quoted with control characters escaped, so an empty or blank token is visible.
func quoted(_ token: String) -> String {
    var result = "\""
    for scalar in token.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case "\r": result += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}
