import Foundation
import FuzzTargets
import Testing

/// The committed seed corpus and every input a fuzzer once crashed on, replayed through the fuzz targets
/// in the normal suite (no fuzzer needed): each must be parsed or rejected with a message, never crash.
@Suite(.serialized)  // the targets share one scratch folder per process
struct FuzzReplayTests {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    /// The regular files of `Tests/<folder>/<target>`, sorted (none when the folder does not exist).
    static func inputs(_ folder: String, _ target: FuzzTarget) -> [URL] {
        let directory = tests.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { directory.appendingPathComponent($0) }
    }

    /// Seeds named `broken-*` (invalid files) or `rejected-*` (valid files of the wrong kind) must be
    /// rejected, the others accepted: the corpus exercises what it claims to.
    @Test(arguments: FuzzTarget.allCases)
    func seedCorpus(_ target: FuzzTarget) throws {
        let seeds = Self.inputs("FuzzCorpus", target)
        #expect(seeds.count >= 2, "Tests/FuzzCorpus/\(target.rawValue) should hold seeds (make_corpus.py)")
        for seed in seeds {
            let error = target.run(try Data(contentsOf: seed))
            if seed.lastPathComponent.hasPrefix("broken-") || seed.lastPathComponent.hasPrefix("rejected-") {
                #expect(error != nil, "\(seed.lastPathComponent) should be rejected")
            } else {
                #expect(error == nil, "\(seed.lastPathComponent) should be accepted: \(String(describing: error))")
            }
        }
    }

    /// Inputs that once crashed, hung or exhausted memory: now each returns, and a rejection names the file.
    @Test(arguments: FuzzTarget.allCases)
    func crashRegressions(_ target: FuzzTarget) throws {
        for input in Self.inputs("FuzzRegressions", target) {
            let clock = ContinuousClock()
            let start = clock.now
            if let error = target.run(try Data(contentsOf: input)) {
                let message = String(describing: error)
                #expect(
                    message.contains("/"), "\(input.lastPathComponent): the message should name the file: \(message)")
            }
            #expect(clock.now - start < .seconds(10), "\(input.lastPathComponent) took too long")
        }
    }
}
