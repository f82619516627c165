import ArgumentParser
import OutputHeads
import Foundation
import LayerFormats
import Unargmaxable

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-check a certificates file against its layer, without running the detectors.",
        discussion: """
            Witnesses are evaluated against every class with rigorous floating-point error bounds (or in exact \
            rational arithmetic with --exact); multipliers are always checked exactly. Exits 1 if any \
            certificate fails.

              unargmax check layer.npz --certificates proof.json
              unargmax verify layer.npz proof.json
            """
    )

    @Argument(help: "The layer or model the certificates are for (as given to `unargmax check`).")
    var layer: String

    @OptionGroup var head: HeadOptions

    @Argument(help: "A certificates file written by `unargmax check --certificates`.")
    var certificates: String

    @Flag(help: "Evaluate witnesses in exact rational arithmetic (slow for large layers).")
    var exact = false

    @Option(help: "Threads.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        let arrays = try head.load(layer).arrays
        let file = try CertificatesFile(path: certificates)
        guard file.bias == false || arrays.bias != nil else {
            throw CommandFailure("\(certificates): the certificates are for a layer with a bias, but \(layer) has none")
        }
        let softmax = SoftmaxLayer(arrays, useBias: file.bias)
        let verifier = CertificateVerifier(layer: softmax, domain: file.domain, exactWitnesses: exact)
        let outcomes = verifier.check(file.entries, threads: threads)
        var argmaxable = 0, unargmaxable = 0
        var failures: [String] = []
        for outcome in outcomes {
            switch outcome {
            case .provesArgmaxable: argmaxable += 1
            case .provesUnargmaxable: unargmaxable += 1
            case .invalid(let why): failures.append(why)
            }
        }
        print("verified:      \(argmaxable) witnesses (argmaxable), \(unargmaxable) multiplier sets (unargmaxable)")
        if !failures.isEmpty {
            print("FAILED:        \(failures.count)")
            for failure in failures.prefix(20) { print("  \(failure)") }
            throw ExitCode(1)
        }
        print("result:        every certificate holds")
    }
}

/// A certificates file: JSON (schema "unargmaxable.certificates/1") or the binary npz layout
/// (schema "unargmaxable.certificates/2", see `CertificateArchive`), told apart by the first bytes.
struct CertificatesFile {
    let domain: InputDomain
    let bias: Bool
    let entries: [(index: Int, certificate: Certificate)]

    init(domain: InputDomain, bias: Bool, entries: [(index: Int, certificate: Certificate)]) {
        self.domain = domain
        self.bias = bias
        self.entries = entries
    }

    init(path: String) throws {
        func fail(_ why: String) -> CommandFailure { CommandFailure("\(path): \(why)") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail("No such file (or not readable)")
        }
        if data.starts(with: [0x50, 0x4B]) {
            self = try CertificateArchive.read(path: path)
            return
        }
        let root: JSONValue
        do { root = try JSONParser.parse(data) } catch { throw fail("\(error)") }
        guard root["schema"]?.stringValue == "unargmaxable.certificates/1" else {
            throw fail("schema is not unargmaxable.certificates/1")
        }
        domain = try Self.domain(root["domain"], path: path)
        if case .bool(let b)? = root["bias"] { bias = b } else { bias = false }
        guard let classes = root["classes"]?.arrayValue else { throw fail("has no 'classes' list") }
        entries = try classes.enumerated().map { position, entry in
            guard let index = entry["index"]?.intValue else { throw fail("entry \(position) has no index") }
            if let witness = entry["witness"]?.arrayValue {
                let x = witness.compactMap(\.doubleValue)
                guard x.count == witness.count else { throw fail("class \(index): the witness must be numbers") }
                return (index, .witness(x))
            }
            if let m = entry["multipliers"], let indices = m["indices"]?.arrayValue,
                let weights = m["weights"]?.arrayValue
            {
                let i = indices.compactMap(\.intValue), w = weights.compactMap(\.doubleValue)
                guard i.count == indices.count, w.count == weights.count else {
                    throw fail("class \(index): malformed multipliers")
                }
                let exact = m["exact"]?.arrayValue.map { $0.compactMap(\.stringValue) }
                return (index, .multipliers(indices: i, weights: w, exact: exact))
            }
            throw fail("entry \(position) (class \(index)) has neither a witness nor multipliers")
        }
    }

    /// The domain as `ReportRendering.domain` writes it.
    static func domain(_ value: JSONValue?, path: String) throws -> InputDomain {
        func fail(_ why: String) -> CommandFailure { CommandFailure("\(path): \(why)") }
        guard let domain = value, let kind = domain["kind"]?.stringValue else { throw fail("has no domain") }
        switch kind {
        case "box":
            guard let radius = domain["radius"]?.doubleValue, radius > 0 else {
                throw fail("box domain without a positive radius")
            }
            return .box(radius: radius)
        case "unbounded": return .unbounded
        case "bounds":
            guard let lower = domain["lower"]?.arrayValue?.compactMap(\.doubleValue),
                let upper = domain["upper"]?.arrayValue?.compactMap(\.doubleValue), lower.count == upper.count,
                zip(lower, upper).allSatisfy({ $0 <= $1 })
            else { throw fail("bounds domain without matching lower ≤ upper lists") }
            return .bounds(lower: lower, upper: upper)
        default: throw fail("unsupported domain kind '\(kind)'")
        }
    }
}
