import Dispatch

extension ClassResult {
    /// A result as read back from a journal or a shard's report (the detectors make their own).
    public init(
        restoring index: Int, margin: MarginBracket, steps: Int, certificate: Certificate?, stage: DecidingStage
    ) {
        self.index = index
        self.margin = margin
        self.steps = steps
        self.certificate = certificate
        self.stage = stage
    }

    /// The same result without its certificate (once it has been written elsewhere).
    var withoutCertificate: ClassResult {
        var result = self
        result.certificate = nil
        return result
    }
}

extension ArgmaxabilityReport {
    /// A report assembled from results obtained elsewhere (a journal, several shards), ascending by class.
    public init(
        assembling results: [ClassResult], classes: Int, dimension: Int, hasBias: Bool, domain: InputDomain,
        seconds: Double
    ) {
        self.classes = classes
        self.dimension = dimension
        self.hasBias = hasBias
        self.domain = domain
        self.results = results.sorted { $0.index < $1.index }
        self.seconds = seconds
    }
}

/// One of N parts of a run: the chunks k of the selected classes with k mod N = index.
public struct ShardSpec: Sendable, Equatable {
    /// Which part, 0-based.
    public let index: Int
    /// How many parts.
    public let count: Int

    /// Shard `index` of `count` (0 ≤ index < count).
    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "shard \(index) of \(count)")
        self.index = index
        self.count = count
    }
}

extension UnargmaxableDetector {
    /// Classes decided together by the chunked `detect` unless told otherwise.
    public static let defaultChunkSize = 4096

    /// The classes of `selected` (ascending) that shard `shard` decides: whole chunks of `chunkSize`
    /// consecutive entries, chunk k going to shard k mod N.
    public static func shardClasses(_ selected: [Int], chunkSize: Int, shard: ShardSpec?) -> [Int] {
        guard let shard else { return selected }
        let size = max(1, chunkSize)
        return selected.enumerated().filter { ($0.offset / size) % shard.count == shard.index }.map(\.element)
    }

    /// Runs the detectors on the selected classes (`options.classes`, or all) in chunks of `chunkSize`
    /// consecutive classes, and hands each chunk's results to `chunkFinished` as soon as it is decided
    /// (a front end journals them there, so a killed run can resume). Every class of the layer
    /// competes in every chunk, so the verdicts are the whole layer's.
    ///
    /// The chunks are fixed by the selection and `chunkSize` alone, and a chunk's results depend only
    /// on its classes (not on the thread count, the shard or what was decided before), so a sharded,
    /// resumed or interrupted run reports exactly what one uninterrupted run reports. With `shard`,
    /// only its chunks are decided; a chunk whose classes are all in `completed` is taken from there.
    /// The report holds the decided classes ascending; `seconds` is this call's time.
    ///
    /// `everyChunk` then receives every chunk of the run in class order, decided now or taken from
    /// `completed` (a front end streams the certificates to a file there). With `keepsCertificates`
    /// false the report drops the certificates once `everyChunk` has had them, so a large head's
    /// witnesses (4 GB for 128256 × 4096) are never all in memory.
    public static func detect(
        _ layer: SoftmaxLayer, options: DetectorOptions, chunkSize: Int, shard: ShardSpec? = nil,
        completed: [ClassResult],
        progress: (@Sendable (DetectionProgress) -> Void)? = nil,
        chunkFinished: ([ClassResult]) throws -> Void,
        everyChunk: ([ClassResult]) throws -> Void = { _ in },
        keepsCertificates: Bool = true
    ) rethrows -> ArgmaxabilityReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let selected = options.classes ?? Array(0..<layer.classes)
        var known: [Int: ClassResult] = [:]
        for result in completed { known[result.index] = result }
        let size = max(1, chunkSize)
        var prepared: PreparedLayer? = nil
        var results: [ClassResult] = []
        var exactSeconds: [Double] = []
        for (k, begin) in stride(from: 0, to: selected.count, by: size).enumerated() {
            if let shard, k % shard.count != shard.index { continue }
            let chunk = Array(selected[begin..<min(selected.count, begin + size)])
            let done = chunk.compactMap { known[$0] }
            if done.count == chunk.count {
                try everyChunk(done)
                results += keepsCertificates ? done : done.map(\.withoutCertificate)
                continue
            }
            if prepared == nil { prepared = PreparedLayer(layer, threads: max(1, options.threads)) }
            var chunkOptions = options
            chunkOptions.classes = chunk
            let report = detect(layer, options: chunkOptions, prepared: prepared!, progress: progress)
            try chunkFinished(report.results)
            try everyChunk(report.results)
            results += keepsCertificates ? report.results : report.results.map(\.withoutCertificate)
            exactSeconds += report.exactStageSeconds
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var report = ArgmaxabilityReport(
            classes: layer.classes, dimension: layer.dimension, hasBias: layer.hasBias, domain: options.domain,
            results: results.sorted { $0.index < $1.index }, seconds: seconds)
        report.exactStageSeconds = exactSeconds
        return report
    }
}
