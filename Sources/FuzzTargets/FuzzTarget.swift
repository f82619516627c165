import Foundation
import LayerFormats
import ModelFormats
import OutputHeads
import ResultFiles
import Unargmaxable
import Vocabularies
import JSONDocuments

/// One parser of user files, fed arbitrary bytes by libFuzzer (`unargmax-fuzz`) or by the replay tests.
///
/// Every target writes the bytes to a file in a per-process scratch folder (the parsers read and
/// memory-map paths, and some choose their reader by the file name), runs the parser and everything a
/// command would do next with what it returned (reading every tensor, dequantising, building the
/// vocabulary), and ignores thrown errors: a thrown error is the parser doing its job. Only a trap, a
/// sanitizer report, a hang or an out-of-memory is a finding.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `.npy` layers (`LayerArrays.load`, `NumpyArray.read`).
    case npy
    /// `.npz` layers: zip, stored or deflated members (`LayerArrays.load`, every member).
    case npz
    /// `.safetensors` (`SafetensorsFile`, every tensor as a matrix or vector).
    case safetensors
    /// GGUF (`GGUFFile`, its tokens and every tensor dequantised).
    case gguf
    /// `torch.save`'s legacy format: consecutive pickles then the storages (`TorchCheckpoint`).
    case pickle
    /// `torch.save`'s zip format: `archive/data.pkl` and the storages (`TorchCheckpoint`).
    case torchzip
    /// Hugging Face `tokenizer.json`.
    case tokenizer
    /// A token → id JSON object (`vocab.json`).
    case vocabjson
    /// One token per line (`vocab.txt`).
    case vocabtxt
    /// A SentencePiece model (`spiece.model`; tiktoken text is recognised too).
    case sentencepiece
    /// tiktoken's base64 lines (`.tiktoken`).
    case tiktoken
    /// Marian's `vocab.yml`.
    case marian
    /// A Hugging Face `config.json` (`ModelConfiguration`).
    case config
    /// A shard index (`model.safetensors.index.json`) next to one valid shard (`ShardedCheckpoint`).
    case shardindex
    /// A certificates file in JSON (`CertificatesFile`), then verified against a small fixed layer.
    case certjson
    /// A certificates archive (`.npz`, `CertificateArchive`), then verified against a small fixed layer.
    case certnpz
    /// A `check --journal` file (`RunJournal.read`) of the small fixed layer, its results then re-verified.
    case journal

    /// The file name the input is written under (some readers choose by it).
    var fileName: String {
        switch self {
        case .npy: "input.npy"
        case .npz: "input.npz"
        case .safetensors: "input.safetensors"
        case .gguf: "input.gguf"
        case .pickle: "input-legacy.bin"
        case .torchzip: "input-zip.bin"
        case .tokenizer: "tokenizer.json"
        case .vocabjson: "vocab.json"
        case .vocabtxt: "vocab.txt"
        case .sentencepiece: "spiece.model"
        case .tiktoken: "input.tiktoken"
        case .marian: "vocab.yml"
        case .config: "config.json"
        case .shardindex: "model.safetensors.index.json"
        case .certjson: "certificates.json"
        case .certnpz: "certificates.npz"
        case .journal: "run.journal"
        }
    }

    /// Runs the parser on `bytes`; returns the error it threw (a clear message), or nil when it accepted them.
    @discardableResult
    public func run(_ bytes: UnsafeRawBufferPointer) -> Error? {
        let path = FuzzScratch.shared.write(bytes, name: fileName)
        do {
            try parse(path: path)
            return nil
        } catch {
            // The message is what users see: building it must not trap either.
            _ = String(describing: error)
            return error
        }
    }

    /// Runs the parser on `data`.
    @discardableResult
    public func run(_ data: Data) -> Error? {
        data.withUnsafeBytes { run($0) }
    }

    private func parse(path: String) throws {
        switch self {
        case .npy:
            let array = try NumpyArray.read(path: path)
            _ = try? array.matrix()
            _ = try? array.vector()
            _ = try? array.int64Values()
            _ = try? array.float64Values()
            _ = try? array.byteValues()
            _ = try LayerArrays.load(path: path)
        case .npz:
            let archive = try NPZArchive(path: path)
            for name in archive.names {
                if let array = try? archive.array(named: name) {
                    _ = try? array.matrix()
                    _ = try? array.vector()
                    _ = try? array.int64Values()
                }
                _ = try? archive.storedMember(named: name)
            }
            _ = try LayerArrays.load(path: path)
        case .safetensors, .gguf, .pickle, .torchzip:
            let file: any TensorFile =
                switch self {
                case .safetensors: try SafetensorsFile(path: path)
                case .gguf: try GGUFFile(path: path)
                default: try TorchCheckpoint(path: path)
                }
            Self.readEveryTensor(of: file)
            if let gguf = file as? GGUFFile, let tokens = gguf.tokens {
                let model = gguf.metadata["tokenizer.ggml.model"]?.string ?? ""
                let vocabulary = Vocabulary(ggufTokens: tokens, tokenizerModel: model, source: path)
                for index in 0..<min(vocabulary.count, 64) { _ = vocabulary.display(index) }
            }
        case .tokenizer, .vocabjson, .vocabtxt, .sentencepiece, .tiktoken, .marian:
            let vocabulary = try Vocabulary.load(path: path)
            for index in 0..<min(vocabulary.count, 64) { _ = vocabulary.display(index) }
        case .config:
            _ = try ModelConfiguration(path: path).isEncoderOnly
        case .shardindex:
            FuzzScratch.shared.ensureShard()
            Self.readEveryTensor(of: try ShardedCheckpoint(indexPath: path))
        case .certjson, .certnpz:
            // What `unargmax verify` does with a file of any domain and bias.
            let file = try CertificatesFile(path: path)
            let layer = SoftmaxLayer(Self.fixedLayer, useBias: file.bias)
            guard (try? file.domain.validate(dimension: layer.dimension)) != nil else { return }
            _ = CertificateVerifier(layer: layer, domain: file.domain).check(file.entries, threads: 1)
        case .journal:
            // What `check --journal` does on resuming: read the committed chunks, then re-verify them.
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            let contents = try RunJournal.read(bytes, header: Self.journalHeader, classes: 5, path: path)
            try RunJournal.verify(
                contents.results, layer: SoftmaxLayer(Self.fixedLayer), domain: .box(radius: 100), threads: 1,
                path: path)
        }
    }

    /// The layer certificates and journals are checked against: the four unit vectors of the plane and
    /// the origin (unargmaxable: the average of the others), with a bias.
    static let fixedLayer = try! LayerArrays(
        weights: FloatMatrix(rows: 5, columns: 2, values: [1, 0, 0, 1, -1, 0, 0, -1, 0, 0]),
        bias: [0, 0, 0, 0, 0])

    /// The header journal seeds must carry (Tests/FuzzCorpus/journal). Built per call: LeakSanitizer
    /// reports a global indirect enum's boxes as leaked (their pointers carry tag bits).
    static var journalHeader: JSONValue {
        RunJournal.header(digest: "fuzz", options: .object([("box", .number(100))]), shard: .null)
    }

    private static func readEveryTensor(of file: any TensorFile) {
        for info in file.tensors {
            switch info.shape.count {
            case 1: _ = try? file.vector(info.name)
            case 2: _ = try? file.matrix(info.name)
            default:
                _ = try? file.matrix(info.name)
                _ = try? file.vector(info.name)
            }
        }
    }
}

/// The per-process folder fuzz inputs are written to, removed when the process exits normally
/// (`make fuzz` runs libFuzzer with `TMPDIR` set to a folder it removes, for the other exits).
final class FuzzScratch: @unchecked Sendable {  // used from libFuzzer's single thread only
    static let shared = FuzzScratch()

    let folder: String
    private var shardWritten = false

    private init() {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/unargmax-fuzz.XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { fatalError("unargmax-fuzz: cannot create a scratch folder in \(base)") }
        folder = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        atexit { FuzzScratch.shared.remove() }
    }

    /// Replaces `folder/name` with `bytes`; returns its path.
    func write(_ bytes: UnsafeRawBufferPointer, name: String) -> String {
        let path = folder + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fatalError("unargmax-fuzz: cannot write \(path)") }
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            guard written > 0 else { fatalError("unargmax-fuzz: cannot write \(path)") }
            offset += written
        }
        close(fd)
        return path
    }

    /// The shard the `shardindex` target's inputs may name: `model-00001-of-00001.safetensors`
    /// holding `lm_head.weight` (2 × 3 float32) and `bias` (2).
    func ensureShard() {
        guard !shardWritten else { return }
        shardWritten = true
        let header =
            #"{"lm_head.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"#
            + #""bias":{"dtype":"F32","shape":[2],"data_offsets":[24,32]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8)
        for value: Float in [1, 2, 3, 4, 5, 6, 0.5, -0.5] {
            bytes += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        }
        bytes.withUnsafeBytes { _ = write($0, name: "model-00001-of-00001.safetensors") }
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}
