import CBLAS
import Dispatch
import Foundation

/// How to run the detectors.
public struct DetectorOptions: Sendable {
    /// The inputs the verdicts are about (default: the paper's box |x_j| ≤ 100).
    public var domain: InputDomain = .paperDefault
    /// Run batched braid reflect first (the paper's approximate algorithm).
    public var approximate = true
    /// The exact stage's program, or nil for none (then uncleared classes stay undecided).
    public var exact: ExactObjective? = .margin
    /// Braid-reflect steps per class before handing it to the exact stage.
    public var patience = 50
    /// Threads for the GEMMs and the linear programs (default: all cores).
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Close brackets that floating point cannot close with rational arithmetic wherever possible
    /// (always done for layers without bias and for unbounded domains, whose unargmaxable classes
    /// need it; this also evaluates witnesses exactly and covers margins of exactly 0 with a bias).
    public var exactArithmetic = false
    /// Competitors handed from the approximate to the exact stage per class.
    public var competitors = 48
    /// Decide only these classes (ascending, distinct); nil decides all. Every class of the layer
    /// still competes, so the verdicts are those of the whole layer.
    public var classes: [Int]?

    /// The defaults: braid reflect, then the margin LP, in the paper's box, on all cores.
    public init() {}
}

/// Progress events for a front end (the library never prints). Sent from several threads.
public struct DetectionProgress: Sendable {
    /// Which stage is running.
    public enum Stage: String, Sendable { case approximate, exact }
    /// The stage this event is about.
    public let stage: Stage
    /// Classes this stage has finished.
    public let done: Int
    /// Classes this stage has to do.
    public let total: Int
}

/// The combined detector (the paper's Figure 4): batched braid reflect clears most classes at GEMM
/// speed with certified witnesses; the exact stage decides the rest with witnesses or multipliers.
public enum UnargmaxableDetector {
    /// Validates the domain against the layer, then runs `detect`.
    public static func check(
        _ layer: SoftmaxLayer, options: DetectorOptions = DetectorOptions(),
        progress: (@Sendable (DetectionProgress) -> Void)? = nil
    ) throws(InputDomainError) -> ArgmaxabilityReport {
        try options.domain.validate(dimension: layer.dimension)
        return detect(layer, options: options, progress: progress)
    }

    /// Runs the detectors. The domain must be valid for the layer (see `InputDomain.validate`).
    public static func detect(
        _ layer: SoftmaxLayer, options: DetectorOptions = DetectorOptions(),
        progress: (@Sendable (DetectionProgress) -> Void)? = nil
    ) -> ArgmaxabilityReport {
        detect(
            layer, options: options, prepared: PreparedLayer(layer, threads: max(1, options.threads)),
            progress: progress)
    }

    /// `detect` with the per-layer preparation done once by the caller (chunked runs share it).
    static func detect(
        _ layer: SoftmaxLayer, options: DetectorOptions, prepared: PreparedLayer,
        progress: (@Sendable (DetectionProgress) -> Void)?
    ) -> ArgmaxabilityReport {
        do { try options.domain.validate(dimension: layer.dimension) } catch { preconditionFailure("\(error)") }
        let start = DispatchTime.now().uptimeNanoseconds
        let C = layer.classes
        let threads = max(1, options.threads)
        FixedPartitionGEMM.setThreads(threads)
        let errors = prepared.errors
        var results = (0..<C).map { ClassResult(index: $0, margin: .unknown, steps: 0, certificate: nil, stage: .none) }

        // Stage 1: braid reflect. Without it, one step (patience 0) still runs as part of the exact
        // stage: its GEMM proves every class that wins at some x = w_c (the exact stage's first
        // frame) and supplies each class's strongest competitors.
        var search = BraidReflectSearch(
            layer: layer, domain: options.domain, patience: options.approximate ? options.patience : 0,
            threads: threads, competitorCount: options.competitors, whitening: prepared.whitening)
        search.stopsWhenUnproductive = options.exact != nil
        search.storage = prepared.logitStorage
        search.gram = prepared.gram
        let selected = options.classes ?? Array(0..<C)
        precondition(selected.allSatisfy { (0..<C).contains($0) }, "selected classes outside the layer")
        var isSelected = [Bool](repeating: options.classes == nil, count: C)
        for c in selected { isSelected[c] = true }
        func report(_ done: Int) {
            if options.approximate {
                progress?(DetectionProgress(stage: .approximate, done: done, total: selected.count))
            }
        }
        var found: [BraidReflectSearch.Outcome]
        if let probed = probeInteriorHeavy(layer, options: options, selected: selected, search: search, errors: errors)
        {
            // Most classes lie inside the hull: the probe's by-catch seeds the frame, and the exact
            // stage's containment rounds settle the rest without a pass over all C classes each.
            found = probed
            report(selected.count)
        } else {
            found = search.run(classes: selected, errors: errors, progress: report)
        }
        // A cheap certified upper bound for every class with a witness: the runner-up alone (λ = e_j).
        // O(d) each, so in parallel (serially it was 4 % of a 32000-class check).
        var runnerUpBounds = [Double](repeating: .infinity, count: C)
        runnerUpBounds.withUnsafeMutableBufferPointer { bounds in
            nonisolated(unsafe) let bounds = bounds
            let (found, domain) = (found, options.domain)
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                for c in stride(from: worker, to: C, by: threads)
                where found[c].witness != nil && found[c].runnerUp >= 0 {
                    bounds[c] = RigorousBounds.multiplierUpperBound(
                        layer, class: c, indices: [found[c].runnerUp], weights: [1], domain: domain)
                }
            }
        }
        // Classes caught on the way that were not selected still join the frame.
        var pending: [Int] = [], frame: [Int] = []
        for c in 0..<C {
            if options.approximate { results[c].steps = found[c].steps }
            guard let witness = found[c].witness else {
                if isSelected[c] { pending.append(c) }
                continue
            }
            frame.append(c)
            results[c].margin.lower = found[c].lower
            results[c].certificate = .witness(witness.map(Double.init))
            results[c].stage = options.approximate ? .approximate : .exact
            if found[c].runnerUp >= 0 { results[c].margin.upper = runnerUpBounds[c] }
        }
        if !options.approximate && options.exact == nil {
            // Nothing may decide: the seeding step belongs to the exact stage.
            for c in frame {
                results[c] = ClassResult(index: c, margin: .unknown, steps: 0, certificate: nil, stage: .none)
            }
        }

        // Stage 2: exact.
        var exactSeconds: [Double] = []
        if let objective = options.exact, !pending.isEmpty {
            let useExact = options.exactArithmetic || !layer.hasBias || !options.domain.isBounded
            let stage = ExactStage(
                layer: layer, domain: options.domain, objective: objective, threads: threads, errors: errors,
                certifier: MultiplierCertifier(layer: layer, domain: options.domain, useExactArithmetic: useExact),
                exactWitnesses: options.exactArithmetic)
            let decisions = stage.run(pending: pending, frame: frame, hints: { found[$0].competitors }) { done, total in
                progress?(DetectionProgress(stage: .exact, done: done, total: total))
            }
            for c in 0..<C {
                guard let decision = decisions[c] else { continue }
                exactSeconds.append(decision.seconds)
                results[c].margin = decision.margin
                results[c].certificate = decision.verdictIsCertified ? decision.certificate : nil
                results[c].stage = results[c].verdict == .undecided ? .none : .exact
            }
        }
        FixedPartitionGEMM.setThreads(threads)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var report = ArgmaxabilityReport(
            classes: C, dimension: layer.dimension, hasBias: layer.hasBias,
            domain: options.domain, results: options.classes == nil ? results : selected.map { results[$0] },
            seconds: seconds)
        report.exactStageSeconds = exactSeconds
        return report
    }
}

extension UnargmaxableDetector {
    /// Classes a probe searches before deciding how to search the rest.
    static let probeSize = 256

    /// For layers where containment decides (no bias, 0 inside the domain): one braid-reflect step
    /// on `probeSize` classes spread evenly over the selection. When fewer than a quarter of them win at their own
    /// start, the layer is interior-heavy — most classes can never win, as in embeddings projected
    /// to a few dimensions — and a full search would spend a pass over all C logits per class to
    /// learn mostly that; then the probe's outcomes (its by-catch: classes that won somewhere are
    /// vertices of the hull) are returned to seed the frame. Nil: search every class as usual.
    /// The probe is a fixed function of the selection, so results stay deterministic.
    static func probeInteriorHeavy(
        _ layer: SoftmaxLayer, options: DetectorOptions, selected: [Int], search: BraidReflectSearch,
        errors: Float32LogitErrors
    ) -> [BraidReflectSearch.Outcome]? {
        guard options.approximate, options.exact == .margin, selected.count >= 4 * probeSize,
            ContainmentProgram.applies(to: layer, domain: options.domain)
        else { return nil }
        let probe = (0..<probeSize).map { selected[$0 * selected.count / probeSize] }  // spread over the selection
        var single = search
        single.patience = 0
        let found = single.run(classes: probe, errors: errors) { _ in }
        let winners = probe.filter { found[$0].witness != nil }.count
        return winners * 4 < probe.count ? found : nil
    }
}

extension ExactStage.Decision {
    /// A certificate is kept only for a decided verdict.
    var verdictIsCertified: Bool { margin.verdict != .undecided }
}

/// What the detectors compute once per layer: the logits' rounding-error bounds and the whitened
/// braid-reflect starts (O(C·d²), as much as the whole search on a large head if redone per chunk).
struct PreparedLayer {
    let errors: Float32LogitErrors
    let whitening: WhitenedStarts?
    /// The logits block, reused from chunk to chunk.
    let logitStorage = LogitStorage()
    /// The first steps' Gram products, shared by the chunks.
    let gram: GramFirstStep?

    init(_ layer: SoftmaxLayer, threads: Int) {
        let errors = Float32LogitErrors(layer)
        self.errors = errors
        whitening = WhitenedStarts(layer: layer, threads: threads, withGram: true)
        if let whitening {
            gram = whitening.gramFactors.flatMap { GramFirstStep(layer: layer, errors: errors, whitened: $0) }
        } else {
            gram = GramFirstStep(layer: layer, errors: errors)
        }
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
