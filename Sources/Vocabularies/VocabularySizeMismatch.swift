/// A vocabulary whose size is not the number of classes of the output layer it is shown with. Models
/// often pad the head to a multiple of 64 or 128 for speed, leaving classes without a token: that is
/// worth reporting, not failing on. Those classes are shown as `<class i: no token>`.
public struct VocabularySizeMismatch: Sendable, Equatable, CustomStringConvertible {
    /// Where the tokens came from.
    public let source: String
    /// The number of tokens.
    public let tokens: Int
    /// The number of classes of the head.
    public let classes: Int

    /// A mismatch between `tokens` tokens from `source` and a head of `classes` classes.
    public init(source: String, tokens: Int, classes: Int) {
        self.source = source
        self.tokens = tokens
        self.classes = classes
    }

    /// The head has more classes than there are tokens (classes tokens..<classes have none).
    public var headIsLarger: Bool { classes > tokens }

    /// The head's size is a multiple of 64 above the vocabulary's: most likely padding.
    public var looksLikePadding: Bool { headIsLarger && classes % 64 == 0 }

    /// `vocabulary S has N tokens, the head has C classes (…)`, ready to print.
    public var description: String {
        var text = "vocabulary \(source) has \(tokens) tokens, the head has \(classes) classes"
        if headIsLarger {
            let span = classes - tokens == 1 ? "class \(tokens) has" : "classes \(tokens)..<\(classes) have"
            text += " (\(span) no token"
            if looksLikePadding { text += "; the head looks padded to a multiple of \(paddingMultiple)" }
            text += ")"
        } else {
            text += " (tokens \(classes)..<\(tokens) have no class)"
        }
        return text
    }

    /// The largest of 1024, 512, …, 64 that divides the head's size.
    private var paddingMultiple: Int {
        [1024, 512, 256, 128, 64].first { classes % $0 == 0 } ?? 64
    }
}

extension Vocabulary {
    /// Nil when the vocabulary has exactly `classes` tokens, else what differs (to report, not to fail on).
    public func checkSize(against classes: Int) -> VocabularySizeMismatch? {
        classes == count ? nil : VocabularySizeMismatch(source: source, tokens: count, classes: classes)
    }
}
