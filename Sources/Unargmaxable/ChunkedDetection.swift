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

extension UnargmaxableDetector {
    /// Classes decided per chunk by ``detect(_:options:chunkSize:completed:progress:chunkFinished:)``
    /// unless told otherwise.
    public static let defaultChunkSize = 4096

    /// Runs the detectors on the selected classes (`options.classes`, or all) that `completed` does not
    /// already hold, `chunkSize` classes at a time in ascending order, and hands each chunk's results to
    /// `chunkFinished` as soon as the chunk is decided (a front end journals them there, so a killed run
    /// can resume). Every class of the layer competes in every chunk, so the verdicts are the whole
    /// layer's. The report holds the results of `completed` and of the new chunks for the selected
    /// classes; `seconds` is this call's time. Since the chunks are aligned on the ascending list of
    /// classes not yet completed, a run resumed from whole chunks decides the same chunks as an
    /// uninterrupted one, and its results are identical.
    public static func detect(
        _ layer: SoftmaxLayer, options: DetectorOptions, chunkSize: Int, completed: [ClassResult],
        progress: (@Sendable (DetectionProgress) -> Void)? = nil,
        chunkFinished: ([ClassResult]) throws -> Void
    ) rethrows -> ArgmaxabilityReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let selected = options.classes ?? Array(0..<layer.classes)
        var isSelected = [Bool](repeating: false, count: layer.classes)
        for c in selected { isSelected[c] = true }
        var results: [Int: ClassResult] = [:]
        for result in completed where isSelected[result.index] { results[result.index] = result }
        let remaining = selected.filter { results[$0] == nil }
        let size = max(1, chunkSize)
        for begin in stride(from: 0, to: remaining.count, by: size) {
            var chunkOptions = options
            chunkOptions.classes = Array(remaining[begin..<min(remaining.count, begin + size)])
            let report = detect(layer, options: chunkOptions, progress: progress)
            try chunkFinished(report.results)
            for result in report.results { results[result.index] = result }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return ArgmaxabilityReport(
            classes: layer.classes, dimension: layer.dimension, hasBias: layer.hasBias, domain: options.domain,
            results: selected.compactMap { results[$0] }, seconds: seconds)
    }
}
