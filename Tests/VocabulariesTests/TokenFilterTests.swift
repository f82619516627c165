import Foundation
import Testing

@testable import Vocabularies

@Suite("Token filters")
struct TokenFilterTests {
    private let vocabulary = Vocabulary(
        tokens: [
            "hello", "привет", "Hello,", "日本", "123", "...", "mixпривет", "▁мир", "", "ña",
            "Ελλάδα", "▁▁",
            "コーヒー", "12ab", "<0xD0>", "ー", "한국어", "(ок)",
        ], source: "t", encoding: .sentencePiece)

    private func selected(_ filters: [TokenFilter], classCount: Int? = nil) throws -> [Int] {
        try vocabulary.selectedClasses(filters, classCount: classCount ?? vocabulary.count)
    }

    @Test("script filters keep tokens whose letters are all in the script")
    func scripts() throws {
        #expect(try selected([.script(.cyrillic)]) == [1, 7, 17])
        #expect(try selected([.script(.latin)]) == [0, 2, 9, 13])
        #expect(try selected([.script(.han)]) == [3])
        #expect(try selected([.script(.greek)]) == [10])
        #expect(try selected([.script(.katakana)]) == [12, 15])
        #expect(try selected([.script(.hangul)]) == [16])
        #expect(TokenFilter.script(named: "cyrillic") == .script(.cyrillic))
        #expect(TokenFilter.script(named: "Klingon") == nil)
    }

    @Test("skipDigitsPunctuation drops tokens without a letter")
    func digitsPunctuation() throws {
        #expect(try selected([.skipDigitsPunctuation]) == [0, 1, 2, 3, 6, 7, 9, 10, 12, 13, 15, 16, 17])
    }

    @Test("class lists: indices and ranges, intersected with other filters")
    func classLists() throws {
        #expect(try TokenFilter.classes("10,20-22, 3") == .classes(ClassList(ranges: [10...10, 20...22, 3...3])))
        #expect(try selected([.classes("0-7"), .script(.cyrillic)]) == [1, 7])
        #expect(try TokenFilter.classes(" 10,20-30 ,4").description == "classes 10,20-30,4")
        #expect(TokenFilter.script(.cyrillic).description == "script Cyrillic")
        #expect(
            TokenFilterError(.needsVocabulary(.skipDigitsPunctuation)).description
                == "the filter skip digits/punctuation needs the model's vocabulary")
        #expect(try selected([.classes("5"), .classes("3-6")]) == [5])
        #expect(try selectedClasses([.classes("2,0")], classCount: 4) == [0, 2])
        #expect(try selectedClasses([], classCount: 3) == [0, 1, 2])
        for bad in ["", "a", "5-", "-5", "7-3", "1,,2", "1.5", "1-2-3", "٣"] {
            #expect(throws: TokenFilterError.self, "\(bad)") { try TokenFilter.classes(bad) }
        }
        #expect(throws: TokenFilterError(.outOfRange(index: 18, classCount: 18))) { try selected([.classes("3-20")]) }
        #expect(throws: TokenFilterError(.outOfRange(index: 30, classCount: 18))) { try selected([.classes("30")]) }
        #expect(throws: TokenFilterError.self) { try selectedClasses([.skipDigitsPunctuation], classCount: 3) }
    }

    @Test("classes beyond the vocabulary (padding) never pass token filters")
    func padding() throws {
        #expect(try selected([.classes("16-19"), .skipDigitsPunctuation], classCount: 20) == [16, 17])
    }

    @Test("classes files: one index or range per line, # comments; errors name file and line")
    func classesFile() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/classes.txt"
        try write("# unargmaxable in the paper\n1\n\n3-5  # a range\n7,9\n", to: path)
        #expect(try TokenFilter.classes(file: path) == .classes(ClassList(ranges: [1...1, 3...5, 7...7, 9...9])))
        try write("2\r\n0-1\r\n", to: path)
        #expect(try TokenFilter.classes(file: path) == .classes(ClassList(ranges: [2...2, 0...1])))
        try write("1\nx\n", to: path)
        do {
            _ = try TokenFilter.classes(file: path)
            Issue.record("accepted a bad line")
        } catch let error as TokenFilterError {
            #expect(error.description.hasPrefix(path + ":2: "))
        }
        try write("# nothing\n", to: path)
        #expect(throws: TokenFilterError.self) { try TokenFilter.classes(file: path) }
        #expect(throws: TokenFilterError(.missingFile(directory + "/none"))) {
            try TokenFilter.classes(file: directory + "/none")
        }
    }

    @Test("every letter Unicode names after a script is in that script's table and no other")
    func scriptTable() throws {
        let prefixes = UnicodeScript.allCases.map {
            $0 == .han ? "CJK UNIFIED IDEOGRAPH-" : $0.rawValue.uppercased() + " "
        }
        let letters = try pythonJSON(
            [String: [UInt32]].self,
            """
            import unicodedata
            names = \(prefixes)
            out = {}
            for cp in list(range(0x10000)) + list(range(0x20000, 0x20100)):
                c = chr(cp)
                if unicodedata.category(c).startswith('L'):
                    n = unicodedata.name(c, '')
                    for i, prefix in enumerate(names):
                        if n.startswith(prefix):
                            out.setdefault(str(i), []).append(cp)
            print(json.dumps(out))
            """)
        for (key, codePoints) in letters {
            let script = UnicodeScript.allCases[Int(key)!]
            for value in codePoints {
                let scalar = Unicode.Scalar(value)!
                #expect(script.contains(scalar), "\(script) U+\(String(value, radix: 16))")
                let others = UnicodeScript.allCases.filter { $0 != script && $0.contains(scalar) }
                #expect(
                    others.isEmpty || [.hiragana, .katakana].contains(script),
                    "U+\(String(value, radix: 16)) of \(script) also in \(others)")
            }
        }
        #expect(letters.count == UnicodeScript.allCases.count)
    }
}
