import Foundation

extension Vocabulary {
    /// Reads the vocabulary file at `path`, choosing the reader by the file name:
    ///
    /// - `tokenizer.json` (Hugging Face tokenizers), or any `.json` with a top-level `model` object;
    /// - `vocab.json` and other `.json` objects mapping token → id (GPT-2, Marian);
    /// - `.txt`: one token per line, the id is the line number (BERT's `vocab.txt`); `merges.txt` is refused;
    /// - `.model` / `.spm`: a SentencePiece model (protobuf), or tiktoken text (Llama 3's `tokenizer.model`);
    /// - `.tiktoken`: lines of base64 token bytes and rank;
    /// - `.yml` / `.yaml`: Marian's `vocab.yml` (`token: id` lines).
    ///
    /// A directory is searched for `tokenizer.json`, then the other usual names (see `knownFileNames`).
    public static func load(path: String) throws -> Vocabulary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw VocabularyError(path, .missingFile)
        }
        if isDirectory.boolValue {
            let directory = path.hasSuffix("/") ? String(path.dropLast()) : path
            for name in knownFileNames where FileManager.default.fileExists(atPath: directory + "/" + name) {
                return try load(path: directory + "/" + name)
            }
            throw VocabularyError(
                path, .unreadable("a directory without \(knownFileNames.joined(separator: ", "))"))
        }
        let name = (path as NSString).lastPathComponent.lowercased()
        if name.hasSuffix(".tiktoken") {
            return try loadTiktoken(path: path)
        }
        if name.hasSuffix(".model") || name.hasSuffix(".spm") {
            // Llama 3's tokenizer.model is tiktoken text, not a SentencePiece protobuf.
            if try looksLikeTiktoken(path: path) { return try loadTiktoken(path: path) }
            return try loadSentencePiece(path: path)
        }
        if name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
            return try loadMarianYAML(path: path)
        }
        if name.hasSuffix("merges.txt") {
            throw VocabularyError(path, .unknownFormat("BPE merge rules, not a vocabulary (use vocab.json)"))
        }
        if name.hasSuffix(".txt") {
            return try loadLines(path: path)
        }
        if name.hasSuffix(".json") {
            let object = try jsonObject(path: path)
            if case .object = object["model"] {
                return try tokenizerJSON(object, path: path)
            }
            return try tokenToID(object, path: path)
        }
        throw VocabularyError(
            path,
            .unknownFormat("unknown file name (expected tokenizer.json, vocab.json, vocab.txt, .model, vocab.yml)"))
    }

    /// The file names `load(path:)` looks for, in this order, when given a directory.
    public static let knownFileNames = [
        // Ids must be the model's class ids: the full tokenizer first, then the id maps (Marian's
        // vocab.json, not its source.spm), SentencePiece models whose ids are the model's, and last
        // files whose ids may be offset from the model's (fairseq's sentencepiece.bpe.model).
        "tokenizer.json", "vocab.json", "tokenizer.model", "spiece.model", "target.spm", "vocab.txt", "vocab.yml",
        "sentencepiece.bpe.model", "source.spm",
    ]

    /// Reads a Hugging Face `tokenizer.json`: `model.vocab` (an object token → id for BPE, WordPiece and
    /// WordLevel; an array of `[piece, score]` for Unigram, the id being the position) plus `added_tokens`,
    /// which take their id's place (as `id_to_token` does). The encoding comes from the pre-tokenizer,
    /// decoder and model type.
    public static func loadTokenizerJSON(path: String) throws -> Vocabulary {
        try tokenizerJSON(jsonObject(path: path), path: path)
    }

    /// Reads a JSON object mapping token → id (GPT-2's and Marian's `vocab.json`); the encoding is guessed
    /// from the tokens (`Ġ` → byte-level BPE, `▁` → SentencePiece, `##` → WordPiece).
    public static func loadVocabJSON(path: String) throws -> Vocabulary {
        try tokenToID(jsonObject(path: path), path: path)
    }

    /// Reads one token per line, the id being the line number from 0 (BERT's `vocab.txt`). Lines end at
    /// `\n`, `\r\n` or `\r` (as Python's text files do); the newline that ends the last line does not start
    /// another token, but empty lines and lines of spaces are tokens.
    public static func loadLines(path: String) throws -> Vocabulary {
        let data = try contents(path: path)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw VocabularyError(path, .malformedText("not UTF-8"))
        }
        var tokens: [String] = []
        var current = ""
        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        var afterCarriageReturn = false
        for scalar in scalars {
            if scalar == "\n" && afterCarriageReturn {
                afterCarriageReturn = false
                continue
            }
            afterCarriageReturn = scalar == "\r"
            if scalar == "\n" || scalar == "\r" {
                tokens.append(current)
                current = ""
            } else {
                current.unicodeScalars.append(scalar)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        guard !tokens.isEmpty else { throw VocabularyError(path, .emptyVocabulary) }
        return Vocabulary(tokens: tokens, source: path, encoding: guessEncoding(tokens))
    }

    /// Reads a tiktoken BPE file (`<base64 of the token's bytes> <rank>` per line, as OpenAI's encodings and
    /// Llama 3's `tokenizer.model`): the rank is the id, and the bytes are spelled with GPT-2's byte table so
    /// that the vocabulary is byte-level BPE. Special tokens are not in these files (the head is larger).
    public static func loadTiktoken(path: String) throws -> Vocabulary {
        let data = try contents(path: path)
        var table = TokenTable(path: path)
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = line
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty { continue }
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 2, let bytes = Data(base64Encoded: Data(fields[0])),
                fields[1].count <= 18, fields[1].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let rank = Int(String(decoding: fields[1], as: UTF8.self))
            else {
                throw VocabularyError(path, .malformedText("line \(lineNumber) is not `<base64 token> <rank>`"))
            }
            let token = String(String.UnicodeScalarView(bytes.map { ByteLevel.characters[Int($0)] }))
            try table.place(token, id: rank)
        }
        return Vocabulary(tokens: try table.tokens(), source: path, encoding: .byteLevelBPE)
    }

    /// Whether the file starts with a tiktoken line (base64, a space, digits, a newline).
    static func looksLikeTiktoken(path: String) throws -> Bool {
        let head = try contents(path: path).prefix(256)
        guard let newline = head.firstIndex(of: UInt8(ascii: "\n")) else { return false }
        let fields = head[..<newline].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        let base64 = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".utf8)
        return fields.count == 2 && !fields[0].isEmpty && fields[0].allSatisfy(base64.contains)
            && !fields[1].isEmpty && fields[1].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
    }

    /// The encoding a GGUF file's `tokenizer.ggml.model` names: `gpt2` → byte-level BPE, `llama` and `t5`
    /// → SentencePiece, `bert` → WordPiece, anything else → plain.
    public static func encoding(ggufTokenizerModel model: String) -> Encoding {
        switch model.lowercased() {
        case "gpt2": .byteLevelBPE
        case "llama", "t5", "gemma", "gemma3": .sentencePiece
        case "bert": .wordPiece
        default: .plain
        }
    }

    /// A vocabulary from a GGUF file's `tokenizer.ggml.tokens` and `tokenizer.ggml.model`.
    public init(ggufTokens tokens: [String], tokenizerModel: String, source: String) {
        self.init(tokens: tokens, source: source, encoding: Vocabulary.encoding(ggufTokenizerModel: tokenizerModel))
    }

    /// The encoding the tokens themselves suggest: the more common of a leading `▁` (SentencePiece) and a
    /// leading `Ġ` (byte-level BPE); else `##` continuations (WordPiece); else plain.
    public static func guessEncoding(_ tokens: [String]) -> Encoding {
        var metaspace = 0, byteLevelSpace = 0, continuation = 0
        for token in tokens {
            if token.hasPrefix("▁") { metaspace += 1 }
            if token.hasPrefix("Ġ") { byteLevelSpace += 1 }
            if token.hasPrefix("##") && token.count > 2 { continuation += 1 }
        }
        if metaspace > 0 && metaspace >= byteLevelSpace { return .sentencePiece }
        if byteLevelSpace > 0 { return .byteLevelBPE }
        if continuation > 0 { return .wordPiece }
        return .plain
    }
}

// MARK: - Shared by the readers

/// The bytes of a file, with the errors naming it.
func contents(path: String) throws -> Data {
    guard FileManager.default.fileExists(atPath: path) else { throw VocabularyError(path, .missingFile) }
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
    } catch {
        throw VocabularyError(path, .unreadable(error.localizedDescription))
    }
}

/// Tokens placed by id: every id must be given once, and together they must be 0..<count.
struct TokenTable {
    let path: String
    private(set) var byID: [Int: String] = [:]

    init(path: String) { self.path = path }

    /// Gives `id` to `token`; a second, different token for the same id is an error unless `replacing`.
    mutating func place(_ token: String, id: Int, replacing: Bool = false) throws {
        if let existing = byID[id], !replacing {
            if existing.unicodeScalars.elementsEqual(token.unicodeScalars) { return }
            throw VocabularyError(path, .duplicateID(id, first: existing, second: token))
        }
        byID[id] = token
    }

    /// The tokens in id order, once the ids are checked to be exactly 0..<count.
    func tokens() throws -> [String] {
        guard !byID.isEmpty else { throw VocabularyError(path, .emptyVocabulary) }
        let count = byID.count
        if byID.keys.contains(where: { $0 < 0 || $0 >= count }) {
            let missing = (0..<count).first { byID[$0] == nil } ?? count
            throw VocabularyError(path, .gapInIDs(missing: missing, count: count))
        }
        return (0..<count).map { byID[$0]! }
    }
}

extension Vocabulary {
    /// The top-level object of a JSON file (parsed by `JSONParser`, which keeps canonically equivalent keys).
    static func jsonObject(path: String) throws -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONParser.parse([UInt8](contents(path: path)))
        } catch let error as JSONSyntaxError {
            throw VocabularyError(path, .malformedJSON("not JSON: \(error)"))
        }
        guard case .object = value else {
            throw VocabularyError(path, .malformedJSON("the top level is not an object"))
        }
        return value
    }

    static func tokenToID(_ object: JSONValue, path: String) throws -> Vocabulary {
        guard case .object(let members) = object else {
            throw VocabularyError(path, .malformedJSON("the top level is not an object"))
        }
        var table = TokenTable(path: path)
        for (token, value) in members {
            guard let id = value.integer else {
                throw VocabularyError(path, .malformedJSON("the id of \(quoted(token)) is not an integer"))
            }
            try table.place(token, id: id)
        }
        let tokens = try table.tokens()
        return Vocabulary(tokens: tokens, source: path, encoding: guessEncoding(tokens))
    }

    static func tokenizerJSON(_ object: JSONValue, path: String) throws -> Vocabulary {
        guard let model = object["model"], case .object = model else {
            throw VocabularyError(path, .malformedJSON("no `model` object"))
        }
        var table = TokenTable(path: path)
        switch model["vocab"] {
        case .object(let members):
            for (token, value) in members {
                guard let id = value.integer else {
                    throw VocabularyError(
                        path, .malformedJSON("model.vocab: the id of \(quoted(token)) is not an integer"))
                }
                try table.place(token, id: id)
            }
        case .array(let pieces):
            for (id, entry) in pieces.enumerated() {
                guard case .array(let pair) = entry, let piece = pair.first?.string else {
                    throw VocabularyError(path, .malformedJSON("model.vocab[\(id)] is not a [piece, score] pair"))
                }
                try table.place(piece, id: id)
            }
        default:
            throw VocabularyError(path, .malformedJSON("model.vocab is neither an object nor an array"))
        }
        switch object["added_tokens"] {
        case nil, .null?: break
        case .array(let added)?:
            var addedIDs: [Int: String] = [:]
            for (position, entry) in added.enumerated() {
                guard let id = entry["id"]?.integer, let content = entry["content"]?.string else {
                    throw VocabularyError(
                        path, .malformedJSON("added_tokens[\(position)] has no integer id and string content"))
                }
                if let other = addedIDs[id], !other.unicodeScalars.elementsEqual(content.unicodeScalars) {
                    throw VocabularyError(path, .duplicateID(id, first: other, second: content))
                }
                addedIDs[id] = content
                try table.place(content, id: id, replacing: true)
            }
        default:
            throw VocabularyError(path, .malformedJSON("added_tokens is not an array"))
        }
        let tokens = try table.tokens()
        return Vocabulary(
            tokens: tokens, source: path, encoding: tokenizerEncoding(object, model: model, tokens: tokens))
    }

    /// ByteLevel anywhere in the pre-tokenizer or decoder → byte-level BPE; Metaspace, a Unigram model or
    /// byte fallback → SentencePiece; a WordPiece model or decoder → WordPiece; else guessed from the tokens.
    static func tokenizerEncoding(_ object: JSONValue, model: JSONValue, tokens: [String]) -> Encoding {
        var types = Set<String>()
        collectTypes(object["pre_tokenizer"], into: &types)
        collectTypes(object["decoder"], into: &types)
        let modelType = model["type"]?.string ?? ""
        if types.contains("ByteLevel") { return .byteLevelBPE }
        if types.contains("Metaspace") || modelType == "Unigram" { return .sentencePiece }
        if modelType == "WordPiece" || types.contains("WordPiece") { return .wordPiece }
        if types.contains("ByteFallback") || model["byte_fallback"]?.bool == true { return .sentencePiece }
        return guessEncoding(tokens)
    }

    /// Every `type` string in a JSON value (pre-tokenizers and decoders nest in `Sequence`s).
    static func collectTypes(_ value: JSONValue?, into types: inout Set<String>) {
        switch value {
        case .object(let members)?:
            for (key, nested) in members {
                if key == "type", let type = nested.string { types.insert(type) }
                collectTypes(nested, into: &types)
            }
        case .array(let elements)?:
            for nested in elements { collectTypes(nested, into: &types) }
        default: break
        }
    }
}
