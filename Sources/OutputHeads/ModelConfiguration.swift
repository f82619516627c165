import Foundation

/// The parts of a Hugging Face `config.json` that decide where the output layer is.
public struct ModelConfiguration: Sendable, Equatable {
    /// `model_type` (`bert`, `gpt2`, `llama`, `marian`, …).
    public let modelType: String?
    /// `architectures` (`["BertForMaskedLM"]`, …).
    public let architectures: [String]
    /// `vocab_size`.
    public let vocabularySize: Int?
    /// `tie_word_embeddings` as written (nil when absent: Transformers then defaults to true).
    public let tieWordEmbeddings: Bool?
    /// `hidden_size` / `d_model` / `n_embd`.
    public let hiddenSize: Int?

    /// Reads `config.json`; errors name the file.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelHeadError(path, "cannot be read")
        }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ModelHeadError(path, "is not a JSON object")
            }
            object = parsed
        } catch let error as ModelHeadError {
            throw error
        } catch {
            throw ModelHeadError(path, "is not valid JSON (\(error.localizedDescription))")
        }
        // A multimodal or wrapper config keeps the language model's fields in `text_config`.
        let text = object["text_config"] as? [String: Any] ?? [:]
        func integer(_ keys: String...) -> Int? {
            for key in keys {
                if let value = (object[key] ?? text[key]) as? NSNumber, let int = Int(exactly: value.doubleValue) {
                    return int
                }
            }
            return nil
        }
        modelType = object["model_type"] as? String
        architectures = object["architectures"] as? [String] ?? []
        vocabularySize = integer("vocab_size", "n_vocab", "padded_vocab_size")
        tieWordEmbeddings = (object["tie_word_embeddings"] ?? text["tie_word_embeddings"]) as? Bool
        hiddenSize = integer("hidden_size", "d_model", "n_embd", "dim")
    }

    /// True when the architectures name only an encoder without a language-model head
    /// (`BertModel`, `XLMRobertaModel`, sentence-transformers checkpoints).
    public var isEncoderOnly: Bool {
        !architectures.isEmpty
            && architectures.allSatisfy { $0.hasSuffix("Model") && !$0.hasSuffix("LMHeadModel") }
    }
}
