import ArgumentParser
import OutputHeads
import Foundation
import LayerFormats
import Unargmaxable
import ResultFiles

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
