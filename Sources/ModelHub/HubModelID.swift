import Foundation

/// A model on the Hugging Face Hub, as `unargmax check org/name` names it: `org/name`, or a bare
/// `name` for the few models without an organisation (`gpt2`, `bert-base-uncased`).
public struct HubModelID: Sendable, Hashable, CustomStringConvertible {
    /// `org/name` or `name`, as given.
    public let repository: String

    /// Accepts one or two parts separated by `/`, each of letters, digits, `-`, `_` and `.`,
    /// not starting or ending with `-` or `.` and without `..`. Anything that is or looks like a local
    /// path is refused (a file or folder of that name exists in the current directory, `./x`, `/x`,
    /// `~/x`, `a/b/c`, a name ending in a file extension the tool reads), so that a folder the user
    /// meant is never sent to the network.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy(Self.isValidPart) else { return nil }
        let lowered = text.lowercased()
        let localSuffixes = [".safetensors", ".bin", ".pt", ".gguf", ".npz", ".npy", ".json", ".pth"]
        guard !localSuffixes.contains(where: { lowered.hasSuffix($0) }),
            !FileManager.default.fileExists(atPath: text)
        else { return nil }
        repository = text
    }

    /// The cache folder's name in the huggingface_hub layout: `models--org--name`.
    public var cacheFolderName: String {
        "models--" + repository.split(separator: "/").joined(separator: "--")
    }

    public var description: String { repository }

    private static func isValidPart(_ part: Substring) -> Bool {
        guard !part.isEmpty, part.count <= 96, !part.contains("..") else { return false }
        guard let first = part.first, let last = part.last, !"-.".contains(first), !"-.".contains(last) else {
            return false
        }
        return part.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || "-_.".unicodeScalars.contains(scalar))
        }
    }
}
