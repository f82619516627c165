import ArgumentParser
import Dispatch
import Foundation
import RegionCounting

/// Benchmarks print times together with ratios against a baseline measured in the same run,
/// so numbers from noisy machines stay comparable.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the expensive operations against in-run baselines.",
        discussion: "Build in release mode first (`make bench` does): debug timings mean nothing."
    )

    enum Suite: String, ExpressibleByArgument, CaseIterable { case counting, all }

    @Option(help: "Which benchmarks to run: \(Suite.allCases.map(\.rawValue).joined(separator: ", ")).")
    var suite: Suite = .all

    @Flag(help: "Skip the largest shapes (Llama-3: |C| = 128256, d = 4096).")
    var quick = false

    func run() throws {
        if suite == .counting || suite == .all { benchCounting() }
    }

    func benchCounting() {
        print("== Exact region counts (\(ProcessInfo.processInfo.activeProcessorCount) cores) ==")
        // Baseline: the exact O(C·d) big-integer product, on a shape where it is still affordable.
        let baselineShape = (classes: 8000, dimension: 256)
        let baseline = seconds { _ = FeasibleRankings.count(classes: baselineShape.classes, dimension: baselineShape.dimension, bias: true, method: .closedForm) }
        let fastSame = seconds { _ = FeasibleRankings.count(classes: baselineShape.classes, dimension: baselineShape.dimension, bias: true, method: .multimodular) }
        print(String(format: "baseline exact product  C=%6d d=%4d  %8.3f s", baselineShape.classes, baselineShape.dimension, baseline))
        print(String(format: "multi-modular series    C=%6d d=%4d  %8.3f s   %6.1f× faster than the baseline", baselineShape.classes, baselineShape.dimension, fastSame, baseline / fastSame))
        var shapes = [(32000, 512)]
        if !quick { shapes.append((128256, 4096)) }
        for (classes, dimension) in shapes {
            for bias in [true, false] {
                var digits = 0
                let time = seconds { digits = FeasibleRankings.count(classes: classes, dimension: dimension, bias: bias).regions.decimalDigitCount }
                print(String(format: "count C=%6d d=%4d %@  %8.3f s   (%d-digit answer; %.2f× the baseline's time)",
                             classes, dimension, bias ? "bias   " : "no bias", time, digits, time / baseline))
            }
        }
    }

    func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
