import ConvexHulls
import Dispatch
import Foundation
import LayerFormats
import Unargmaxable

/// What a sweep runs: one random layer per (dimension, seed) cell, as in the paper's Figure 5
/// experiments. Two sweeps with equal parameters produce the same layers and the same verdicts.
public struct SweepParameters: Sendable, Codable, Equatable {
    /// |C|, classes per layer.
    public var classes: Int
    /// The dimensions d, in the order the cells run.
    public var dimensions: [Int]
    /// The weight distribution: "uniform" (U(−1,1)) or "normal" (N(0,1)).
    public var distribution: String
    /// Seeds 0 ..< seeds for every dimension (the layer's seed is `RandomLayerArrays`' seed).
    public var seeds: Int
    /// Patience values at which the approximate detector alone is scored.
    public var patience: [Int]
    /// Whether the random layers have a bias.
    public var bias: Bool
    /// The box radius R of the input domain; nil for unbounded inputs (what Qhull decides, so the
    /// Qhull column is filled only then).
    public var box: Double?

    /// A sweep of the given cells (see the properties).
    public init(
        classes: Int, dimensions: [Int], distribution: WeightDistribution, seeds: Int, patience: [Int],
        bias: Bool, box: Double? = nil
    ) {
        self.classes = classes
        self.dimensions = dimensions
        self.distribution = distribution.rawValue
        self.seeds = seeds
        self.patience = patience
        self.bias = bias
        self.box = box
    }

    /// Throws unless every value is usable.
    public func validate() throws {
        guard classes >= 1 else { throw StudyError("--classes", "must be at least 1") }
        guard !dimensions.isEmpty, dimensions.allSatisfy({ $0 >= 1 }) else {
            throw StudyError("--dims", "needs dimensions ≥ 1")
        }
        guard seeds >= 1 else { throw StudyError("--seeds", "must be at least 1") }
        guard patience.allSatisfy({ $0 >= 0 }) else { throw StudyError("--patience", "values cannot be negative") }
        guard WeightDistribution(rawValue: distribution) != nil else {
            throw StudyError("--distribution", "unknown distribution '\(distribution)'")
        }
        if let box, !(box > 0 && box.isFinite) { throw StudyError("--box", "needs a positive radius") }
        for d in dimensions where classes.multipliedReportingOverflow(by: d).overflow || classes * d > 1 << 28 {
            throw StudyError("--classes", "\(classes) × \(d) is too large for a random layer (at most 2^28 weights)")
        }
    }

    /// Integers from "2:40" (inclusive range), "2:40:2" (with a step), "1,10,50" or a mix
    /// ("2:8,16,32"). `name` names the option in errors.
    public static func integers(_ text: String, name: String) throws -> [Int] {
        var values: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false).map {
                Int($0.trimmingCharacters(in: .whitespaces))
            }
            guard !pieces.contains(where: { $0 == nil }), (1...3).contains(pieces.count) else {
                throw StudyError(name, "cannot read '\(part)' (write e.g. 2:40, 2:40:2 or 1,10,50)")
            }
            let numbers = pieces.map { $0! }
            if numbers.count == 1 {
                values.append(numbers[0])
                continue
            }
            let step = numbers.count == 3 ? numbers[2] : 1
            guard step >= 1, numbers[0] <= numbers[1] else {
                throw StudyError(name, "'\(part)' is not an increasing range with a positive step")
            }
            values += Array(stride(from: numbers[0], through: numbers[1], by: step))
        }
        return values
    }

    var weightDistribution: WeightDistribution { WeightDistribution(rawValue: distribution)! }
    var domain: InputDomain { box.map { .box(radius: $0) } ?? .unbounded }

    /// The file name `--save-layers` gives a cell's layer.
    public func layerFileName(dimension: Int, seed: Int) -> String {
        "\(distribution)-c\(classes)-d\(dimension)-seed\(seed)\(bias ? "-bias" : "").npz"
    }
}

/// The approximate detector (braid reflect alone, `exact = nil`) at one patience, scored against
/// the exact verdicts as the paper does: it flags as unargmaxable every class it could not clear.
public struct PatienceScore: Sendable, Codable, Equatable {
    /// The braid-reflect patience scored.
    public let patience: Int
    /// Classes flagged (not cleared by braid reflect).
    public let flagged: Int
    /// Flagged classes that are unargmaxable by the exact pipeline.
    public let truePositives: Int
    /// truePositives / flagged (1 when nothing is flagged).
    public let precision: Double
    /// truePositives / exact unargmaxable (1 when there are none).
    public let recall: Double
    /// Seconds the approximate detector took at this patience.
    public let seconds: Double
}

/// One finished (dimension, seed) cell.
public struct SweepCell: Sendable, Codable, Equatable {
    /// The cell's dimension d.
    public let dimension: Int
    /// The cell's seed.
    public let seed: Int
    /// Unargmaxable classes by the exact pipeline (braid reflect at patience 50, then the margin LP).
    public let unargmaxable: Int
    /// Classes the exact pipeline left undecided (normally 0).
    public let undecided: Int
    /// Braid-reflect steps per class in that run, averaged over all classes.
    public let meanSteps: Double
    /// Wall time of the exact pipeline.
    public let seconds: Double
    /// Qhull's number of unargmaxable classes, when it ran (unbounded inputs, within `QhullBudget`).
    public let qhullUnargmaxable: Int?
    /// Whether Qhull's classes are exactly the pipeline's.
    public let qhullAgrees: Bool?
    /// Seconds Qhull took, when it ran.
    public let qhullSeconds: Double?
    /// Qhull's error, when it failed on this input.
    public let qhullError: String?
    /// The approximate detector's scores, one per patience value.
    public let approximate: [PatienceScore]
}

/// A sweep's cells in run order.
public struct SweepResult: Sendable, Equatable {
    /// What was swept.
    public let parameters: SweepParameters
    /// The finished cells, in run order.
    public let cells: [SweepCell]
    /// Cells read back from the state file rather than computed in this run.
    public let resumedCells: Int

    /// JSON (schema `unargmaxable.sweep/1`): the parameters and one object per cell.
    public func json() -> String {
        struct Document: Encodable {
            let schema = "unargmaxable.sweep/1"
            let parameters: SweepParameters
            let cells: [SweepCell]
        }
        let encoder = Sweep.encoder
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(Document(parameters: parameters, cells: cells)), as: UTF8.self)
    }

    /// CSV: one row per cell; per patience P the columns p<P>_flagged, p<P>_precision, p<P>_recall,
    /// p<P>_seconds. Empty fields where Qhull did not run.
    public func csv() -> String {
        var header = [
            "classes", "dimension", "seed", "distribution", "bias", "unargmaxable", "undecided", "mean_steps",
            "seconds",
            "qhull_unargmaxable", "qhull_agrees", "qhull_seconds",
        ]
        for p in parameters.patience {
            header += ["p\(p)_flagged", "p\(p)_precision", "p\(p)_recall", "p\(p)_seconds"]
        }
        var lines = [header.joined(separator: ",")]
        for cell in cells {
            var fields = [
                "\(parameters.classes)", "\(cell.dimension)", "\(cell.seed)", parameters.distribution,
                "\(parameters.bias)", "\(cell.unargmaxable)", "\(cell.undecided)", "\(cell.meanSteps)",
                "\(cell.seconds)", cell.qhullUnargmaxable.map(String.init) ?? "",
                cell.qhullAgrees.map(String.init) ?? "", cell.qhullSeconds.map { "\($0)" } ?? "",
            ]
            for score in cell.approximate {
                fields += ["\(score.flagged)", "\(score.precision)", "\(score.recall)", "\(score.seconds)"]
            }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n")
    }
}

/// Progress of a running sweep, for a front end.
public struct SweepProgress: Sendable {
    /// Cells finished so far (resumed ones included).
    public let done: Int
    /// Cells in the sweep.
    public let total: Int
    /// The cell just finished (nil for the report made before the first cell runs).
    public let cell: SweepCell?
    /// Cells taken from the state file instead of run.
    public let resumed: Int
}

/// Runs a sweep, optionally resumable: with a state file every finished cell is appended to it as
/// one JSON line and fsync'ed before the next cell starts, so a sweep killed at any moment and
/// restarted with the same parameters skips the finished cells. The first line holds the
/// parameters; a state file of another sweep is refused, and a torn last line (a kill during the
/// write) is cut off. The result is built from the decoded records in both cases, so a resumed
/// sweep's output equals an uninterrupted one's (apart from the measured times of course, which
/// are those of the run that computed each cell).
public struct Sweep: Sendable {
    /// What was swept.
    public let parameters: SweepParameters
    /// Threads for the detectors.
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    /// A sweep of the given cells (see the properties).
    public init(_ parameters: SweepParameters) throws {
        try parameters.validate()
        self.parameters = parameters
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    private struct StateHeader: Codable {
        let sweep: SweepParameters
    }

    /// Runs every cell not already in `statePath`, appending each as it finishes; writes each
    /// cell's layer to `saveLayers` (a directory, created if missing) when given.
    public func run(
        statePath: String? = nil, saveLayers: String? = nil, progress: ((SweepProgress) -> Void)? = nil
    ) throws -> SweepResult {
        let grid = parameters.dimensions.flatMap { d in (0..<parameters.seeds).map { (d, $0) } }
        var finished: [String: SweepCell] = [:]
        var state: StateFile? = nil
        if let statePath {
            let opened = try StateFile.open(path: statePath, header: try line(StateHeader(sweep: parameters)))
            for text in opened.records {
                guard let cell = try? Self.decoder.decode(SweepCell.self, from: Data(text.utf8)) else {
                    throw StudyError(statePath, "holds a line that is not a sweep cell: \(text.prefix(80))")
                }
                finished["\(cell.dimension)/\(cell.seed)"] = cell
            }
            state = opened
        }
        if let saveLayers {
            do {
                try FileManager.default.createDirectory(atPath: saveLayers, withIntermediateDirectories: true)
            } catch {
                throw StudyError(saveLayers, "cannot create the directory for --save-layers (\(error))")
            }
        }
        let resumed = grid.filter { finished["\($0.0)/\($0.1)"] != nil }.count
        var cells: [SweepCell] = []
        progress?(SweepProgress(done: resumed, total: grid.count, cell: nil, resumed: resumed))
        var done = resumed
        for (d, seed) in grid {
            if let cell = finished["\(d)/\(seed)"] {
                if let saveLayers { try save(dimension: d, seed: seed, directory: saveLayers, onlyIfMissing: true) }
                cells.append(cell)
                continue
            }
            let (computed, arrays) = try cell(dimension: d, seed: seed)
            if let saveLayers {
                try arrays.writeNPZ(to: saveLayers + "/" + parameters.layerFileName(dimension: d, seed: seed))
            }
            // Round-trip through the record so fresh and resumed cells are the same values.
            let text = try line(computed)
            let cell = try Self.decoder.decode(SweepCell.self, from: Data(text.utf8))
            try state?.append(text)
            cells.append(cell)
            done += 1
            progress?(SweepProgress(done: done, total: grid.count, cell: cell, resumed: resumed))
        }
        return SweepResult(parameters: parameters, cells: cells, resumedCells: resumed)
    }

    private func line<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try Self.encoder.encode(value), as: UTF8.self)
    }

    /// The cell's layer (a pure function of the parameters, the dimension and the seed).
    public func layer(dimension: Int, seed: Int) throws -> LayerArrays {
        let random = RandomLayerArrays(
            classes: parameters.classes, dimension: dimension, bias: parameters.bias,
            distribution: parameters.weightDistribution, seed: UInt64(seed))
        return try LayerArrays(
            weights: FloatMatrix(rows: parameters.classes, columns: dimension, values: random.weights),
            bias: random.bias, source: "random layer")
    }

    private func save(dimension: Int, seed: Int, directory: String, onlyIfMissing: Bool) throws {
        let path = directory + "/" + parameters.layerFileName(dimension: dimension, seed: seed)
        if onlyIfMissing && FileManager.default.fileExists(atPath: path) { return }
        try layer(dimension: dimension, seed: seed).writeNPZ(to: path)
    }

    /// Computes one cell: the exact pipeline, the approximate detector at each patience, Qhull.
    public func cell(dimension: Int, seed: Int) throws -> (SweepCell, LayerArrays) {
        let arrays = try layer(dimension: dimension, seed: seed)
        let layer = SoftmaxLayer(arrays)
        var options = DetectorOptions()
        options.domain = parameters.domain
        options.threads = threads
        let exact = UnargmaxableDetector.detect(layer, options: options)
        let truth = Set(exact.indices(.unargmaxable))
        let meanSteps = Double(exact.results.reduce(0) { $0 + $1.steps }) / Double(max(1, exact.results.count))

        var scores: [PatienceScore] = []
        for p in parameters.patience {
            var approximate = options
            approximate.exact = nil
            approximate.patience = p
            let report = UnargmaxableDetector.detect(layer, options: approximate)
            let flagged = report.results.filter { $0.stage != .approximate }.map(\.index)
            let hits = flagged.filter(truth.contains).count
            scores.append(
                PatienceScore(
                    patience: p, flagged: flagged.count, truePositives: hits,
                    precision: flagged.isEmpty ? 1 : Double(hits) / Double(flagged.count),
                    recall: truth.isEmpty ? 1 : Double(hits) / Double(truth.count), seconds: report.seconds))
        }

        var qhullCount: Int? = nil, qhullAgrees: Bool? = nil, qhullSeconds: Double? = nil, qhullError: String? = nil
        let hullDimension = dimension + (parameters.bias ? 1 : 0)
        if parameters.box == nil, QhullBudget.allows(points: parameters.classes, dimension: hullDimension) {
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                let hull =
                    try arrays.bias.map {
                        try ArgmaxGroundTruth.withBias(
                            weights: arrays.weights.values, bias: $0, classes: arrays.classes, dimension: dimension)
                    }
                    ?? ArgmaxGroundTruth.withoutBias(
                        weights: arrays.weights.values, classes: arrays.classes, dimension: dimension)
                qhullCount = hull.unargmaxable.count
                qhullAgrees = Set(hull.unargmaxable) == truth && exact.count(.undecided) == 0
            } catch {
                qhullError = "\(error)"
            }
            qhullSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let cell = SweepCell(
            dimension: dimension, seed: seed, unargmaxable: truth.count, undecided: exact.count(.undecided),
            meanSteps: meanSteps, seconds: exact.seconds, qhullUnargmaxable: qhullCount, qhullAgrees: qhullAgrees,
            qhullSeconds: qhullSeconds, qhullError: qhullError, approximate: scores)
        return (cell, arrays)
    }
}

/// The append-only state file of a resumable sweep: a header line, then one line per record.
final class StateFile {
    let path: String
    private let descriptor: Int32
    /// The complete records after the header, in file order.
    let records: [String]

    private init(path: String, descriptor: Int32, records: [String]) {
        self.path = path
        self.descriptor = descriptor
        self.records = records
    }

    deinit { close(descriptor) }

    /// Opens (or creates) the state file. An existing file must start with `header`; a last line
    /// without its newline (torn by a kill) is cut off before anything is appended; a file holding
    /// only the start of the header (torn while it was created) starts afresh.
    static func open(path: String, header: String) throws -> StateFile {
        let existing = FileManager.default.contents(atPath: path)
        var records: [String] = []
        var keep = 0
        if let existing, !existing.isEmpty, !Data((header + "\n").utf8).starts(with: existing) {
            let text = String(decoding: existing, as: UTF8.self)
            guard let firstEnd = text.firstIndex(of: "\n"), String(text[..<firstEnd]) == header else {
                throw StudyError(
                    path,
                    "is the state file of a different sweep (or not a sweep state file); "
                        + "its first line must be \(header)"
                )
            }
            var offset = existing.firstIndex(of: UInt8(ascii: "\n"))! + 1
            keep = offset
            while let end = existing[offset...].firstIndex(of: UInt8(ascii: "\n")) {
                records.append(String(decoding: existing[offset..<end], as: UTF8.self))
                offset = end + 1
                keep = offset
            }
        }
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT, 0o644)
        guard descriptor >= 0 else {
            throw StudyError(path, "cannot open the state file: \(String(cString: strerror(errno)))")
        }
        let file = StateFile(path: path, descriptor: descriptor, records: records)
        guard ftruncate(descriptor, off_t(keep)) == 0, lseek(descriptor, off_t(keep), SEEK_SET) >= 0 else {
            throw StudyError(path, "cannot prepare the state file: \(String(cString: strerror(errno)))")
        }
        if keep == 0 {
            try file.append(header)
            file.syncDirectory()
        }
        return file
    }

    /// Appends one line and forces it to disk before returning.
    func append(_ line: String) throws {
        let data = Array((line + "\n").utf8)
        var written = 0
        while written < data.count {
            let n = data[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw StudyError(path, "cannot write the state file: \(String(cString: strerror(errno)))")
            }
            written += n
        }
        guard fsync(descriptor) == 0 else {
            throw StudyError(path, "cannot flush the state file: \(String(cString: strerror(errno)))")
        }
    }

    /// Makes the new file's directory entry durable too.
    private func syncDirectory() {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = Foundation.open(directory, O_RDONLY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
