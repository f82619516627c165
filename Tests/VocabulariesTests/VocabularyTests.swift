import Testing

@testable import Vocabularies

@Suite("Vocabulary")
struct VocabularyTests {
    @Test("tokens keep class order")
    func order() {
        let vocabulary = Vocabulary(tokens: ["a", "b"], source: "x", encoding: .plain)
        #expect(vocabulary.count == 2 && vocabulary.tokens[1] == "b")
    }
}
