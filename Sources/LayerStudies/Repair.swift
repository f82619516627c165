import LayerFormats
import Unargmaxable

/// How `Repair` makes an unargmaxable class argmaxable.
public enum RepairMethod: String, Sendable, CaseIterable {
    /// Raise the class's bias by its certified deficit (a layer without bias gains one).
    case bias
    /// Scale the class's weight row by the smallest factor s > 1 found by certified bisection
    /// (layers without bias only).
    case norm
}

/// How to repair a layer.
public struct RepairOptions: Sendable {
    /// Raise biases (`.bias`) or scale rows (`.norm`).
    public var method: RepairMethod = .bias
    /// Domain, threads and the other detector settings used for every (re-)check. The exact stage
    /// is always the margin LP: its bracket is what the bias raise is computed from.
    public var detector = DetectorOptions()
    /// The safety margin δ. Bias: each raise is −lower + δ·max(|lower|, 1), where lower is the
    /// certified lower end of the class's margin bracket. Norm: the bisection stops when the
    /// certified argmaxable and certified unargmaxable scales are within a factor (1 + δ).
    public var margin = 1e-3
    /// Rounds of raise-and-re-check before giving up (a raised class can swallow a neighbour,
    /// which is raised in the next round).
    public var maximumRounds = 25

    /// The defaults: bias method, paper box, default margin and rounds.
    public init() {}
}

/// What changed for one class.
public struct RepairChange: Sendable, Equatable {
    /// The class.
    public let index: Int
    /// The class's certified margin bracket before its first change.
    public let bracket: MarginBracket
    /// Bias before and after (0 before when the file had no bias). Equal for `--method norm`.
    public let oldBias: Double
    /// The bias after repair.
    public let newBias: Double
    /// Factor the weight row was multiplied by (1 for `--method bias`).
    public let scale: Double
    /// Norm: the largest scale certified unargmaxable in the last bisection (the answer lies in
    /// (scaleUnargmaxable, scale]); nil for the bias method or when no step was certified.
    public let scaleUnargmaxable: Double?
    /// How many rounds changed this class.
    public let raises: Int
}

/// Classes with exactly the same weight row: with equal weights the copy with the larger bias
/// wins everywhere, so at most one of them can ever be argmaxable, whatever the biases.
public struct DuplicateConflict: Sendable, Equatable {
    /// The copy the repair targets (largest bias, then lowest index).
    public let kept: Int
    /// The other copies: left unargmaxable, and reported as impossible to fix by this repair.
    public let others: [Int]
}

/// The outcome of `Repair.run`: the repaired layer, both reports, and what changed.
public struct RepairResult: Sendable {
    /// The method used.
    public let method: RepairMethod
    /// The repaired layer.
    public let repaired: SoftmaxLayer
    /// Whether the input layer had a bias (when not, the bias method gives it one).
    public let inputHadBias: Bool
    /// The certified check of the input layer.
    public let before: ArgmaxabilityReport
    /// The certified re-check of the repaired layer.
    public let after: ArgmaxabilityReport
    /// Every class whose bias or row changed.
    public let changes: [RepairChange]
    /// Exact duplicate rows: at most one copy of each can be argmaxable.
    public let conflicts: [DuplicateConflict]
    /// Rows of zeros cannot be scaled out of the hull (norm method).
    public let zeroRows: [Int]
    /// Repair-and-recheck rounds run.
    public let rounds: Int

    /// Classes that are not certified argmaxable after the repair although it tried (excludes the
    /// duplicate copies in `conflicts`).
    public var unfixed: [Int] {
        let excused = Set(conflicts.flatMap(\.others))
        return after.results.filter { $0.verdict != .argmaxable && !excused.contains($0.index) }.map(\.index)
    }

    /// Classes argmaxable before but not after (must be empty for a successful repair).
    public var newlyUnargmaxable: [Int] {
        zip(before.results, after.results).filter { $0.verdict == .argmaxable && $1.verdict != .argmaxable }
            .map { $0.0.index }
    }

    /// Σ |new bias − old bias| over the changed classes.
    public var totalBiasChange: Double { changes.reduce(0) { $0 + abs($1.newBias - $1.oldBias) } }

    /// Every class is certified argmaxable except the reported duplicate copies.
    public var succeeded: Bool { unfixed.isEmpty && newlyUnargmaxable.isEmpty }

    /// The repaired layer as arrays for `LayerArrays.writeNPZ`.
    public func arrays() throws -> LayerArrays {
        try LayerArrays(weights: repaired.weights, bias: repaired.bias, source: "repaired layer")
    }
}

/// Makes every unargmaxable class of a layer argmaxable, with certified checks at every step.
///
/// Bias method: class c's margin m_c (the best achievable min_i y_c − y_i) grows by exactly Δ when
/// b_c grows by Δ, and the detector certifies lower ≤ m_c ≤ upper ≤ 0. Raising b_c by
/// −lower + δ·max(|lower|, 1) therefore makes m_c ≥ δ·max(|lower|, 1) > 0, while raising it by only
/// −upper leaves m_c ≤ 0 (the bracket's width is the slack). The new bias is rounded up to Float32.
/// Every class is then re-checked, since a raised class can swallow a neighbour, which the next
/// round raises in turn.
public enum Repair {
    /// Repairs `layer` by `options.method`, re-checking with certificates after each round
    /// until every class is argmaxable or the rounds run out.
    public static func run(_ layer: SoftmaxLayer, options: RepairOptions = RepairOptions()) throws -> RepairResult {
        var detector = options.detector
        detector.exact = .margin
        detector.classes = nil
        try detector.domain.validate(dimension: layer.dimension)
        guard options.margin > 0, options.margin.isFinite else {
            throw StudyError("--margin", "the safety margin must be a positive number (got \(options.margin))")
        }
        switch options.method {
        case .bias: return biasRepair(layer, detector: detector, options: options)
        case .norm:
            guard !layer.hasBias else {
                throw StudyError(
                    "--method norm", "scales weight rows of layers without bias; this layer has one (use --method bias)"
                )
            }
            return normRepair(layer, detector: detector, options: options)
        }
    }

    /// Decides every class; classes floating point leaves undecided (a margin of exactly 0, as a
    /// repair that raised a bias by exactly the deficit would make) are decided again with exact
    /// rational arithmetic.
    static func check(_ layer: SoftmaxLayer, _ options: DetectorOptions) -> ArgmaxabilityReport {
        let report = UnargmaxableDetector.detect(layer, options: options)
        guard report.count(.undecided) > 0, !options.exactArithmetic else { return report }
        var exact = options
        exact.exactArithmetic = true
        return UnargmaxableDetector.detect(layer, options: exact)
    }

    /// Groups of classes with bit-identical weight rows (−0 and +0 equal), each sorted.
    public static func duplicateRows(_ weights: FloatMatrix) -> [[Int]] {
        var groups: [[UInt32]: [Int]] = [:]
        for i in 0..<weights.rows {
            let key = weights.row(i).map { $0 == 0 ? 0 : $0.bitPattern }
            groups[key, default: []].append(i)
        }
        return groups.values.filter { $0.count > 1 }.sorted { $0[0] < $1[0] }
    }

    static func conflicts(_ layer: SoftmaxLayer) -> [DuplicateConflict] {
        duplicateRows(layer.weights).map { group in
            let bias = { (i: Int) -> Float in layer.bias?[i] ?? 0 }
            let kept = group.max { bias($0) < bias($1) || (bias($0) == bias($1) && $0 > $1) }!
            return DuplicateConflict(kept: kept, others: group.filter { $0 != kept })
        }
    }

    /// The smallest Float32 ≥ x.
    static func floatAtLeast(_ x: Double) -> Float {
        let f = Float(x)
        return Double(f) < x ? f.nextUp : f
    }

    private static func biasRepair(_ layer: SoftmaxLayer, detector: DetectorOptions, options: RepairOptions)
        -> RepairResult
    {
        let conflicts = conflicts(layer)
        let excused = Set(conflicts.flatMap(\.others))
        let original = layer.bias ?? [Float](repeating: 0, count: layer.classes)
        var bias = original
        var current = layer
        let before = check(layer, detector)
        var report = before
        var firstBracket: [Int: MarginBracket] = [:]
        var raises: [Int: Int] = [:]
        var rounds = 0
        while rounds < options.maximumRounds {
            let targets = report.results.filter { $0.verdict == .unargmaxable && !excused.contains($0.index) }
            // Undecided classes have no certified deficit: stop and report them as unfixed.
            guard !targets.isEmpty, report.count(.undecided) == 0 else { break }
            rounds += 1
            for result in targets {
                let c = result.index
                let deficit = result.margin.lower.isFinite ? -result.margin.lower : -result.margin.upper
                let raise = deficit + options.margin * max(abs(deficit), 1)
                bias[c] = floatAtLeast(Double(bias[c]) + raise)
                if firstBracket[c] == nil { firstBracket[c] = result.margin }
                raises[c, default: 0] += 1
            }
            current = try! SoftmaxLayer(weights: layer.weights, bias: bias)
            report = check(current, detector)
        }
        let changes = firstBracket.keys.sorted().map { c in
            RepairChange(
                index: c, bracket: firstBracket[c]!, oldBias: Double(original[c]), newBias: Double(bias[c]), scale: 1,
                scaleUnargmaxable: nil, raises: raises[c] ?? 0)
        }
        return RepairResult(
            method: .bias, repaired: current, inputHadBias: layer.hasBias, before: before, after: report,
            changes: changes, conflicts: conflicts, zeroRows: [], rounds: rounds)
    }

    private static func normRepair(_ layer: SoftmaxLayer, detector: DetectorOptions, options: RepairOptions)
        -> RepairResult
    {
        let conflicts = conflicts(layer)
        let excused = Set(conflicts.flatMap(\.others))
        let C = layer.classes, d = layer.dimension
        var weights = layer.weights.values
        let before = check(layer, detector)
        var report = before
        var changes: [Int: (bracket: MarginBracket, scale: Double, below: Double?, raises: Int)] = [:]
        var zeroRows: Set<Int> = []
        var rounds = 0

        /// The verdict for class c with its row scaled by s (every class competes).
        func verdict(_ c: Int, _ s: Double, base: [Float]) -> Verdict {
            var scaled = weights
            for j in 0..<d { scaled[c * d + j] = Float(Double(base[j]) * s) }
            guard let candidate = try? SoftmaxLayer(weights: scaled, classes: C, dimension: d) else {
                return .undecided
            }
            var one = detector
            one.classes = [c]
            return UnargmaxableDetector.detect(candidate, options: one).results[0].verdict
        }

        while rounds < options.maximumRounds {
            let targets = report.results.filter {
                $0.verdict == .unargmaxable && !excused.contains($0.index) && !zeroRows.contains($0.index)
            }
            guard !targets.isEmpty, report.count(.undecided) == 0 else { break }
            rounds += 1
            for result in targets {
                let c = result.index
                let base = Array(weights[(c * d)..<((c + 1) * d)])
                if base.allSatisfy({ $0 == 0 }) {
                    zeroRows.insert(c)
                    continue
                }
                // Grow until certified argmaxable, then bisect between the certified verdicts.
                var low = 1.0, high = 2.0
                var certifiedLow: Double? = result.verdict == .unargmaxable ? 1 : nil
                var found = false
                while high < 0x1p40 {
                    let v = verdict(c, high, base: base)
                    if v == .argmaxable {
                        found = true
                        break
                    }
                    if v == .unargmaxable { certifiedLow = high }
                    low = high
                    high *= 2
                }
                guard found else { continue }
                while high - low > options.margin * low {
                    let middle = (low + high) / 2
                    switch verdict(c, middle, base: base) {
                    case .argmaxable: high = middle
                    case .unargmaxable:
                        low = middle
                        certifiedLow = middle
                    case .undecided: low = middle
                    }
                }
                for j in 0..<d { weights[c * d + j] = Float(Double(base[j]) * high) }
                let previous = changes[c]
                changes[c] = (
                    previous?.bracket ?? result.margin, (previous?.scale ?? 1) * high,
                    certifiedLow.map { $0 * (previous?.scale ?? 1) }, (previous?.raises ?? 0) + 1
                )
            }
            let current = try! SoftmaxLayer(weights: weights, classes: C, dimension: d)
            report = check(current, detector)
        }
        let repaired = try! SoftmaxLayer(weights: weights, classes: C, dimension: d)
        return RepairResult(
            method: .norm, repaired: repaired, inputHadBias: false, before: before, after: report,
            changes: changes.keys.sorted().map { c in
                let change = changes[c]!
                return RepairChange(
                    index: c, bracket: change.bracket, oldBias: 0, newBias: 0, scale: change.scale,
                    scaleUnargmaxable: change.below, raises: change.raises)
            }, conflicts: conflicts, zeroRows: zeroRows.sorted(), rounds: rounds)
    }
}
