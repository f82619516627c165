import Checksums
import Foundation
import OutputHeads
import ResultsDatabase
import Unargmaxable
import ResultFiles
import JSONDocuments

/// `check --db` and `merge --db`: a finished run (report, model head, recorded options) mapped to a
/// `RecordedRun` and written to the results database (Documentation/Results.md).
enum ResultsRecording {
    /// Opens the database before a long run, so a bad location fails at once rather than after the run.
    static func open(_ location: String) throws -> ResultsStore {
        do { return try ResultsStore.open(location) } catch let error as ResultsDatabaseError {
            throw CommandFailure(error.description)
        }
    }

    /// Records `run`; a run already in the database is reported on stderr (always) and not written again.
    static func record(_ run: RecordedRun, in store: ResultsStore, quiet: Bool) throws {
        let outcome: RecordOutcome
        do { outcome = try store.record(run) } catch let error as ResultsDatabaseError {
            throw CommandFailure(error.description)
        }
        switch outcome {
        case .inserted(let id):
            if !quiet { FileHandle.standardError.write(Data("recorded as run \(id) in \(store.name)\n".utf8)) }
        case .alreadyRecorded(let id):
            FileHandle.standardError.write(
                Data(
                    ("note: \(store.name) already holds this run (run \(id): same layer digest, options and "
                        + "shard); not recorded again\n").utf8))
        }
    }

    /// A short name for the model given as `path`: its file or folder name, or the Hub id as given.
    static func modelName(_ path: String) -> (name: String, path: String) {
        guard FileManager.default.fileExists(atPath: path) else { return (path, path) }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        return (url.lastPathComponent, url.path)
    }

    /// SHA-256 (hex) of the class's certificate entry in its single-line JSON form (what Python's
    /// `json.dumps(entry)` writes for the entry read from the certificates file).
    static func certificateDigest(index: Int, certificate: Certificate) -> String {
        var hash = SHA256()
        hash.update(Array(CertificatesFile.entry(index: index, certificate: certificate).compact.utf8))
        return hash.hexDigest()
    }

    /// The run of `check`, from its report and model head; `certificateDigests` when the report no longer
    /// holds its certificates (they were streamed to a file).
    static func run(
        _ report: ArgmaxabilityReport, layerPath: String, model: ModelHead, digest: String, options: JSONValue,
        shard: (index: Int, count: Int)?, certificateDigests: [Int: String]? = nil, started: Date, finished: Date
    ) -> RecordedRun {
        let (name, path) = modelName(layerPath)
        let vocabulary = model.vocabulary
        let classes = report.results.map { r in
            RecordedClass(
                index: r.index, token: ReportRendering.token(r.index, vocabulary), verdict: r.verdict.rawValue,
                marginLower: r.margin.lower, marginUpper: r.margin.upper, steps: r.steps, stage: r.stage.rawValue,
                certificateDigest: r.verdict == .undecided
                    ? nil
                    : certificateDigests?[r.index]
                        ?? r.certificate.map { certificateDigest(index: r.index, certificate: $0) })
        }
        return RecordedRun(
            model: RecordedModel(
                path: path, name: name, layerDigest: digest, classes: report.classes, dimension: report.dimension,
                hasBias: report.hasBias, weightsTensor: model.weightName, biasTensor: model.biasName,
                weightsFile: model.weightName == nil ? nil : model.weightsFile, vocabularySource: vocabulary?.source),
            optionsJSON: options.compact, shard: shard.map { RecordedShard(index: $0.index, count: $0.count) },
            toolVersion: "unargmax \(Unargmax.version)", host: ProcessInfo.processInfo.hostName, started: started,
            finished: finished, seconds: report.seconds, classes: classes)
    }

    /// The run of `merge`: the merged report's JSON, with the certificates' digests (by class) when the
    /// shards' certificates were merged too.
    static func run(
        mergedReport root: JSONValue, certificateDigests digests: [Int: String], started: Date, finished: Date
    ) throws -> RecordedRun {
        let layer = root["layer"]
        guard let layerPath = layer?["path"]?.stringValue, let digest = layer?["digest"]?.stringValue,
            let classCount = layer?["classes"]?.intValue, let dimension = layer?["dimension"]?.intValue,
            let options = root["options"], let entries = root["classes"]?.arrayValue
        else { throw CommandFailure("the merged report lacks the layer's path, digest, shape or options") }
        let hasBias: Bool
        if case .bool(let b)? = layer?["bias"] { hasBias = b } else { hasBias = false }
        let classes = try entries.map { entry -> RecordedClass in
            guard let index = entry["index"]?.intValue, let verdict = entry["verdict"]?.stringValue,
                let steps = entry["steps"]?.intValue, let stage = entry["stage"]?.stringValue
            else { throw CommandFailure("a class entry of the merged report is incomplete: \(entry.compact)") }
            return RecordedClass(
                index: index, token: entry["token"]?.stringValue, verdict: verdict,
                marginLower: entry["margin"]?["lower"]?.doubleValue,
                marginUpper: entry["margin"]?["upper"]?.doubleValue,
                steps: steps, stage: stage, certificateDigest: digests[index])
        }
        // The shard reports name the layer as each shard was given it; the first one's path is kept.
        let (name, path) = modelName(layerPath)
        return RecordedRun(
            model: RecordedModel(
                path: path, name: name, layerDigest: digest, classes: classCount, dimension: dimension,
                hasBias: hasBias,
                weightsTensor: layer?["weights_tensor"]?.stringValue, biasTensor: layer?["bias_tensor"]?.stringValue,
                weightsFile: layer?["weights_file"]?.stringValue,
                vocabularySource: layer?["vocabulary"]?["source"]?.stringValue),
            optionsJSON: options.compact, shard: nil, toolVersion: root["generator"]?.stringValue ?? "unargmax",
            host: ProcessInfo.processInfo.hostName, started: started, finished: finished,
            seconds: root["summary"]?["seconds"]?.doubleValue ?? 0, classes: classes)
    }
}
