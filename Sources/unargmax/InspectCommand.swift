import ArgumentParser
import Foundation
import ModelFormats
import OutputHeads
import ResultFiles
import JSONDocuments

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List a model's tensors and show which output layer, bias and vocabulary `check` would use, and why.",
        discussion: """
            Reads the model the way `unargmax check` does (safetensors, PyTorch checkpoints, GGUF, Hugging Face \
            folders, npy/npz), so what it shows is what will be checked. Use --weights and --bias to override the \
            choice.

              unargmax inspect ./bert-base-uncased
              unargmax inspect model.gguf --format json
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "The model: a file or a Hugging Face model folder.")
    var model: String

    @OptionGroup var head: HeadOptions

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    func run() throws {
        let found = try head.load(model)
        switch format {
        case .json: print(json(found).rendered())
        case .text: print(text(found))
        }
    }

    private func shape(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

    func text(_ found: ModelHead) -> String {
        var lines = ["model:         \(found.source)", "weights file:  \(found.weightsFile)"]
        if let configuration = found.configuration {
            let architectures = configuration.architectures.joined(separator: ", ")
            lines.append(
                "config.json:   model_type \(configuration.modelType ?? "?"), architectures [\(architectures)],"
                    + " vocab_size \(configuration.vocabularySize.map(String.init) ?? "?"),"
                    + " tie_word_embeddings \(configuration.tieWordEmbeddings.map(String.init) ?? "unset")")
        }
        lines.append(
            "head:          \(found.weightName ?? "W") (\(found.arrays.classes) classes × \(found.arrays.dimension)"
                + " features)")
        lines.append("bias:          \(found.biasName ?? (found.arrays.bias == nil ? "none" : "b"))")
        for reason in found.reasons { lines.append("  because      \(reason)") }
        if let vocabulary = found.vocabulary {
            lines.append(
                "vocabulary:    \(vocabulary.count) tokens (\(vocabulary.encoding.rawValue)) from \(vocabulary.source)")
        } else {
            lines.append("vocabulary:    none found (classes are shown by index)")
        }
        for warning in found.warnings { lines.append("note:          \(warning)") }
        if !found.tensors.isEmpty {
            lines.append("tensors (\(found.tensors.count)):")
            let width = min(72, found.tensors.map(\.name.count).max() ?? 0)
            for tensor in found.tensors {
                let padded = tensor.name.padding(toLength: max(width, tensor.name.count), withPad: " ", startingAt: 0)
                lines.append(
                    "  \(padded)  \(tensor.dtype.padding(toLength: 6, withPad: " ", startingAt: 0)) "
                        + "\(shape(tensor.shape))"
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    func json(_ found: ModelHead) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("schema", "unargmaxable.inspect/1"), ("generator", .string("unargmax \(Unargmax.version)")),
            ("model", .string(found.source)), ("weights_file", .string(found.weightsFile)),
            (
                "head",
                .object([
                    ("weights", found.weightName.map(JSONValue.string) ?? .null),
                    ("bias", found.biasName.map(JSONValue.string) ?? .null),
                    ("classes", .int(found.arrays.classes)), ("dimension", .int(found.arrays.dimension)),
                    ("has_bias", .bool(found.arrays.bias != nil)),
                    ("reasons", .array(found.reasons.map(JSONValue.string))),
                ])
            ),
        ]
        if let vocabulary = found.vocabulary {
            members.append(
                (
                    "vocabulary",
                    .object([
                        ("source", .string(vocabulary.source)), ("tokens", .int(vocabulary.count)),
                        ("encoding", .string(vocabulary.encoding.rawValue)),
                    ])
                ))
        } else {
            members.append(("vocabulary", .null))
        }
        if let configuration = found.configuration {
            members.append(
                (
                    "config",
                    .object([
                        ("model_type", configuration.modelType.map(JSONValue.string) ?? .null),
                        ("architectures", .array(configuration.architectures.map(JSONValue.string))),
                        ("vocab_size", configuration.vocabularySize.map(JSONValue.int) ?? .null),
                        ("tie_word_embeddings", configuration.tieWordEmbeddings.map(JSONValue.bool) ?? .null),
                    ])
                ))
        }
        members.append(("warnings", .array(found.warnings.map(JSONValue.string))))
        members.append(
            (
                "tensors",
                .array(
                    found.tensors.map {
                        .object([("name", .string($0.name)), ("dtype", .string($0.dtype)), ("shape", .ints($0.shape))])
                    })
            ))
        return .object(members)
    }
}
