import CBLAS
import Dispatch
import Foundation

/// How to run the detectors.
public struct DetectorOptions: Sendable {
    public var domain: InputDomain = .paperDefault
    /// Run batched braid reflect first (the paper's approximate algorithm).
    public var approximate = true
    /// The exact stage's program, or nil for none (then uncleared classes stay undecided).
    public var exact: ExactObjective? = .margin
    /// Braid-reflect steps per class before handing it to the exact stage.
    public var patience = 50
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Close undecided brackets with rational arithmetic wherever possible.
    public var exactArithmetic = false
    /// Competitors handed from the approximate to the exact stage per class.
    public var competitors = 48

    public init() {}
}

/// Progress events for a front end (the library never prints).
public struct DetectionProgress: Sendable {
    public enum Stage: String, Sendable { case approximate, exact }
    public let stage: Stage
    public let done: Int
    public let total: Int
}

/// The combined detector (the paper's Figure 4): batched braid reflect clears most classes at GEMM
/// speed with certified witnesses; the exact LP decides the rest with witnesses or multipliers.
public enum UnargmaxableDetector {
    public static func detect(_ layer: SoftmaxLayer, options: DetectorOptions = DetectorOptions(),
                              progress: (@Sendable (DetectionProgress) -> Void)? = nil) -> ArgmaxabilityReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let C = layer.classes
        let threads = max(1, options.threads)
        openblas_set_num_threads(Int32(threads))
        var results = (0..<C).map { ClassResult(index: $0, margin: .unknown, steps: 0, certificate: nil, stage: .none) }

        // Stage 1: braid reflect (with patience 0 when only the exact stage is wanted: its one GEMM
        // still supplies each class's strongest competitors as the LP's first working set).
        let search = BraidReflectSearch(layer: layer, domain: options.domain, patience: options.approximate ? options.patience : 0,
                                        threads: threads, competitorCount: options.competitors)
        let outcomes = search.run(classes: Array(0..<C)) { done in
            progress?(DetectionProgress(stage: .approximate, done: done, total: C))
        }
        var remaining: [Int] = []
        for (c, outcome) in outcomes.enumerated() {
            if options.approximate {
                results[c].steps = outcome.steps
                if let witness = outcome.witness {
                    results[c].margin.lower = outcome.lower
                    results[c].certificate = .witness(witness.map(Double.init))
                    results[c].stage = .approximate
                    // A cheap certified upper bound: the runner-up alone (λ = e_j).
                    if outcome.runnerUp >= 0 {
                        results[c].margin.upper = RigorousBounds.multiplierUpperBound(layer, class: c, indices: [outcome.runnerUp], weights: [1], domain: options.domain)
                    }
                    continue
                }
            }
            remaining.append(c)
        }

        // Stage 2: exact programs, independent per class, spread over the threads. Each class's
        // computation is deterministic, so results do not depend on the thread count.
        if let objective = options.exact, !remaining.isEmpty {
            let remaining = remaining
            openblas_set_num_threads(1)  // no nested oversubscription while our own threads run
            let program = MarginProgram(layer: layer, domain: options.domain, objective: objective, exactArithmetic: options.exactArithmetic)
            let exactResults = UnsafeMutableBufferPointer<MarginProgram.Outcome>.allocate(capacity: remaining.count)
            exactResults.initialize(repeating: MarginProgram.Outcome())
            defer { exactResults.deallocate() }
            nonisolated(unsafe) let output = exactResults
            let counter = ProgressCounter()
            let workers = min(threads, remaining.count)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for k in stride(from: worker, to: remaining.count, by: workers) {
                    let c = remaining[k]
                    output[k] = program.solve(class: c, workingSet: outcomes[c].competitors)
                    let done = counter.increment()
                    progress?(DetectionProgress(stage: .exact, done: done, total: remaining.count))
                }
            }
            for (k, c) in remaining.enumerated() {
                results[c].margin = exactResults[k].margin
                results[c].certificate = exactResults[k].certificate
                results[c].stage = results[c].verdict == .undecided ? .none : .exact
            }
            openblas_set_num_threads(Int32(threads))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return ArgmaxabilityReport(classes: C, dimension: layer.dimension, hasBias: layer.hasBias,
                                   domain: options.domain, results: results, seconds: seconds)
    }
}

/// A thread-safe counter for progress reports.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
