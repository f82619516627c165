import Foundation
import Testing

@testable import Vocabularies

@Suite("tiktoken files and Llama-style tokenizer.json")
struct OtherFormatsTests {
    @Test("tiktoken: ranks are ids, bytes decoded as Python decodes them, also as Llama 3's tokenizer.model")
    func tiktoken() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let decoded = try pythonJSON(
            [String].self,
            """
            import base64
            tokens = [bytes([b]) for b in range(256)] + ['▁the'.encode(), b' \\xd0', 'привет'.encode(), \
            b'\\xe2\\x96', ' hello'.encode()]
            for name in ['cl.tiktoken', 'tokenizer.model']:
                with open('\(directory)/' + name, 'w') as f:
                    for rank, t in enumerate(tokens):
                        f.write(base64.b64encode(t).decode() + ' ' + str(rank) + '\\n')
            print(json.dumps([t.decode('utf-8', 'replace') for t in tokens]))
            """)
        for name in ["cl.tiktoken", "tokenizer.model"] {
            let vocabulary = try Vocabulary.load(path: directory + "/" + name)
            #expect(vocabulary.encoding == .byteLevelBPE && vocabulary.count == 261)
            #expect(vocabulary.tokens.indices.map(vocabulary.text) == decoded)
            #expect(vocabulary.display(257) == "\" \\xD0\"" && vocabulary.display(260) == "\" hello\"")
            #expect(vocabulary.tokens[32] == "Ġ")
        }
        let path = directory + "/bad.tiktoken"
        try write("IQ== 0\nnot base64! 1\n", to: path)
        if case .malformedText = loadError(path) {} else { Issue.record("bad tiktoken line accepted") }
        try write("IQ== 0\nIg== 2\n", to: path)
        #expect(loadError(path) == .gapInIDs(missing: 1, count: 2))
    }

    @Test(
        "Llama-style tokenizer.json (BPE with byte fallback) is SentencePiece; GPT-2 style in a Sequence is byte-level")
    func encodings() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/tokenizer.json"
        try write(
            """
            {"added_tokens": [{"id": 0, "content": "<unk>"}, {"id": 1, "content": "<s>"}],
             "pre_tokenizer": null,
             "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"},
               "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " "}]},
             "model": {"type": "BPE", "byte_fallback": true, "vocab": {"<unk>": 0, "<s>": 1, "<0x0A>": 2, "▁the": 3},
               "merges": []}}
            """, to: path)
        let llama = try Vocabulary.load(path: path)
        #expect(llama.encoding == .sentencePiece)
        #expect(llama.tokens.indices.map(llama.display) == ["<unk>", "<s>", "\"\\n\"", "\" the\""])
        try write(
            """
            {"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "x"}},
               {"type": "ByteLevel", "add_prefix_space": false}]},
             "model": {"type": "BPE", "vocab": {"Ġthe": 0, "a": 1}, "merges": []}}
            """, to: path)
        #expect(try Vocabulary.load(path: path).encoding == .byteLevelBPE)
        // Without hints the tokens decide; a vocab.json of Marian pieces is SentencePiece.
        try write(#"{"</s>": 0, "▁de": 1, "la": 2}"#, to: directory + "/vocab.json")
        #expect(try Vocabulary.load(path: directory + "/vocab.json").encoding == .sentencePiece)
        #expect(Vocabulary.guessEncoding(["[CLS]", "##ing", "the"]) == .wordPiece)
        #expect(Vocabulary.guessEncoding(["a", "b"]) == .plain)
        #expect(Vocabulary.byteFallback("<0x+1>") == nil && Vocabulary.byteFallback("<0x0a>") == 0x0A)
    }

    @Test("unknown names and directories without a vocabulary are errors naming the path")
    func unknown() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        if case .unreadable = loadError(directory) {} else { Issue.record("an empty directory loaded") }
        try write("x", to: directory + "/weights.bin")
        if case .unknownFormat = loadError(directory + "/weights.bin") {} else { Issue.record("weights.bin loaded") }
    }
}
