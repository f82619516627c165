import Foundation
import Testing

@testable import Vocabularies

@Suite("SentencePiece .model")
struct SentencePieceTests {
    /// Trains a model with byte fallback and returns, per id: piece, decoding alone, and the kind
    /// (n normal, b byte, c control, u unknown) as `sentencepiece` reports them.
    private func train(_ type: String, at prefix: String, options: String = "") throws -> [[String]] {
        try pythonJSON(
            [[String]].self,
            """
            import sentencepiece as spm
            spm.SentencePieceTrainer.train(sentence_iterator=iter(\(trainingSentences)), model_prefix='\(prefix)', \
            vocab_size=420, byte_fallback=True, model_type='\(type)', hard_vocab_limit=False, minloglevel=2\(options))
            sp = spm.SentencePieceProcessor(model_file='\(prefix).model')
            n = sp.get_piece_size()
            kind = lambda i: 'b' if sp.is_byte(i) else 'c' if sp.is_control(i) else 'u' if sp.is_unknown(i) else 'n'
            print(json.dumps([[sp.id_to_piece(i), sp.decode([i]), kind(i)] for i in range(n)]))
            """)
    }

    @Test(
        "pieces equal sp.id_to_piece for every id; display and text decode ▁ and byte pieces",
        arguments: ["unigram", "bpe"])
    func pieces(type: String) throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let reference = try train(type, at: directory + "/m")
        let vocabulary = try Vocabulary.load(path: directory + "/m.model")
        #expect(vocabulary.encoding == .sentencePiece)
        #expect(scalars(vocabulary.tokens) == scalars(reference.map { $0[0] }))
        var bytes = 0
        for (index, entry) in reference.enumerated() {
            let text = vocabulary.text(index)!
            switch entry[2] {
            case "n":
                // SentencePiece drops the space of a word start when the piece is the whole text.
                let decoded = text.hasPrefix(" ") ? String(text.dropFirst()) : text
                #expect(decoded == entry[1], "piece \(index) \(entry[0])")
            case "b":
                let byte = Vocabulary.byteFallback(entry[0])!
                if byte < 0x80 {
                    #expect(text == entry[1], "byte piece \(index)")
                } else {
                    #expect(text == "\u{FFFD}")
                    #expect(vocabulary.display(index) == "\"\\x" + entry[0].dropFirst(3).prefix(2) + "\"")
                }
                bytes += 1
            default:
                #expect(vocabulary.display(index) == entry[0])
            }
        }
        #expect(bytes == 256)
        let newline = vocabulary.tokens.firstIndex(of: "<0x0A>")!
        #expect(vocabulary.display(newline) == "\"\\n\"")
        #expect(vocabulary.display(vocabulary.tokens.firstIndex(of: "<0x41>")!) == "A")
        if let word = vocabulary.tokens.firstIndex(where: { $0.hasPrefix("▁") && $0.count > 2 }) {
            #expect(vocabulary.display(word) == "\" " + vocabulary.tokens[word].dropFirst() + "\"")
        }
        // The score and type fields are read too.
        let model = try SentencePieceModel(
            bytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/m.model"))), path: "m")
        #expect(model.pieces[0].type == .unknown && model.pieces[1].type == .control)
        #expect(model.pieces[newline].type == .byte)
        // Marian names its SentencePiece models source.spm; a directory finds them too.
        try FileManager.default.copyItem(atPath: directory + "/m.model", toPath: directory + "/source.spm")
        try FileManager.default.removeItem(atPath: directory + "/m.model")
        try FileManager.default.removeItem(atPath: directory + "/m.vocab")
        let marian = try Vocabulary.load(path: directory)
        #expect(marian.source == directory + "/source.spm" && scalars(marian.tokens) == scalars(vocabulary.tokens))
    }

    @Test("every prefix of a model is a VocabularyError or a prefix of its pieces; corrupted bytes never trap")
    func truncated() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        // Without the normalizer's 240 kB table, so that every prefix can be tried.
        let reference = try train("bpe", at: directory + "/m", options: ", normalization_rule_name='identity'")
            .map { $0[0] }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/m.model")))
        var loaded = 0
        for length in 0..<bytes.count {
            let prefix = bytes[..<length]
            do {
                let model = try SentencePieceModel(bytes: prefix, path: "m")
                #expect(Array(reference.prefix(model.pieces.count)) == model.pieces.map(\.piece))
                loaded += 1
            } catch let error as VocabularyError {
                #expect(error.description.hasPrefix("m: "))
            }
        }
        #expect(loaded > 0 && loaded < bytes.count / 2)
        let path = directory + "/cut.model"
        try write(Array(bytes[..<(bytes.count / 3)]), to: path)
        if case .malformedProtobuf = loadError(path) {} else { Issue.record("a truncated model loaded") }
        try write([], to: path)
        #expect(loadError(path) == .emptyVocabulary)
        // Random corruption: errors or vocabularies, never a trap.
        var generator = SeededGenerator(state: 7)
        for _ in 0..<300 {
            var corrupt = bytes
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                corrupt[Int.random(in: 0..<corrupt.count, using: &generator)] = UInt8.random(
                    in: 0...255, using: &generator)
            }
            _ = try? SentencePieceModel(bytes: corrupt, path: "m")
        }
        // Hostile lengths and wire types.
        let hostile: [[UInt8]] = [
            [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            [0x0A] + [UInt8](repeating: 0xFF, count: 11),
            [0x0B, 0x00], [0x00], [0x0A, 0x02, 0x0A, 0x05], [0x0A, 0x02, 0x10, 0x01],
            [0x0A, 0x03, 0x0A, 0x01, 0xFF],
        ]
        for case let bad in hostile {
            #expect(throws: VocabularyError.self) { try SentencePieceModel(bytes: bad, path: "m") }
        }
    }
}
