import ArgumentParser
import Foundation
import LayerFormats
import Unargmaxable
import ResultFiles
import JSONDocuments

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the JSON reports of a sharded check (--shard i/N) into one report.",
        discussion: """
            Reads the N shard reports of `unargmax check … --shard i/N --format json` (in any order) and writes \
            the report an unsharded run writes, timing aside (summary.seconds is the sum of the shards'). \
            Refuses shards of different layers (layer.digest) or options, and duplicate or missing shards. \
            With --certificates-in, the shards' certificate files (JSON or .npz, one per shard) are combined \
            into --certificates-out the same way. Nothing is written unless everything fits together. See \
            Documentation/Scale.md.

              unargmax merge shard-*.json -o report.json
              unargmax merge shard-*.json -o report.json --certificates-in certs-*.npz --certificates-out certs.npz
            """
    )

    @Argument(help: "The shard reports (JSON, from `unargmax check --shard i/N --format json`).")
    var shards: [String]

    @Option(name: [.short, .long], help: "Write the merged report to this file (atomically) instead of stdout.")
    var output: String?

    @Option(parsing: .upToNextOption, help: "The shards' certificate files (JSON or .npz), one per shard.")
    var certificatesIn: [String] = []

    @Option(help: "Write the merged certificates here: JSON, or the binary layout when the name ends in .npz.")
    var certificatesOut: String?

    @Option(
        help: """
            Record the merged run in this results database (an SQLite file or a postgresql:// URL), as \
            `unargmax check --db` records an unsharded run; see Documentation/Results.md.
            """)
    var db: String?

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("Give the shard reports to merge.") }
        if certificatesIn.isEmpty != (certificatesOut == nil) {
            throw ValidationError("Give --certificates-in and --certificates-out together.")
        }
    }

    /// One shard report, read and checked on its own.
    struct Shard {
        let path: String
        let root: JSONValue
        let index: Int
        let count: Int
        let digest: String
        let classes: [JSONValue]
    }

    static func read(_ path: String) throws -> Shard {
        func fail(_ why: String) -> CommandFailure { CommandFailure("\(path): \(why)") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail("No such file (or not readable)")
        }
        let root: JSONValue
        do { root = try JSONParser.parse(data) } catch { throw fail("not JSON: \(error)") }
        guard root["schema"]?.stringValue == "unargmaxable.report/1" else {
            throw fail("not a report of unargmax check --format json (schema is not unargmaxable.report/1)")
        }
        guard let index = root["shard"]?["index"]?.intValue, let count = root["shard"]?["count"]?.intValue else {
            throw fail("not a shard report (no \"shard\"; run unargmax check with --shard i/N)")
        }
        guard let digest = root["layer"]?["digest"]?.stringValue, root["options"] != nil else {
            throw fail("the report has no layer digest or options (written by an older unargmax)")
        }
        guard let classes = root["classes"]?.arrayValue, classes.allSatisfy({ $0["index"]?.intValue != nil })
        else { throw fail("has no class list") }
        return Shard(path: path, root: root, index: index, count: count, digest: digest, classes: classes)
    }

    /// The shards together hold the selected classes (ascending: position p in that list is in chunk
    /// p / chunk_size, which belongs to shard chunk mod N): each class once, each in its own shard's chunks.
    static func checkChunks(_ parts: [Shard], merged: [JSONValue]) throws {
        let chunkSize = parts[0].root["options"]?["chunk_size"]?.intValue ?? UnargmaxableDetector.defaultChunkSize
        var owner: [Int: Shard] = [:]
        for part in parts {
            for entry in part.classes {
                let c = entry["index"]!.intValue!
                if let other = owner[c] { throw CommandFailure("\(part.path): class \(c) is also in \(other.path)") }
                owner[c] = part
            }
        }
        for (position, entry) in merged.enumerated() {
            let c = entry["index"]!.intValue!, part = owner[c]!
            let shard = (position / max(1, chunkSize)) % part.count
            guard shard == part.index else {
                throw CommandFailure(
                    "\(part.path): class \(c) belongs to shard \(shard)/\(part.count) (chunks of \(chunkSize)), "
                        + "not \(part.index)/\(part.count)")
            }
        }
    }

    func run() throws {
        let started = Date()
        let store = try db.map(ResultsRecording.open)
        let parts = try shards.map(Self.read).sorted { $0.index < $1.index }
        let first = parts[0]
        for part in parts {
            if part.digest != first.digest {
                throw CommandFailure(
                    "\(part.path): a shard of another layer (digest \(part.digest)) than \(first.path) "
                        + "(digest \(first.digest))")
            }
            if part.root["options"]?.compact != first.root["options"]?.compact {
                throw CommandFailure(
                    "\(part.path): checked with other options than \(first.path): "
                        + "\(part.root["options"]?.compact ?? "none") vs \(first.root["options"]?.compact ?? "none")")
            }
            for key in ["generator", "domain"] where part.root[key]?.compact != first.root[key]?.compact {
                throw CommandFailure("\(part.path): its \(key) differs from \(first.path)'s")
            }
            if part.count != first.count {
                throw CommandFailure(
                    "\(part.path): shard \(part.index)/\(part.count), but \(first.path) is one of \(first.count)")
            }
        }
        for (a, b) in zip(parts, parts.dropFirst()) where a.index == b.index {
            throw CommandFailure("\(b.path): shard \(b.index)/\(b.count) is also given as \(a.path)")
        }
        let present = Set(parts.map(\.index))
        let missing = (0..<first.count).filter { !present.contains($0) }
        if !missing.isEmpty {
            throw CommandFailure(
                "missing shard\(missing.count == 1 ? "" : "s") "
                    + missing.prefix(20).map { "\($0)/\(first.count)" }.joined(separator: ", ")
                    + (missing.count > 20 ? " … (\(missing.count) in all)" : "") + " of \(first.count)")
        }
        let classes = parts.flatMap(\.classes).sorted { ($0["index"]?.intValue ?? 0) < ($1["index"]?.intValue ?? 0) }
        try Self.checkChunks(parts, merged: classes)
        let seconds = parts.reduce(0.0) { $0 + ($1.root["summary"]?["seconds"]?.doubleValue ?? 0) }
        let filters = first.root["options"]?["filters"] ?? .array([])
        let merged: JSONValue = .object([
            ("schema", "unargmaxable.report/1"), ("generator", first.root["generator"] ?? .null),
            ("layer", first.root["layer"] ?? .null), ("domain", first.root["domain"] ?? .null),
            ("options", first.root["options"] ?? .null),
            ("summary", ReportRendering.summary(classes, filters: filters, seconds: seconds)),
            ("classes", .array(classes)),
        ])
        let rendered = merged.rendered()

        // Both outputs or neither: refuse a destination in a missing directory before writing anything.
        for path in [output, certificatesOut].compactMap({ $0 }) {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else { throw CommandFailure("\(path): the directory \(directory) does not exist") }
        }
        var certificateDigests: [Int: String] = [:]
        if let certificatesOut {
            guard certificatesIn.count == parts.count else {
                throw CommandFailure(
                    "\(certificatesIn.count) certificate files for \(parts.count) shards; give one per shard")
            }
            let domain = try CertificatesFile.domain(first.root["domain"], path: first.path)
            let bias: Bool
            if case .bool(let b)? = first.root["layer"]?["bias"] { bias = b } else { bias = false }
            // Archives are read entry by entry (a large head's witnesses never all in memory), JSON files whole.
            let inputs = try certificatesIn.map { path in
                let input = try CertificateInput(path: path)
                guard ReportRendering.domain(input.domain).compact == ReportRendering.domain(domain).compact,
                    input.bias == bias
                else { throw CommandFailure("\(path): certificates for another domain or bias than the shards'") }
                return input
            }
            var order: [(index: Int, input: Int, entry: Int)] = []
            for (i, input) in inputs.enumerated() {
                for k in 0..<input.count { order.append((input.classIndex(k), i, k)) }
            }
            order.sort { $0.index < $1.index }
            for (a, b) in zip(order, order.dropFirst()) where a.index == b.index {
                throw CommandFailure("class \(a.index) has a certificate in two of the --certificates-in files")
            }
            let decided = classes.compactMap { entry -> Int? in
                entry["verdict"]?.stringValue == Verdict.undecided.rawValue ? nil : entry["index"]?.intValue
            }
            if decided != order.map(\.index) {
                let held = Set(order.map(\.index)), wanted = Set(decided)
                let example = decided.first { !held.contains($0) } ?? order.first { !wanted.contains($0.index) }?.index
                throw CommandFailure(
                    "the --certificates-in files hold \(order.count) certificates for \(decided.count) decided "
                        + "classes of the shards (class \(example ?? -1) differs); "
                        + "give the shards' own certificate files"
                )
            }
            guard let classCount = first.root["layer"]?["classes"]?.intValue,
                let dimension = first.root["layer"]?["dimension"]?.intValue
            else { throw CommandFailure("\(first.path): the layer has no classes or dimension") }
            let generator = "unargmax \(Unargmax.version)"
            func eachCertificate(_ body: (Int, Certificate) throws -> Void) throws {
                for item in order {
                    let (index, certificate) = try inputs[item.input].entry(item.entry)
                    if store != nil {
                        certificateDigests[index] = ResultsRecording.certificateDigest(
                            index: index, certificate: certificate)
                    }
                    try body(index, certificate)
                }
            }
            if certificatesOut.lowercased().hasSuffix(".npz") {
                let writer = try CertificateArchiveWriter(
                    path: certificatesOut, domain: domain, bias: bias, classes: classCount, dimension: dimension,
                    generator: generator)
                try eachCertificate { try writer.append(index: $0, certificate: $1) }
                try writer.finish()
            } else {
                var certificates: [(index: Int, certificate: Certificate)] = []
                try eachCertificate { certificates.append(($0, $1)) }
                let document = CertificatesFile.json(certificates, domain: domain, bias: bias, generator: generator)
                try AtomicFileWriter.write(document + "\n", to: certificatesOut)
            }
        }
        try CommandSupport.emit(rendered, output: output)
        if let store {
            let run = try ResultsRecording.run(
                mergedReport: merged, certificateDigests: certificateDigests, started: started, finished: Date())
            try ResultsRecording.record(run, in: store, quiet: false)
        }
    }
}

/// One shard's certificates for `merge`: an archive read entry by entry, or a JSON file read whole.
private enum CertificateInput {
    case archive(CertificateArchiveReader)
    case loaded(CertificatesFile)

    init(path: String) throws {
        let head = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 2) } ?? Data()
        if head.starts(with: [0x50, 0x4B]) {
            self = .archive(try CertificateArchiveReader(path: path))
        } else {
            self = .loaded(try CertificatesFile(path: path))
        }
    }

    var domain: InputDomain {
        switch self {
        case .archive(let a): a.domain
        case .loaded(let f): f.domain
        }
    }

    var bias: Bool {
        switch self {
        case .archive(let a): a.bias
        case .loaded(let f): f.bias
        }
    }

    var count: Int {
        switch self {
        case .archive(let a): a.count
        case .loaded(let f): f.entries.count
        }
    }

    func classIndex(_ k: Int) -> Int {
        switch self {
        case .archive(let a): a.classIndex(k)
        case .loaded(let f): f.entries[k].index
        }
    }

    func entry(_ k: Int) throws -> (index: Int, certificate: Certificate) {
        switch self {
        case .archive(let a): try a.entry(k)
        case .loaded(let f): f.entries[k]
        }
    }
}
