import Foundation
import LayerFormats
import ModelFormats
import Vocabularies

extension ModelHead {
    /// Files of a Hugging Face folder that hold the weights, best first.
    static let weightFiles = [
        "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json",
        "model.pt", "checkpoint_best.pt", "checkpoint.pt",
    ]
    /// Vocabulary files, best first (the full tokenizer before bare token lists).
    static var vocabularyFiles: [String] { Vocabulary.knownFileNames }

    /// Finds and reads the output layer of the model at `path`: an npy/npz layer, a safetensors,
    /// PyTorch or GGUF file, or a Hugging Face model folder. A file inside a folder with a
    /// `config.json` or a tokenizer uses them too. The weights are read once (mapped; float32 in
    /// place, other types converted once).
    public static func load(path: String, selection: HeadSelection = HeadSelection()) throws -> ModelHead {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelHeadError(path, "No such file or directory")
        }
        let folder = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        let weightsFile: String
        var reasons: [String] = []
        if isDirectory.boolValue {
            guard let name = weightFiles.first(where: { exists(folder, $0) }) ?? ggufFile(in: folder) else {
                throw ModelHeadError(
                    path, "no weights found (looked for \(weightFiles.joined(separator: ", ")) and *.gguf)")
            }
            weightsFile = (folder as NSString).appendingPathComponent(name)
            reasons.append("weights: \(name)")
        } else {
            weightsFile = path
        }

        let configurationPath = (folder as NSString).appendingPathComponent("config.json")
        let configuration = exists(folder, "config.json") ? try ModelConfiguration(path: configurationPath) : nil

        let checkpoint: (any TensorFile)?
        if weightsFile.hasSuffix(".index.json") {
            checkpoint = try ShardedCheckpoint(indexPath: weightsFile)
        } else {
            checkpoint = try CheckpointFiles.open(path: weightsFile)
        }
        guard let checkpoint else {
            // A plain layer file: W (and b) by the npy/npz conventions.
            let arrays = try LayerArrays.load(path: weightsFile)
            let (vocabulary, warnings) = findVocabulary(folder: folder, file: nil, classes: arrays.classes)
            return ModelHead(
                arrays: arrays, weightName: nil, biasName: nil, reasons: ["a layer file (npy/npz conventions)"],
                vocabulary: vocabulary, warnings: warnings, tensors: [], configuration: configuration, source: path,
                weightsFile: weightsFile)
        }

        var warnings: [String] = []
        let names = checkpoint.tensors.map(\.name)
        let weightName: String
        if let chosen = selection.weights {
            guard checkpoint.tensor(chosen) != nil else {
                throw ModelHeadError(weightsFile, "has no tensor named '\(chosen)' (see `unargmax inspect`)")
            }
            weightName = chosen
            reasons.append("head: \(chosen) (--weights)")
        } else {
            let (name, why, note) = try chooseHead(names: names, configuration: configuration, source: weightsFile)
            weightName = name
            reasons.append("head: \(name): \(why)")
            if let note { warnings.append(note) }
        }

        var biasName: String?
        if selection.noBias {
            reasons.append("bias: none (--no-bias)")
        } else if let chosen = selection.bias {
            guard checkpoint.tensor(chosen) != nil else {
                throw ModelHeadError(weightsFile, "has no tensor named '\(chosen)' (see `unargmax inspect`)")
            }
            biasName = chosen
            reasons.append("bias: \(chosen) (--bias)")
        } else if let (name, why) = HeadRules.bias(for: weightName, in: Set(names)) {
            biasName = name
            reasons.append("bias: \(name): \(why)")
        } else {
            reasons.append("bias: none in the checkpoint")
        }

        let weights: FloatMatrix
        var bias: [Float]?
        do {
            weights = try checkpoint.matrix(weightName)
            bias = try biasName.map { try checkpoint.vector($0) }
        } catch let error as LayerFormatError {
            throw ModelFormatError(layerFormatError: error)
        }
        if let count = bias?.count, count != weights.rows {
            throw ModelHeadError(
                weightsFile,
                "the bias '\(biasName!)' has \(count) values but the head '\(weightName)' has \(weights.rows) classes;"
                    + " name the right one with --bias, or pass --no-bias")
        }
        let arrays = try LayerArrays(weights: weights, bias: bias, source: "\(weightsFile) (tensor '\(weightName)')")
        if let size = configuration?.vocabularySize, size != arrays.classes {
            warnings.append("config.json says vocab_size = \(size), the head has \(arrays.classes) classes")
        }
        let (vocabulary, vocabularyWarnings) = findVocabulary(
            folder: folder, file: checkpoint, classes: arrays.classes)
        return ModelHead(
            arrays: arrays, weightName: weightName, biasName: biasName, reasons: reasons, vocabulary: vocabulary,
            warnings: warnings + vocabularyWarnings, tensors: checkpoint.tensors, configuration: configuration,
            source: path, weightsFile: weightsFile)
    }

    /// The tensors `load` would read from a checkpoint with these tensor names — the head, then its
    /// bias if any — without reading anything: what a remote source must fetch.
    public static func tensorsToRead(
        names: [String], configuration: ModelConfiguration?, selection: HeadSelection, source: String
    ) throws -> [String] {
        let head =
            try selection.weights ?? chooseHead(names: names, configuration: configuration, source: source).name
        let bias = selection.noBias ? nil : (selection.bias ?? HeadRules.bias(for: head, in: Set(names))?.name)
        return [head] + (bias.map { [$0] } ?? [])
    }

    /// The head by the family rules: a separate output layer, else tied input embeddings.
    static func chooseHead(
        names: [String], configuration: ModelConfiguration?, source: String
    ) throws -> (name: String, why: String, note: String?) {
        for rule in HeadRules.separateHeads {
            if let name = HeadRules.matches(rule, in: names).first { return (name, rule.why, nil) }
        }
        for rule in HeadRules.tiedEmbeddings {
            guard let name = HeadRules.matches(rule, in: names).first else { continue }
            if configuration?.tieWordEmbeddings == false {
                throw ModelHeadError(
                    source,
                    "config.json sets tie_word_embeddings = false, but there is no separate output layer;"
                        + " name the head with --weights (see `unargmax inspect`)")
            }
            let encoderOnly = configuration?.isEncoderOnly ?? false
            let note =
                encoderOnly
                ? "an encoder-only checkpoint (\(configuration!.architectures.joined(separator: ", "))) has no output"
                    + " layer: its tied word embeddings are checked as the head, without a bias" : nil
            let why =
                configuration?.tieWordEmbeddings == true
                ? rule.why + ", as config.json's tie_word_embeddings = true says" : rule.why
            return (name, why, note)
        }
        throw ModelHeadError(
            source, "no output layer found by the usual names; name it with --weights (see `unargmax inspect`)")
    }

    /// The vocabulary of the model: its folder's tokenizer files, else the checkpoint's own
    /// token list (GGUF). A vocabulary that cannot be read, or has another size than the head,
    /// is reported, never silently used or zipped.
    static func findVocabulary(
        folder: String, file: (any TensorFile)?, classes: Int
    ) -> (Vocabulary?, [String]) {
        var warnings: [String] = []
        var vocabulary: Vocabulary?
        if let name = vocabularyFiles.first(where: { exists(folder, $0) }) {
            let vocabularyPath = (folder as NSString).appendingPathComponent(name)
            do {
                vocabulary = try Vocabulary.load(path: vocabularyPath)
            } catch {
                warnings.append("the vocabulary could not be read: \(error)")
            }
        }
        if vocabulary == nil, let gguf = file as? GGUFFile, let tokens = gguf.tokens {
            vocabulary = Vocabulary(
                ggufTokens: tokens, tokenizerModel: gguf.metadata["tokenizer.ggml.model"]?.string ?? "",
                source: "\(gguf.path) (tokenizer.ggml.tokens)")
        }
        if let mismatch = vocabulary?.checkSize(against: classes) {
            warnings.append("\(mismatch); classes without a token are shown by index")
        }
        return (vocabulary, warnings)
    }

    private static func exists(_ folder: String, _ name: String) -> Bool {
        FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(name))
    }

    private static func ggufFile(in folder: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".gguf") }.sorted().first
    }
}
