import Foundation

// Placeholder until the full readers land (tokenizer.json, vocab.json/txt, SentencePiece, Marian).
extension Vocabulary {
    public static func load(path: String) throws -> Vocabulary {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CocoaError(.fileReadNoSuchFile)
        }
        if path.hasSuffix(".txt") {
            var lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\n")
            if lines.last == "" { lines.removeLast() }
            return Vocabulary(tokens: lines, source: path, encoding: .wordPiece)
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let vocab = (object["model"] as? [String: Any])?["vocab"] as? [String: Int] ?? object as? [String: Int] ?? [:]
        var tokens = [String](repeating: "", count: vocab.count)
        for (token, id) in vocab where id < tokens.count { tokens[id] = token }
        return Vocabulary(tokens: tokens, source: path, encoding: .byteLevelBPE)
    }
}

extension Vocabulary {
    public func display(_ index: Int) -> String { "\"\(tokens[index])\"" }
}
