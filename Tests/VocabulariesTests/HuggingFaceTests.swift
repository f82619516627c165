import Foundation
import Testing

@testable import Vocabularies

@Suite("Hugging Face tokenizer.json, vocab.json, vocab.txt")
struct HuggingFaceTests {
    /// Trains a tokenizer with the `tokenizers` library and saves it as `directory/tokenizer.json`;
    /// `setup` builds `tok` and `trainer`.
    private func train(_ setup: String, then after: String = "", in directory: String) throws {
        try python(
            """
            from tokenizers import Tokenizer, models, trainers, pre_tokenizers, decoders
            \(setup)
            tok.train_from_iterator(\(trainingSentences), trainer)
            \(after)
            tok.save('\(directory)/tokenizer.json')
            """)
    }

    /// Every id's token as `id_to_token` gives it, and its decoding alone.
    private func reference(_ directory: String) throws -> (tokens: [String], decoded: [String], special: [Bool]) {
        let lists = try pythonJSON(
            [[String]].self,
            """
            from tokenizers import Tokenizer
            tok = Tokenizer.from_file('\(directory)/tokenizer.json')
            n = tok.get_vocab_size(with_added_tokens=True)
            special = {t.content for t in tok.get_added_tokens_decoder().values() if t.special}
            tokens = [tok.id_to_token(i) for i in range(n)]
            print(json.dumps([tokens, [tok.decode([i]) for i in range(n)], \
            ['1' if t in special else '' for t in tokens]]))
            """)
        return (lists[0], lists[1], lists[2].map { !$0.isEmpty })
    }

    @Test("byte-level BPE: tokens by id, added tokens beyond, text decoded as the library decodes")
    func byteLevelBPE() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try train(
            """
            tok = Tokenizer(models.BPE())
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            tok.decoder = decoders.ByteLevel()
            trainer = trainers.BpeTrainer(vocab_size=420, special_tokens=['<|endoftext|>'], \
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
            """, then: "tok.add_tokens(['<extra>'])", in: directory)
        let vocabulary = try Vocabulary.load(path: directory + "/tokenizer.json")
        let reference = try reference(directory)
        #expect(vocabulary.encoding == .byteLevelBPE)
        #expect(scalars(vocabulary.tokens) == scalars(reference.tokens))
        #expect(vocabulary.tokens.last == "<extra>")
        var compared = 0
        for index in vocabulary.tokens.indices where !reference.special[index] {
            #expect(vocabulary.text(index) == reference.decoded[index], "token \(index) \(vocabulary.tokens[index])")
            compared += 1
        }
        #expect(compared > 300)
        // Multi-byte characters, spaces and partial characters.
        let byToken = Dictionary(uniqueKeysWithValues: vocabulary.tokens.enumerated().map { ($1, $0) })
        #expect(byToken["Ġ"].map(vocabulary.display) == "\" \"")
        #expect(byToken["Ċ"].map(vocabulary.display) == "\"\\n\"")
        #expect(byToken["Ð"].map(vocabulary.display) == "\"\\xD0\"")
        #expect(vocabulary.tokens.contains { $0.count > 1 && vocabulary.text(byToken[$0]!)?.first == "п" })
        for index in vocabulary.tokens.indices {
            let text = vocabulary.text(index)!
            if text.contains("\u{FFFD}") {
                #expect(vocabulary.display(index).contains("\\x"), "token \(index)")
            } else if !text.isEmpty && !text.contains(where: { $0.isWhitespace || $0 == "\\" || $0 == "\"" })
                && !text.unicodeScalars.contains(where: Vocabulary.isInvisible)
            {
                #expect(vocabulary.display(index) == text, "token \(index)")
            } else {
                #expect(vocabulary.display(index).hasPrefix("\""), "token \(index)")
            }
        }
        #expect(byToken["Ġthe"].map(vocabulary.display) == "\" the\"")
        #expect(vocabulary.display(0) == "<|endoftext|>")

        // Cut or corrupted copies: a VocabularyError naming the file, never a trap.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/tokenizer.json")))
        let damaged = directory + "/damaged/tokenizer.json"
        try FileManager.default.createDirectory(atPath: directory + "/damaged", withIntermediateDirectories: true)
        var generator = SeededGenerator(state: 3)
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 150)) {
            try write(Array(bytes[..<length]), to: damaged)
            #expect(loadError(damaged) != nil)
        }
        for _ in 0..<100 {
            var corrupt = bytes
            corrupt[Int.random(in: 0..<corrupt.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            try write(corrupt, to: damaged)
            _ = loadError(damaged)
        }
    }

    @Test("WordPiece tokenizer.json, and its vocab.txt")
    func wordPiece() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try train(
            """
            tok = Tokenizer(models.WordPiece(unk_token='[UNK]'))
            tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
            tok.decoder = decoders.WordPiece()
            trainer = trainers.WordPieceTrainer(vocab_size=300, special_tokens=['[PAD]', '[UNK]', '[CLS]'])
            """, in: directory)
        let vocabulary = try Vocabulary.load(path: directory + "/tokenizer.json")
        #expect(vocabulary.encoding == .wordPiece)
        #expect(scalars(vocabulary.tokens) == scalars(try reference(directory).tokens))
        #expect(vocabulary.tokens.contains { $0.hasPrefix("##") })
        if let index = vocabulary.tokens.firstIndex(where: { $0.hasPrefix("##") && $0.count > 2 }) {
            #expect(vocabulary.display(index) == vocabulary.tokens[index])
            #expect(vocabulary.text(index) == String(vocabulary.tokens[index].dropFirst(2)))
        }

        try python(
            """
            from tokenizers import Tokenizer
            Tokenizer.from_file('\(directory)/tokenizer.json').model.save('\(directory)')
            """)
        let lines = try Vocabulary.load(path: directory + "/vocab.txt")
        #expect(scalars(lines.tokens) == scalars(vocabulary.tokens))
        #expect(lines.encoding == .wordPiece)
    }

    @Test("Unigram tokenizer.json: pieces by position, SentencePiece encoding")
    func unigram() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try train(
            """
            tok = Tokenizer(models.Unigram())
            tok.pre_tokenizer = pre_tokenizers.Metaspace()
            tok.decoder = decoders.Metaspace()
            trainer = trainers.UnigramTrainer(vocab_size=200, special_tokens=['<unk>'], unk_token='<unk>')
            """, in: directory)
        let vocabulary = try Vocabulary.load(path: directory + "/tokenizer.json")
        let reference = try reference(directory)
        #expect(vocabulary.encoding == .sentencePiece)
        #expect(scalars(vocabulary.tokens) == scalars(reference.tokens))
        for index in vocabulary.tokens.indices where vocabulary.tokens[index].hasPrefix("▁") {
            // The Metaspace decoder drops the space of the first token.
            #expect(vocabulary.text(index).map { String($0.dropFirst()) } == reference.decoded[index])
        }
    }

    @Test("vocab.json (token → id) from the BPE model; merges.txt is refused")
    func vocabJSON() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try train(
            """
            tok = Tokenizer(models.BPE())
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            trainer = trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
            """, in: directory)
        try python(
            """
            from tokenizers import Tokenizer
            Tokenizer.from_file('\(directory)/tokenizer.json').model.save('\(directory)')
            """)
        let vocabulary = try Vocabulary.load(path: directory + "/vocab.json")
        #expect(scalars(vocabulary.tokens) == scalars(try reference(directory).tokens))
        #expect(vocabulary.encoding == .byteLevelBPE)
        if case .unknownFormat = loadError(directory + "/merges.txt") {} else { Issue.record("merges.txt loaded") }
        // A directory finds its tokenizer.json first.
        #expect(try Vocabulary.load(path: directory).source == directory + "/tokenizer.json")
    }

    @Test("vocab.txt keeps empty and blank lines; the last newline ends a line")
    func lines() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/vocab.txt"
        try write("[PAD]\n \n\nthe\r\n##s\n", to: path)
        #expect(try Vocabulary.load(path: path).tokens == ["[PAD]", " ", "", "the", "##s"])
        try write("a\nb", to: path)
        #expect(try Vocabulary.load(path: path).tokens == ["a", "b"])
        try write("", to: path)
        #expect(loadError(path) == .emptyVocabulary)
        try write([0x61, 0xFF, 0x0A], to: path)
        if case .malformedText = loadError(path) {} else { Issue.record("invalid UTF-8 accepted") }
    }

    @Test("canonically equivalent tokens (Å U+00C5 / U+212B, Ω U+03A9 / U+2126) stay two tokens")
    func canonicalEquivalence() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/vocab.json"
        try write(#"{"\u00C5": 0, "A\u030A": 1, "\u212B": 2, "\u03A9": 3, "\u2126": 4}"#, to: path)
        let vocabulary = try Vocabulary.load(path: path)
        #expect(scalars(vocabulary.tokens) == scalars(["\u{C5}", "A\u{30A}", "\u{212B}", "\u{3A9}", "\u{2126}"]))
        let tokenizer = directory + "/tokenizer.json"
        try write(
            #"{"model": {"type": "BPE", "vocab": {"\u00C5": 0, "\u212B": 1}}, "#
                + #""added_tokens": [{"id": 1, "content": "\u212B"}]}"#,
            to: tokenizer)
        #expect(scalars(try Vocabulary.load(path: tokenizer).tokens) == scalars(["\u{C5}", "\u{212B}"]))
    }

    @Test("bad JSON, duplicate ids, gaps and missing files are errors naming the file")
    func hostile() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/tokenizer.json"
        #expect(loadError(path) == .missingFile)
        let bad = [
            "{", "[1, 2]", #"{"model": {"vocab": 3}}"#, #"{"model": {"vocab": {"a": "x"}}}"#, "\u{1}",
            #"{"model": {"vocab": {"\ud800": 0}}}"#, #"{"model": {"vocab": {"\udc00x": 0}}}"#,
            #"{"model": {"vocab": {"a": 01}}}"#, #"{"model": {"vocab": {"a": 0,}}}"#, #"{"model": {"vocab": {}}} x"#,
            String(repeating: "[", count: 100_000), "{\"a\": " + String(repeating: "{\"b\": ", count: 5000),
            #"{"model": {"vocab": {"a\q": 0}}}"#, #"{"model": {"vocab": {"a": 1e400}}}"#,
        ]
        for text in bad {
            try write(text, to: path)
            if case .malformedJSON = loadError(path) {} else { Issue.record("accepted \(text.prefix(40))") }
        }
        try write([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x30, 0x7D], to: directory + "/vocab.json")
        if case .malformedJSON = loadError(directory + "/vocab.json") {} else { Issue.record("invalid UTF-8 accepted") }
        try write(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}}}"#, to: path)
        if case .duplicateID(0, _, _) = loadError(path) {} else { Issue.record("duplicate id accepted") }
        try write(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 2}}}"#, to: path)
        #expect(loadError(path) == .gapInIDs(missing: 1, count: 2))
        try write(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": -1}}}"#, to: path)
        #expect(loadError(path) == .gapInIDs(missing: 1, count: 2))
        try write(#"{"model": {"type": "BPE", "vocab": {}}}"#, to: path)
        #expect(loadError(path) == .emptyVocabulary)
        let added = #""added_tokens": [{"id": 2, "content": "<x>"}, {"id": 2, "content": "<y>"}]"#
        try write(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}}, \#(added)}"#, to: path)
        if case .duplicateID(2, _, _) = loadError(path) {} else { Issue.record("duplicate added id accepted") }
        try write(
            #"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}}, "added_tokens": [{"id": 3, "content": "<x>"}]}"#,
            to: path)
        #expect(loadError(path) == .gapInIDs(missing: 2, count: 3))
        let vocab = directory + "/vocab.json"
        try write(#"{"a": 0, "b": 1.5}"#, to: vocab)
        if case .malformedJSON = loadError(vocab) {} else { Issue.record("fractional id accepted") }
        #expect(VocabularyError(vocab, .emptyVocabulary).description.hasPrefix(vocab))
    }
}
