import ArgumentParser
import Foundation
import LayerFormats
import Unargmaxable
import ResultFiles

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
        var certificates: [(index: Int, certificate: Certificate)] = []
        if let certificatesOut {
            guard certificatesIn.count == parts.count else {
                throw CommandFailure(
                    "\(certificatesIn.count) certificate files for \(parts.count) shards; give one per shard")
            }
            let domain = try CertificatesFile.domain(first.root["domain"], path: first.path)
            let bias: Bool
            if case .bool(let b)? = first.root["layer"]?["bias"] { bias = b } else { bias = false }
            for path in certificatesIn {
                let file = try CertificatesFile(path: path)
                guard ReportRendering.domain(file.domain).compact == ReportRendering.domain(domain).compact,
                    file.bias == bias
                else { throw CommandFailure("\(path): certificates for another domain or bias than the shards'") }
                certificates += file.entries
            }
            certificates.sort { $0.index < $1.index }
            for (a, b) in zip(certificates, certificates.dropFirst()) where a.index == b.index {
                throw CommandFailure("class \(a.index) has a certificate in two of the --certificates-in files")
            }
            let decided = classes.compactMap { entry -> Int? in
                entry["verdict"]?.stringValue == Verdict.undecided.rawValue ? nil : entry["index"]?.intValue
            }
            if decided != certificates.map(\.index) {
                let held = Set(certificates.map(\.index)), wanted = Set(decided)
                let example =
                    decided.first { !held.contains($0) } ?? certificates.first { !wanted.contains($0.index) }?.index
                throw CommandFailure(
                    "the --certificates-in files hold \(certificates.count) certificates for \(decided.count) decided "
                        + "classes of the shards (class \(example ?? -1) differs); "
                        + "give the shards' own certificate files"
                )
            }
            guard let classCount = first.root["layer"]?["classes"]?.intValue,
                let dimension = first.root["layer"]?["dimension"]?.intValue
            else { throw CommandFailure("\(first.path): the layer has no classes or dimension") }
            if certificatesOut.lowercased().hasSuffix(".npz") {
                try CertificateArchive.write(
                    certificates, domain: domain, bias: bias, classes: classCount, dimension: dimension,
                    generator: "unargmax \(Unargmax.version)", to: certificatesOut)
            } else {
                let document = CertificatesFile.json(
                    certificates, domain: domain, bias: bias, generator: "unargmax \(Unargmax.version)")
                try AtomicFileWriter.write(document + "\n", to: certificatesOut)
            }
        }
        try CommandSupport.emit(rendered, output: output)
        if let store {
            let run = try ResultsRecording.run(
                mergedReport: merged, certificates: certificatesOut == nil ? nil : certificates, started: started,
                finished: Date())
            try ResultsRecording.record(run, in: store, quiet: false)
        }
    }
}
