/// The token string of every class of an output layer, in class order, and where it came from.
public struct Vocabulary: Sendable, Equatable {
    /// How the tokens spell text, which decides how they are shown to a person.
    public enum Encoding: String, Sendable, Equatable {
        /// GPT-2-style byte-level BPE: every byte mapped to a printable character (`Ġ` is a space).
        case byteLevelBPE = "byte-level BPE"
        /// SentencePiece: `▁` marks a word start; `<0x0A>` byte-fallback pieces.
        case sentencePiece = "SentencePiece"
        /// BERT's WordPiece: `##` continues a word.
        case wordPiece = "WordPiece"
        /// Tokens shown as they are.
        case plain
    }

    /// Token i is the string of class i.
    public let tokens: [String]
    /// The file the tokens were read from (or a description, e.g. `model.gguf (tokenizer.ggml.tokens)`).
    public let source: String
    /// How the tokens spell text (decides `display(_:)` and `text(_:)`).
    public let encoding: Encoding

    /// A vocabulary from tokens already in class order (e.g. GGUF's `tokenizer.ggml.tokens`).
    public init(tokens: [String], source: String, encoding: Encoding) {
        self.tokens = tokens
        self.source = source
        self.encoding = encoding
    }

    /// The number of tokens (compare with the head's classes through `checkSize(against:)`).
    public var count: Int { tokens.count }
}
