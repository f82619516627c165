/// Where the common model families keep their output layer, as tensor-name rules.
///
/// A rule matches a tensor whose name is the pattern or ends with "." + pattern, so the same
/// rule finds `lm_head.weight` at the top level and inside a wrapper such as fairseq's
/// `{"model": …}` (`model.lm_head.weight`). Rules are tried in order: a separate head before
/// tied input embeddings; side heads (next-sentence, sequence classification, QA) never match.
enum HeadRules {
    struct Rule {
        let pattern: String
        let why: String
    }

    /// Output matrices stored as such.
    static let separateHeads: [Rule] = [
        Rule(pattern: "lm_head.weight", why: "a separate output layer (lm_head)"),
        Rule(pattern: "lm_head.decoder.weight", why: "RoBERTa's LM head decoder"),
        Rule(pattern: "cls.predictions.decoder.weight", why: "BERT's masked-LM head decoder"),
        Rule(pattern: "output_projection.weight", why: "fairseq's output projection"),
        Rule(pattern: "decoder.embed_out", why: "fairseq's output embedding"),
        Rule(pattern: "embed_out.weight", why: "GPT-NeoX's output embedding"),
        Rule(pattern: "output.weight", why: "the output layer (GGUF/Meta naming)"),
        Rule(pattern: "generator.proj.weight", why: "OpenNMT's generator"),
        Rule(pattern: "generator.0.weight", why: "OpenNMT's generator"),
    ]

    /// Input embeddings that are the output layer when the weights are tied.
    static let tiedEmbeddings: [Rule] = [
        Rule(pattern: "model.embed_tokens.weight", why: "tied input embeddings (Llama/Mistral/Qwen embed_tokens)"),
        Rule(pattern: "transformer.wte.weight", why: "tied input embeddings (GPT-2 wte)"),
        Rule(pattern: "wte.weight", why: "tied input embeddings (GPT-2 wte)"),
        Rule(pattern: "model.shared.weight", why: "tied shared embeddings (Marian/BART/T5 shared)"),
        Rule(pattern: "shared.weight", why: "tied shared embeddings (Marian/BART/T5 shared)"),
        Rule(pattern: "decoder.embed_tokens.weight", why: "tied decoder embeddings (embed_tokens)"),
        Rule(pattern: "embeddings.word_embeddings.weight", why: "tied word embeddings (BERT-style word_embeddings)"),
        Rule(pattern: "word_embeddings.weight", why: "tied word embeddings (word_embeddings)"),
        Rule(pattern: "embed_tokens.weight", why: "tied input embeddings (embed_tokens)"),
        Rule(pattern: "embed_in.weight", why: "tied input embeddings (GPT-NeoX embed_in)"),
        Rule(pattern: "tok_embeddings.weight", why: "tied input embeddings (tok_embeddings)"),
        Rule(pattern: "token_embd.weight", why: "tied input embeddings (GGUF token_embd)"),
        Rule(pattern: "embed_tokens", why: "tied input embeddings (embed_tokens)"),
    ]

    /// Output biases, tried for any head.
    static let biases: [Rule] = [
        Rule(pattern: "final_logits_bias", why: "Marian/BART final_logits_bias"),
        Rule(pattern: "cls.predictions.bias", why: "BERT's masked-LM head bias"),
        Rule(pattern: "cls.predictions.decoder.bias", why: "BERT's masked-LM head bias"),
        Rule(pattern: "lm_head.bias", why: "the LM head's bias"),
        Rule(pattern: "lm_head.decoder.bias", why: "the LM head decoder's bias"),
        Rule(pattern: "output_projection.bias", why: "fairseq's output projection bias"),
        Rule(pattern: "output.bias", why: "the output layer's bias"),
        Rule(pattern: "generator.proj.bias", why: "OpenNMT's generator bias"),
        Rule(pattern: "generator.0.bias", why: "OpenNMT's generator bias"),
    ]

    /// Heads that are not the vocabulary's softmax (never chosen by the rules).
    static let sideHeadMarkers = ["seq_relationship", "classifier", "score.", "qa_outputs", "pooler", "species"]

    /// The tensors that match `rule`, shortest name first (the least wrapped one).
    static func matches(_ rule: Rule, in names: [String]) -> [String] {
        names.filter { name in
            (name == rule.pattern || name.hasSuffix("." + rule.pattern))
                && !sideHeadMarkers.contains(where: { name.contains($0) })
        }.sorted { ($0.count, $0) < ($1.count, $1) }
    }

    /// The bias that belongs to head `weight`: first the one beside it (`x.weight` → `x.bias`),
    /// then the family rules, all with the same wrapper prefix as the head where possible.
    static func bias(for weight: String, in names: Set<String>) -> (name: String, why: String)? {
        if weight.hasSuffix(".weight") {
            let sibling = String(weight.dropLast(".weight".count)) + ".bias"
            if names.contains(sibling) { return (sibling, "the bias beside the head (\(sibling))") }
        }
        let sorted = names.sorted()
        for rule in biases {
            if let name = matches(rule, in: sorted).first { return (name, rule.why) }
        }
        return nil
    }
}
