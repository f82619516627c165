import Foundation
import Testing

@testable import Vocabularies

@Suite("Display and text")
struct DisplayTests {
    private func shown(_ tokens: [String], _ encoding: Vocabulary.Encoding) -> [String] {
        let vocabulary = Vocabulary(tokens: tokens, source: "test", encoding: encoding)
        return tokens.indices.map(vocabulary.display)
    }

    @Test("plain tokens: bare when visible, quoted with escapes otherwise")
    func plain() {
        #expect(
            shown(
                [
                    "the", " the", "", "a\"b", "\"x", "a\\b", "\u{200B}", "tab\t", "<s>", "日本", "\u{0}",
                    "\u{A0}x",
                ], .plain
            )
                == [
                    "the", "\" the\"", "\"\"", "a\"b", "\"\\\"x\"", "\"a\\\\b\"", "\"\\u{200B}\"", "\"tab\\t\"", "<s>",
                    "日本", "\"\\u{0000}\"", "\"\u{A0}x\"",
                ])
    }

    @Test("byte-level BPE: Ġ is a space, bytes decoded as UTF-8, invalid bytes as \\xNN")
    func byteLevel() {
        let vocabulary = Vocabulary(
            tokens: ["Ġthe", "ĠÐ", "âĸģ", "âĸ", "Ċ", "ĠĠ", "<|endoftext|>"], source: "t",
            encoding: .byteLevelBPE)
        #expect(
            vocabulary.tokens.indices.map(vocabulary.display) == [
                "\" the\"", "\" \\xD0\"", "▁", "\"\\xE2\\x96\"", "\"\\n\"", "\"  \"", "<|endoftext|>",
            ])
        #expect(vocabulary.text(3) == "\u{FFFD}")
        #expect(ByteLevel.characters.count == 256 && Set(ByteLevel.characters).count == 256)
        #expect(ByteLevel.characters[0x20] == "Ġ" && ByteLevel.characters[0x0A] == "Ċ")
    }

    @Test("invalid UTF-8 becomes one U+FFFD per maximal subpart, as Python decodes it")
    func replacement() throws {
        var generator = SeededGenerator(state: 11)
        let interesting: [UInt8] = [
            0x41, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xA0, 0xED, 0x9F, 0xEF, 0xF0, 0x90, 0xF4, 0x8F, 0xF5, 0xFF,
        ]
        let samples = (0..<300).map { _ in
            (0..<Int.random(in: 1...6, using: &generator)).map { _ in interesting.randomElement(using: &generator)! }
        }
        let expected = try pythonJSON(
            [String].self,
            "print(json.dumps([bytes(b).decode('utf-8', 'replace') for b in \(samples)]))")
        let tokens = samples.map { String(String.UnicodeScalarView($0.map { ByteLevel.characters[Int($0)] })) }
        let vocabulary = Vocabulary(tokens: tokens, source: "t", encoding: .byteLevelBPE)
        for index in samples.indices {
            #expect(vocabulary.text(index) == expected[index], "\(samples[index])")
        }
    }

    @Test("SentencePiece: ▁ is a space, <0xNN> pieces are their byte")
    func sentencePiece() {
        #expect(
            shown(
                ["▁the", "<0x0A>", "<0xE2>", "<0x20>", "<0x41>", "<s>", "▁", "a▁b", "<0xZZ>"], .sentencePiece
            ) == [
                "\" the\"", "\"\\n\"", "\"\\xE2\"", "\" \"", "A", "<s>", "\" \"", "a b", "<0xZZ>",
            ])
    }

    @Test("WordPiece keeps ##; text drops it")
    func wordPiece() {
        let vocabulary = Vocabulary(tokens: ["##ing", "##", "the", "[CLS]"], source: "t", encoding: .wordPiece)
        #expect(vocabulary.tokens.indices.map(vocabulary.display) == ["##ing", "##", "the", "[CLS]"])
        #expect(vocabulary.tokens.indices.map(vocabulary.text) == ["ing", "##", "the", "[CLS]"])
    }

    @Test("classes beyond the vocabulary have no token")
    func beyond() {
        let vocabulary = Vocabulary(tokens: ["a", "b"], source: "t", encoding: .plain)
        #expect(vocabulary.display(2) == "<class 2: no token>" && vocabulary.display(-1) == "<class -1: no token>")
        #expect(vocabulary.text(2) == nil)
    }

    @Test("size mismatch: padding reported with its multiple, larger vocabularies too")
    func sizeMismatch() {
        let vocabulary = Vocabulary(
            tokens: Array(repeating: "x", count: 50257), source: "gpt2/vocab.json", encoding: .plain)
        #expect(vocabulary.checkSize(against: 50257) == nil)
        let padded = vocabulary.checkSize(against: 50304)!
        #expect(padded.headIsLarger && padded.looksLikePadding)
        #expect(
            padded.description
                == "vocabulary gpt2/vocab.json has 50257 tokens, the head has 50304 classes (classes 50257..<50304 "
                + "have no token; the head looks padded to a multiple of 128)"
        )
        let smaller = vocabulary.checkSize(against: 50000)!
        #expect(!smaller.headIsLarger && smaller.description.hasSuffix("(tokens 50000..<50257 have no class)"))
        #expect(vocabulary.checkSize(against: 50258)!.description.contains("(class 50257 has no token)"))
    }

    @Test("GGUF tokenizer model names")
    func gguf() {
        #expect(Vocabulary.encoding(ggufTokenizerModel: "gpt2") == .byteLevelBPE)
        #expect(Vocabulary.encoding(ggufTokenizerModel: "llama") == .sentencePiece)
        #expect(Vocabulary.encoding(ggufTokenizerModel: "bert") == .wordPiece)
        #expect(Vocabulary.encoding(ggufTokenizerModel: "rwkv") == .plain)
        let vocabulary = Vocabulary(ggufTokens: ["<s>", "▁hi"], tokenizerModel: "llama", source: "m.gguf")
        #expect(vocabulary.encoding == .sentencePiece && vocabulary.display(1) == "\" hi\"")
    }
}
