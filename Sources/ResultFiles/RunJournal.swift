import Foundation
import LayerFormats
import Unargmaxable
import JSONDocuments

/// The journal of a resumable `check --journal FILE` (Documentation/Scale.md): JSON lines. The first
/// line is a header (schema "unargmaxable.journal/1", the layer digest, the options and the shard);
/// then, per decided chunk, one line per class (its result and certificate) and a commit line
/// `{"chunk": k, "classes": n}`, written with one `write` and made durable with `fsync`. Lines after the
/// last commit line (a chunk cut short by a kill) are discarded on reopening.
public struct RunJournal {
    /// The schema named in the header line.
    public static let schema = "unargmaxable.journal/1"

    /// The journal file.
    public let path: String
    private let descriptor: Int32
    private var chunks: Int

    /// The header line's content for a run of this layer with these options.
    public static func header(digest: String, options: JSONValue, shard: JSONValue) -> JSONValue {
        .object([("schema", .string(schema)), ("digest", .string(digest)), ("options", options), ("shard", shard)])
    }

    /// What a journal file holds: the results of its committed chunks, how many chunks, and how many
    /// of its bytes (the header and those chunks) a resumed run keeps.
    public struct Contents {
        /// The results of the committed chunks, in file order.
        public var results: [ClassResult] = []
        /// How many chunks were committed.
        public var chunks = 0
        /// The length of the header and the committed chunks: the rest is cut off on resuming.
        public var keptBytes = 0
    }

    /// Reads a journal's bytes (empty for a new journal). A journal of another layer or other options,
    /// or with a damaged committed line, is refused with a message naming `path`.
    public static func read(_ bytes: [UInt8], header: JSONValue, classes: Int, path: String) throws -> Contents {
        func fail(_ why: String) -> ResultFileError { ResultFileError(path, why) }
        var contents = Contents()
        // New, or killed before its header was complete: start afresh.
        guard let headerEnd = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return contents }
        let found: JSONValue
        do { found = try JSONParser.parse(Data(bytes[0..<headerEnd])) } catch {
            throw fail("not a journal of unargmax check (\(error))")
        }
        guard found["schema"]?.stringValue == schema else { throw fail("not a journal (schema is not \(schema))") }
        if found["digest"]?.stringValue != header["digest"]?.stringValue {
            throw fail(
                "the journal is of another layer (digest \(found["digest"]?.stringValue ?? "none"), "
                    + "this layer's is \(header["digest"]?.stringValue ?? "none")); give a new journal file")
        }
        for key in ["options", "shard"] where found[key]?.compact != header[key]?.compact {
            throw fail(
                "the journal was written with other \(key) (\(found[key]?.compact ?? "none")); this run's are "
                    + "\(header[key]?.compact ?? "none"); rerun with the same options or give a new journal file")
        }
        contents.keptBytes = headerEnd + 1
        var pending: [ClassResult] = []
        var lineStart = headerEnd + 1
        var lineNumber = 1
        while let end = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
            lineNumber += 1
            guard let line = try? JSONParser.parse(Data(bytes[lineStart..<end])) else {
                throw fail("line \(lineNumber) is not JSON")
            }
            if line["chunk"] != nil {
                contents.results += pending
                pending = []
                contents.chunks += 1
                contents.keptBytes = end + 1
            } else {
                pending.append(try decode(line, classes: classes, fail: { fail("line \(lineNumber): \($0)") }))
            }
            lineStart = end + 1
        }
        var seen = Set<Int>()
        for result in contents.results where !seen.insert(result.index).inserted {
            throw fail("class \(result.index) appears twice")
        }
        return contents
    }

    /// Opens the journal at `path`, creating it with `header` when it does not exist (or holds no complete
    /// header line), and returns the results of its committed chunks. A journal of another layer or other
    /// options is refused with a message naming the file.
    public static func open(path: String, header: JSONValue, classes: Int) throws -> (RunJournal, [ClassResult]) {
        func fail(_ why: String) -> ResultFileError { ResultFileError(path, why) }
        let existing = FileManager.default.contents(atPath: path) ?? Data()
        let contents = try read([UInt8](existing), header: header, classes: classes, path: path)
        let keep = contents.keptBytes
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT, 0o644)
        guard descriptor >= 0 else { throw fail("cannot open for writing: \(String(cString: strerror(errno)))") }
        guard ftruncate(descriptor, off_t(keep)) == 0, lseek(descriptor, off_t(keep), SEEK_SET) >= 0 else {
            _ = Foundation.close(descriptor)
            throw fail("cannot truncate: \(String(cString: strerror(errno)))")
        }
        let journal = RunJournal(path: path, descriptor: descriptor, chunks: contents.chunks)
        if keep == 0 { try journal.write(header.compact + "\n") }
        return (journal, contents.results)
    }

    /// Re-checks the certificates of journaled results before they enter a report (every verdict stays
    /// certified even if the journal was damaged or edited): witnesses with rigorous floating-point
    /// bounds, then exactly where that is inconclusive; multipliers exactly.
    public static func verify(
        _ results: [ClassResult], layer: SoftmaxLayer, domain: InputDomain, threads: Int, path: String
    ) throws {
        func expected(_ r: ClassResult) -> CertificateVerifier.Outcome? {
            switch r.verdict {
            case .argmaxable: return .provesArgmaxable
            case .unargmaxable: return .provesUnargmaxable
            case .undecided: return nil
            }
        }
        let decided = results.filter { expected($0) != nil }
        for r in decided where r.certificate == nil {
            throw ResultFileError(path, "class \(r.index) is \(r.verdict.rawValue) without a certificate")
        }
        let entries = decided.map { (index: $0.index, certificate: $0.certificate!) }
        let outcomes = CertificateVerifier(layer: layer, domain: domain).check(entries, threads: threads)
        let exact = CertificateVerifier(layer: layer, domain: domain, exactWitnesses: true)
        for (r, outcome) in zip(decided, outcomes) where outcome != expected(r) {
            let second = exact.check(class: r.index, r.certificate!)
            guard second == expected(r) else {
                var why = "it proves the opposite"
                if case .invalid(let reason) = second { why = reason }
                throw ResultFileError(
                    path,
                    "class \(r.index): the journaled certificate does not prove \(r.verdict.rawValue) "
                        + "(\(why)); give a new journal file")
            }
        }
    }

    /// Appends one decided chunk durably (one write, then fsync).
    public mutating func append(_ results: [ClassResult]) throws {
        var text = ""
        for result in results { text += Self.encode(result).compact + "\n" }
        chunks += 1
        text += JSONValue.object([("chunk", .int(chunks)), ("classes", .int(results.count))]).compact + "\n"
        try write(text)
    }

    /// Closes the file (everything appended is already synced).
    public func close() { _ = Foundation.close(descriptor) }

    private func write(_ text: String) throws {
        let data = Array(text.utf8)
        var offset = 0
        while offset < data.count {
            let written = data[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw ResultFileError(path, "cannot write: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            throw ResultFileError(path, "cannot sync: \(String(cString: strerror(errno)))")
        }
    }

    static func certificate(_ certificate: Certificate?) -> JSONValue {
        certificate.map { .object(CertificatesFile.members($0)) } ?? .null
    }

    static func encode(_ r: ClassResult) -> JSONValue {
        .object([
            ("index", .int(r.index)), ("steps", .int(r.steps)),
            ("margin", .object([("lower", .number(r.margin.lower)), ("upper", .number(r.margin.upper))])),
            ("stage", .string(r.stage.rawValue)), ("certificate", certificate(r.certificate)),
        ])
    }

    static func decode(_ line: JSONValue, classes: Int, fail: (String) -> ResultFileError) throws -> ClassResult {
        guard let index = line["index"]?.intValue, (0..<classes).contains(index) else {
            throw fail("no class index of this layer")
        }
        guard let steps = line["steps"]?.intValue, let margin = line["margin"],
            let stage = line["stage"]?.stringValue.flatMap(DecidingStage.init(rawValue:))
        else { throw fail("class \(index): incomplete entry") }
        func bound(_ value: JSONValue?, _ infinite: Double) throws -> Double {
            if case .null? = value { return infinite }
            guard let x = value?.doubleValue else { throw fail("class \(index): malformed margin") }
            return x
        }
        var bracket = MarginBracket.unknown
        bracket.lower = try bound(margin["lower"], -.infinity)
        bracket.upper = try bound(margin["upper"], .infinity)
        var certificate: Certificate? = nil
        if let witness = line["certificate"]?["witness"]?.arrayValue {
            let x = witness.compactMap(\.doubleValue)
            guard x.count == witness.count else { throw fail("class \(index): malformed witness") }
            certificate = .witness(x)
        } else if let m = line["certificate"]?["multipliers"] {
            certificate = try CertificatesFile.multipliers(m, fail: { fail("class \(index): \($0)") })
        }
        return ClassResult(restoring: index, margin: bracket, steps: steps, certificate: certificate, stage: stage)
    }
}
