import Foundation

/// The model a run checked: where its layer came from and what it is.
public struct RecordedModel: Sendable, Equatable {
    /// The path given to `check` (absolute when it was a local file or folder), or the Hub id.
    public var path: String
    /// A short name: the folder or file name, or the Hugging Face model id.
    public var name: String
    /// The SHA-256 of the layer's content (weights, bias, shapes) as in the report's `layer.digest`.
    public var layerDigest: String
    /// The number of classes |C| (rows of the weight matrix).
    public var classes: Int
    /// The input dimension d.
    public var dimension: Int
    /// Whether the checked layer has a bias.
    public var hasBias: Bool
    /// The tensor read as the weights (nil for a plain npy/npz layer).
    public var weightsTensor: String?
    /// The tensor read as the bias.
    public var biasTensor: String?
    /// The file the weights were read from.
    public var weightsFile: String?
    /// Where the class tokens came from (e.g. `tokenizer.json`), nil without a vocabulary.
    public var vocabularySource: String?

    /// A model record; the optional parts default to unknown.
    public init(
        path: String, name: String, layerDigest: String, classes: Int, dimension: Int, hasBias: Bool,
        weightsTensor: String? = nil, biasTensor: String? = nil, weightsFile: String? = nil,
        vocabularySource: String? = nil
    ) {
        self.path = path
        self.name = name
        self.layerDigest = layerDigest
        self.classes = classes
        self.dimension = dimension
        self.hasBias = hasBias
        self.weightsTensor = weightsTensor
        self.biasTensor = biasTensor
        self.weightsFile = weightsFile
        self.vocabularySource = vocabularySource
    }
}

/// One decided class of a run, as in the report's class list.
public struct RecordedClass: Sendable, Equatable {
    /// The class index (row of the weight matrix).
    public var index: Int
    /// The class's token, when the model has a vocabulary.
    public var token: String?
    /// The report's verdict string: `argmaxable`, `unargmaxable` or `undecided`.
    public var verdict: String
    /// The certified lower bound on the class's margin; nil when unknown (−∞).
    public var marginLower: Double?
    /// The certified upper bound on the class's margin; nil when unknown (+∞).
    public var marginUpper: Double?
    /// Braid-reflect steps spent on the class.
    public var steps: Int
    /// The stage that decided it: `approximate`, `exact` or `none`.
    public var stage: String
    /// SHA-256 (hex) of the class's certificate as rendered in the certificates JSON, nil without one.
    public var certificateDigest: String?

    /// A class record; margins that are not finite are stored as unknown (nil).
    public init(
        index: Int, token: String? = nil, verdict: String, marginLower: Double?, marginUpper: Double?, steps: Int,
        stage: String, certificateDigest: String? = nil
    ) {
        self.index = index
        self.token = token
        self.verdict = verdict
        self.marginLower = marginLower.flatMap { $0.isFinite ? $0 : nil }
        self.marginUpper = marginUpper.flatMap { $0.isFinite ? $0 : nil }
        self.steps = steps
        self.stage = stage
        self.certificateDigest = certificateDigest
    }
}

/// Which part of a sharded run (`check --shard i/N`) a run decided.
public struct RecordedShard: Sendable, Equatable {
    /// The shard's index i, 0 ≤ i < count.
    public var index: Int
    /// The number of shards N.
    public var count: Int

    /// Shard `index` of `count`.
    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// The form stored in the database and shown in tables: `i/N`.
    public var text: String { "\(index)/\(count)" }
}

/// One run of `unargmax check` (or a merged set of shards): the model, the options that decide the
/// verdicts, when and where it ran, and every decided class.
///
/// A run is identified by (layer digest, options, shard): recording the same again is recognised.
public struct RecordedRun: Sendable, Equatable {
    /// The model checked.
    public var model: RecordedModel
    /// The options that decide the report's content, as canonical JSON (the report's `options`).
    public var optionsJSON: String
    /// The shard decided, nil for a whole run.
    public var shard: RecordedShard?
    /// The tool that produced the run, e.g. `unargmax 0.1.0`.
    public var toolVersion: String
    /// The host name of the machine that ran it.
    public var host: String
    /// When the run started.
    public var started: Date
    /// When the run finished.
    public var finished: Date
    /// The detectors' time in seconds (the report's `summary.seconds`).
    public var seconds: Double
    /// Every decided class.
    public var classes: [RecordedClass]

    /// A run record.
    public init(
        model: RecordedModel, optionsJSON: String, shard: RecordedShard? = nil, toolVersion: String, host: String,
        started: Date, finished: Date, seconds: Double, classes: [RecordedClass]
    ) {
        self.model = model
        self.optionsJSON = optionsJSON
        self.shard = shard
        self.toolVersion = toolVersion
        self.host = host
        self.started = started
        self.finished = finished
        self.seconds = seconds
        self.classes = classes
    }

    /// How many classes have this verdict.
    public func count(verdict: String) -> Int { classes.reduce(0) { $0 + ($1.verdict == verdict ? 1 : 0) } }
}

/// What `ResultsStore.record` did.
public enum RecordOutcome: Sendable, Equatable {
    /// The run was new and is now stored under this id.
    case inserted(runID: Int64)
    /// A run of the same layer, options and shard was already stored under this id; nothing was written.
    case alreadyRecorded(runID: Int64)

    /// The run's id, new or existing.
    public var runID: Int64 {
        switch self {
        case .inserted(let id), .alreadyRecorded(let id): return id
        }
    }
}

/// A failure of the results database, naming the database (a file path, or a URL without its password)
/// and the problem.
public struct ResultsDatabaseError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The database: a file path or a PostgreSQL URL with any password replaced by `***`.
    public let database: String
    /// What went wrong, one line.
    public let problem: String

    /// An error about `database`.
    public init(_ database: String, _ problem: String) {
        self.database = database
        self.problem = problem
    }

    /// `database: problem`.
    public var description: String { "\(database): \(problem)" }
}
