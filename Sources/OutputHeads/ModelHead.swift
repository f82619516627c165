import Foundation
import LayerFormats
import ModelFormats
import Vocabularies

/// The output layer of a model, found in a file or a Hugging Face folder: the weights (classes ×
/// features) and bias as validated `LayerArrays`, what they were read from and why they were
/// chosen, and the vocabulary that names the classes.
public struct ModelHead: Sendable {
    /// Weights and optional bias, validated (finite, matching shapes).
    public let arrays: LayerArrays
    /// The tensor used as the weights (nil for a plain npy/npz layer file).
    public let weightName: String?
    /// The tensor used as the bias, if any.
    public let biasName: String?
    /// Why these tensors: one line per decision, for `inspect` and reports.
    public let reasons: [String]
    /// The token of each class, when the model has a vocabulary.
    public let vocabulary: Vocabulary?
    /// Remarks a user must see (vocabulary size differing from the head, no head in an encoder-only
    /// checkpoint, a vocabulary that could not be read).
    public let warnings: [String]
    /// Every tensor of the checkpoint (empty for npy/npz).
    public let tensors: [TensorInfo]
    /// The model's `config.json` fields that matter here, when there is one.
    public let configuration: ModelConfiguration?
    /// The file or folder the head came from.
    public let source: String
    /// The file the weights were read from.
    public let weightsFile: String
}

/// Which tensors to take, when the user knows better than the rules.
public struct HeadSelection: Sendable, Equatable {
    /// The weights tensor's name (`--weights`).
    public var weights: String?
    /// The bias tensor's name (`--bias`); `noBias` ignores any bias.
    public var bias: String?
    /// Ignore any bias the model has.
    public var noBias = false

    /// A selection; nil names leave the choice to the rules.
    public init(weights: String? = nil, bias: String? = nil, noBias: Bool = false) {
        self.weights = weights
        self.bias = bias
        self.noBias = noBias
    }
}

/// Why a model's head could not be found or read. The message names the file or folder.
public struct ModelHeadError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The model file or folder.
    public let path: String
    /// What is wrong, in words.
    public let problem: String

    /// An error about the model at `path`.
    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
