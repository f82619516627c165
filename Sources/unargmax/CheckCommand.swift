import ArgumentParser
import ClassGeometry
import Foundation
import LayerFormats
import LayerStudies
import OutputHeads
import Vocabularies
import Unargmaxable
import ResultFiles
import JSONDocuments

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Find every class of a layer that no input can make the argmax, with proof.",
        discussion: """
            Runs batched braid reflect (the paper's approximate search, one GEMM per step) and then an exact \
            LP with constraint generation for the classes it could not clear. Every verdict carries a \
            certificate that is checked independently of the solver: a witness input (argmaxable) or \
            multipliers λ ≥ 0, Σλ = 1 bounding the margin above (unargmaxable). Each class gets a certified \
            bracket lower ≤ margin ≤ upper on its best achievable logit margin; "undecided" when it \
            straddles 0. Exit code 0 whatever the verdicts.

              unargmax check layer.npz                              # box |x_j| ≤ 100, as in the paper
              unargmax check layer.npz --unbounded --format json --output report.json
              unargmax check layer.npz --certificates proof.json --exact-arithmetic
              unargmax check layer.npz --shard 0/3 --format json --output shard-0.json --journal shard-0.journal

            Classes are decided in chunks of --chunk-size consecutive classes, and a chunk's results depend on \
            its classes alone (not on threads, shards or interruptions). With --shard i/N the run decides the \
            chunks k with k mod N = i (every class still competes); `unargmax merge` combines the N shard \
            reports into exactly the report of one unsharded run. With --journal FILE each decided chunk is \
            appended to FILE and synced; the same command run again with the same journal skips the chunks it \
            holds, so a killed run resumes where it stopped and reports what an uninterrupted run reports. See \
            Documentation/Scale.md.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, csv }
    enum Approximate: String, ExpressibleByArgument, CaseIterable {
        case braidReflect = "braid-reflect"
        case none
    }
    enum Exact: String, ExpressibleByArgument, CaseIterable { case margin, chebyshev, none }

    @Argument(
        help: """
            The layer or model: .npz/.npy, .safetensors, a PyTorch .bin/.pt, .gguf, or a Hugging Face model folder.
            """)
    var layer: String

    @OptionGroup var head: HeadOptions

    @Option(
        help: """
            Decide only classes whose token is written in this Unicode script (e.g. Cyrillic, Latin, Han), as the \
            paper does for a translation model's target language. Every class still competes.
            """)
    var script: String?

    @Flag(help: "Skip classes whose token is only digits, punctuation, symbols or spaces.")
    var skipDigitsPunct = false

    @Option(help: "Decide only these classes: indices and ranges such as 10,20-30.")
    var classes: String?

    @Option(help: "Decide only the classes listed in this file (one index or range per line, # comments).")
    var classesFile: String?

    @Option(help: "Inputs lie in the box |x_j| ≤ R (default 100, the paper's setting).")
    var box: Double?

    @Flag(help: "Inputs may be anything in R^d.")
    var unbounded = false

    @Option(
        help: """
            Inputs lie in the per-dimension [min, max] box of these observed activations (N × d in .npy, .npz or \
            .safetensors; streamed, see `unargmax range`).
            """)
    var inputRange: String?

    @Option(
        help: """
            With --input-range: the per-dimension [1 − q, q] quantile box instead of [min, max] \
            (0.5 ≤ q ≤ 1).
            """)
    var quantile: Double?

    @Flag(help: "Ignore the file's bias (check y = Wx).")
    var ignoreBias = false

    @Option(help: "Approximate stage: braid-reflect or none.")
    var approx: Approximate = .braidReflect

    @Option(help: "Exact stage: margin (LP on the logit margin), chebyshev (the paper's largest-ball LP) or none.")
    var exact: Exact = .margin

    @Option(help: "Braid-reflect steps per class before the exact stage takes over.")
    var patience = 50

    @Option(help: "Threads for the GEMMs and the LPs (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Close undecided brackets with exact rational arithmetic where possible.")
    var exactArithmetic = false

    @Option(help: "Output format: text, json or csv.")
    var format: Format = .text

    @Option(help: "Write the report to this file (atomically) instead of stdout.")
    var output: String?

    @Option(
        help: """
            Write every class's certificate to this file: JSON, or the compact binary layout when the name ends \
            in .npz (for large layers; see Documentation/Detectors.md).
            """)
    var certificates: String?

    @Option(
        help: """
            Decide only shard i of N (0-based): the chunks k of the selected classes (all, or those the token \
            filters keep) with k mod N = i. Combine the shards' JSON reports with `unargmax merge`.
            """)
    var shard: String?

    @Option(
        help: """
            Append each decided chunk of classes (results and certificates) to this journal, synced to disk; \
            rerunning the same command with the same journal skips the chunks it holds. A journal of another \
            layer or other options is refused.
            """)
    var journal: String?

    @Option(
        help: """
            Classes decided together (and between two journal writes). Recorded in the report: shards and \
            resumed runs must use the same size.
            """)
    var chunkSize = UnargmaxableDetector.defaultChunkSize

    @Option(
        help: """
            Record the run (model, options, every class) in this results database: an SQLite file (created if \
            missing) or a postgresql:// URL. A run already recorded (same layer, options and shard) is not \
            recorded again. Query with `unargmax results`; see Documentation/Results.md.
            """)
    var db: String?

    @Flag(help: "No progress on stderr.")
    var quiet = false

    @Flag(
        help: """
            Add each decided class's depth: a tightened margin bracket, the bias increase and weight scaling that \
            would make it argmaxable, its Chebyshev ball and (d < 10) its Qhull distance; \
            see Documentation/Interiority.md.
            """)
    var interiority = false

    func validate() throws {
        if unbounded && box != nil { throw ValidationError("Give --box R or --unbounded, not both.") }
        if inputRange != nil && (unbounded || box != nil) {
            throw ValidationError("Give one domain: --box R, --unbounded or --input-range FILE.")
        }
        if quantile != nil && inputRange == nil { throw ValidationError("--quantile needs --input-range FILE.") }
        if let box, !(box > 0 && box.isFinite) { throw ValidationError("--box needs a positive radius.") }
        guard patience >= 0 else { throw ValidationError("--patience cannot be negative.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        guard chunkSize >= 1 else { throw ValidationError("--chunk-size must be at least 1.") }
        _ = try shardSpec()
    }

    /// The shard asked for with --shard i/N, or nil.
    func shardSpec() throws -> ShardSpec? {
        guard let shard else { return nil }
        let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1,
            (0..<count).contains(index)
        else { throw ValidationError("--shard needs i/N with 0 ≤ i < N, e.g. 0/4 (got '\(shard)').") }
        return ShardSpec(index: index, count: count)
    }

    /// The options that decide a report's content, as recorded in JSON reports and journals (merged and
    /// resumed runs must agree on them).
    func recordedOptions(domain: InputDomain, filters: [TokenFilter]) -> JSONValue {
        .object([
            ("domain", ReportRendering.domain(domain)), ("approx", .string(approx.rawValue)),
            ("exact", .string(exact.rawValue)), ("patience", .int(patience)),
            ("exact_arithmetic", .bool(exactArithmetic)), ("ignore_bias", .bool(ignoreBias)),
            ("filters", .array(filters.map { .string($0.description) })), ("interiority", .bool(interiority)),
            ("chunk_size", .int(chunkSize)),
        ])
    }

    var options: DetectorOptions {
        var options = DetectorOptions()
        options.domain = unbounded ? .unbounded : .box(radius: box ?? 100)
        options.approximate = approx == .braidReflect
        options.exact = exact == .none ? nil : ExactObjective(rawValue: exact.rawValue)
        options.patience = patience
        options.threads = threads
        options.exactArithmetic = exactArithmetic
        return options
    }

    /// The token filters given on the command line (their intersection chooses the classes to decide).
    func filters() throws -> [TokenFilter] {
        var filters: [TokenFilter] = []
        if let script {
            guard let filter = TokenFilter.script(named: script) else {
                throw ValidationError(
                    "Unknown script '\(script)'; "
                        + "known: \(UnicodeScript.allCases.map(\.rawValue).joined(separator: ", "))."
                )
            }
            filters.append(filter)
        }
        if skipDigitsPunct { filters.append(.skipDigitsPunctuation) }
        if let classes { filters.append(try TokenFilter.classes(classes)) }
        if let classesFile { filters.append(try TokenFilter.classes(file: classesFile)) }
        return filters
    }

    func run() throws {
        let started = Date()
        let filters = try filters()
        let store = try db.map(ResultsRecording.open)
        let model = try head.load(layer, quiet: quiet)
        let softmax = SoftmaxLayer(model.arrays, useBias: !ignoreBias)
        var options = options
        if let inputRange {
            let ranges = try InputRanges.measure(ActivationFile(path: inputRange), quantile: quantile)
            guard ranges.dimension == softmax.dimension else {
                throw CommandFailure(
                    "\(inputRange): the activations have d = \(ranges.dimension), "
                        + "the layer has d = \(softmax.dimension)"
                )
            }
            options.domain = ranges.domain
        }
        if !filters.isEmpty {
            options.classes = try selectedClasses(filters, classCount: softmax.classes, vocabulary: model.vocabulary)
        }
        let shard = try shardSpec()
        if interiority {
            // Each measured class costs LPs over every class: refuse what would run for days.
            let measured = UnargmaxableDetector.shardClasses(
                options.classes ?? Array(0..<softmax.classes), chunkSize: chunkSize, shard: shard
            ).count
            guard Double(measured) * Double(softmax.classes) * Double(softmax.dimension + 1) <= 2e9 else {
                throw CommandFailure(
                    "\(layer): --interiority on \(measured) of \(softmax.classes) classes would take too long; "
                        + "choose fewer with --classes, --classes-file or --script")
            }
        }
        let digest = softmax.digest
        let recorded = recordedOptions(domain: options.domain, filters: filters)
        let bar = ProgressBar(enabled: !quiet)
        var journalFile: RunJournal? = nil
        var completed: [ClassResult] = []
        if let journal {
            let shardValue: JSONValue =
                shard.map { .object([("index", .int($0.index)), ("count", .int($0.count))]) } ?? .null
            (journalFile, completed) = try RunJournal.open(
                path: journal, header: RunJournal.header(digest: digest, options: recorded, shard: shardValue),
                classes: softmax.classes)
            try RunJournal.verify(completed, layer: softmax, domain: options.domain, threads: threads, path: journal)
        }
        defer { journalFile?.close() }
        // A binary certificates file is written as the chunks are decided, so the witnesses of a large
        // head are never all in memory; the database then gets the certificates' digests from here.
        let streamed = try certificates.flatMap { path in
            path.lowercased().hasSuffix(".npz")
                ? try CertificateArchiveWriter(
                    path: path, domain: options.domain, bias: softmax.hasBias, classes: softmax.classes,
                    dimension: softmax.dimension, generator: "unargmax \(Unargmax.version)") : nil
        }
        var certificateDigests: [Int: String] = [:]
        let report = try UnargmaxableDetector.detect(
            softmax, options: options, chunkSize: chunkSize, shard: shard, completed: completed,
            progress: { bar.update($0) }, chunkFinished: { try journalFile?.append($0) },
            everyChunk: { results in
                guard let streamed else { return }
                for r in results where r.verdict != .undecided {
                    guard let certificate = r.certificate else { continue }
                    try streamed.append(index: r.index, certificate: certificate)
                    if store != nil {
                        certificateDigests[r.index] = ResultsRecording.certificateDigest(
                            index: r.index, certificate: certificate)
                    }
                }
            }, keepsCertificates: streamed == nil)
        var depths: [Int: ClassInteriority]? = nil
        if interiority {
            var depthOptions = InteriorityOptions()
            depthOptions.domain = options.domain
            depthOptions.threads = threads
            let measures = Interiority.measure(
                softmax, report: report, classes: report.results.map(\.index), options: depthOptions)
            depths = Dictionary(measures.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        }
        let rendered: String
        switch format {
        case .json:
            rendered = ReportRendering.json(
                report, layerPath: layer, model: model, filters: filters.map(\.description), interiority: depths,
                digest: digest, options: recorded, shard: shard)
        case .csv: rendered = ReportRendering.csv(report, vocabulary: model.vocabulary, interiority: depths)
        case .text:
            let described = filters.map(\.description) + (shard.map { ["shard \($0.index)/\($0.count)"] } ?? [])
            var text = ReportRendering.text(report, layerPath: layer, model: model, filters: described)
            if let depths {
                let measures = report.results.compactMap { depths[$0.index] }
                text += "\n" + ReportRendering.interiorityTable(measures, vocabulary: model.vocabulary)
            }
            rendered = text
        }
        if let streamed {
            try streamed.finish()
        } else if let certificates {
            try AtomicFileWriter.write(ReportRendering.certificates(report) + "\n", to: certificates)
        }
        try CommandSupport.emit(rendered, output: output)
        if let store {
            let run = ResultsRecording.run(
                report, layerPath: layer, model: model, digest: digest, options: recorded,
                shard: shard.map { (index: $0.index, count: $0.count) },
                certificateDigests: streamed == nil ? nil : certificateDigests, started: started, finished: Date())
            try ResultsRecording.record(run, in: store, quiet: quiet)
        }
    }
}
