import Foundation
import Testing

@testable import Vocabularies

@Suite("Marian vocab.yml")
struct MarianYAMLTests {
    /// Awkward tokens: quotes, colons, comment signs, ▁, emoji, YAML keywords and numbers, escapes.
    private let awkward = """
        ['</s>', '<unk>', '▁de', ',', '"', "'", ':', 'a: b', 'key:', '#', 'a #b', '▁"quoted"', '🙂', 'null', \
        'true', 'False', 'yes', '~', '123', '1.5', '0x10', '-', '- x', '? q', '[', '{', '}', '&a', '*b', '!', \
        '|', '>', '%', '@', '`', ' lead', 'trail ', '\\\\', 'tab\\there', 'new\\nline', '\\x00', '\\x85', \
        '\\u2028', '\\u2029x', 'a\\x85b', ' \\n\\n x', '\\ufeff', 'é', '日本', '', 'a\\'b"c']
        """

    @Test("files written by yaml.safe_dump read as yaml.safe_load reads them", arguments: [false, true])
    func safeDump(allowUnicode: Bool) throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/vocab.yml"
        let unicode = allowUnicode ? "True" : "False"
        let expected = try pythonJSON(
            [String].self,
            """
            import yaml
            tokens = \(awkward)
            with open('\(path)', 'w', encoding='utf-8') as f:
                yaml.safe_dump({t: i for i, t in enumerate(tokens)}, f, allow_unicode=\(unicode))
            loaded = yaml.safe_load(open('\(path)', encoding='utf-8'))
            print(json.dumps([t for t, i in sorted(loaded.items(), key=lambda p: p[1])]))
            """)
        let vocabulary = try Vocabulary.load(path: path)
        #expect(scalars(vocabulary.tokens) == scalars(expected))
        #expect(vocabulary.tokens.count == 51)
        #expect(vocabulary.encoding == .sentencePiece)
    }

    @Test("Marian's own style: plain keys taken verbatim, double-quoted escapes, comments")
    func marianStyle() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/opus.vocab.yml"
        try write(
            """
            # comment
            ---
            "</s>": 0
            "<unk>": 1
            ▁de: 2  # trailing comment
            null: 3
            "\\u2581\\"q\\"": 4
            'it''s': 5
            a:b: 6
            "\\U0001F642\\x41\\t": 7

            """, to: path)
        let vocabulary = try Vocabulary.load(path: path)
        #expect(vocabulary.tokens == ["</s>", "<unk>", "▁de", "null", "▁\"q\"", "it's", "a:b", "🙂A\t"])
        #expect(vocabulary.display(4) == "\" \\\"q\\\"\"")
    }

    @Test("bad YAML, duplicate ids and gaps are errors naming the file and line")
    func hostile() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/vocab.yml"
        let cases: [(String, Int)] = [
            ("a: 0\nb 1\n", 2), ("a: x\n", 1), ("\"a: 0\n", 2), ("'a: 0\n", 2), ("\"\\q\": 0\n", 1),
            ("\"\\u12\": 0\n", 1), ("{a: 0}\n", 1), ("a: 0\n  b: 1\n", 2), ("a: -1\n", 1), ("a: 0 1\n", 1),
            ("a:0\n", 1), ("? a\n", 2), ("a: 99999999999999999999\n", 1), (": 0\n", 1),
        ]
        for (text, line) in cases {
            try write(text, to: path)
            if case .malformedYAML(let found, _) = loadError(path) {
                #expect(found == line, "\(text)")
            } else {
                Issue.record("accepted \(text)")
            }
        }
        try write("a: 0\nb: 0\n", to: path)
        #expect(loadError(path) == .duplicateID(0, first: "a", second: "b"))
        try write("a: 0\nb: 2\n", to: path)
        #expect(loadError(path) == .gapInIDs(missing: 1, count: 2))
        try write("# nothing\n", to: path)
        #expect(loadError(path) == .emptyVocabulary)
        try write([0x61, 0x3A, 0x20, 0x30, 0xFF], to: path)
        if case .malformedYAML = loadError(path) {} else { Issue.record("invalid UTF-8 accepted") }
    }
}
