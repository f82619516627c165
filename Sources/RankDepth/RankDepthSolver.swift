import Dispatch
import Synchronization
import ExactArithmetic
import Foundation
import LinearProgramming
import Unargmaxable

/// Settings of the rank-depth solver.
public struct DepthOptions: Sendable {
    /// The inputs the network can produce.
    public var domain: InputDomain = .paperDefault
    /// Stop a class once r_c ≥ maxK is proved (top-k sampling with k ≤ maxK can never emit it).
    public var maxK: Int? = nil
    /// Threads over classes.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Use smallest hitting sets of the proofs found (r_c exactly, with both certificates) while the
    /// supports span at most 64 classes and the enumeration stays small; otherwise, and when false, a
    /// greedy disjoint packing.
    public var exactHittingSets = true
    /// Seed the upper bound with the big-M mixed-integer program on layers with at most this many classes.
    public var mixedIntegerClassLimit = 64
    /// Generalised braid-reflect steps that try to lower the upper bound from the best input found.
    public var reflectSteps = 30
    /// Run the batched argmaxability detector first on layers with more classes than this.
    public var detectorThreshold = 512
    /// Only these classes (all when nil); every class still competes.
    public var classes: [Int]? = nil

    /// The defaults.
    public init() {}
}

/// The certified bracket lower ≤ r_c ≤ upper of one class, with its two certificates.
public struct ClassDepth: Sendable, Equatable {
    /// The class.
    public let index: Int
    /// The proof of the lower bound.
    public let lowerCertificate: DepthLowerCertificate
    /// The proof of the upper bound.
    public let witness: DepthWitness

    /// Certified r_c ≥ lower.
    public var lower: Int { lowerCertificate.bound }
    /// Certified r_c ≤ upper.
    public var upper: Int { witness.bound }
    /// True when the bracket is one number.
    public var isDecided: Bool { lower == upper }
    /// The smallest k for which top-k sampling can emit the class (r_c + 1), when r_c is known.
    public var topKReachableFrom: Int? { isDecided ? upper + 1 : nil }
}

/// Rank depth brackets of the classes of a layer.
public struct DepthReport: Sendable {
    /// Classes of the layer.
    public let classes: Int
    /// Features d.
    public let dimension: Int
    /// Whether the layer has a bias.
    public let hasBias: Bool
    /// The inputs considered.
    public let domain: InputDomain
    /// The `--max-k` cut-off, if any: classes stop once r_c ≥ maxK is proved.
    public let maxK: Int?
    /// One bracket per class.
    public let results: [ClassDepth]
    /// Wall-clock seconds.
    public let seconds: Double

    /// Number of classes per exact depth (decided classes only).
    public var histogram: [Int: Int] {
        results.filter(\.isDecided).reduce(into: [:]) { $0[$1.upper, default: 0] += 1 }
    }
}

/// Rank depth: r_c = min_{x∈X} |{i ≠ c : y_i(x) ≥ y_c(x)}|, the fewest classes that must score at least
/// as high as c. Upper bounds come from inputs (evaluated exactly or rigorously), lower bounds from
/// families of unargmaxability proofs that every input must hit (implicit hitting sets: the LP on the
/// layer without a smallest hitting set either yields an input beaten only inside it — then both
/// bounds meet — or a new proof whose support avoids it).
public enum RankDepthSolver {
    /// Rank depth brackets, each with its certificates, for the classes of `layer`.
    public static func solve(
        _ layer: SoftmaxLayer, options: DepthOptions = DepthOptions(), progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws(InputDomainError) -> DepthReport {
        try options.domain.validate(dimension: layer.dimension)
        let start = DispatchTime.now().uptimeNanoseconds
        let targets = options.classes ?? Array(0..<layer.classes)
        var cleared: [Int: DepthWitness] = [:]
        if layer.classes > options.detectorThreshold {
            var detector = DetectorOptions()
            detector.domain = options.domain
            detector.threads = options.threads
            detector.classes = targets
            let report = UnargmaxableDetector.detect(layer, options: detector)
            for r in report.results where r.verdict == .argmaxable {
                if case .witness(let x) = r.certificate,
                    let beaters = DepthEvaluation.beaters(layer, class: r.index, at: x, domain: options.domain),
                    beaters.isEmpty
                {
                    cleared[r.index] = DepthWitness(input: x, beaters: [])
                }
            }
        }
        let clearedClasses = cleared
        var results = [ClassDepth?](repeating: nil, count: targets.count)
        let counter = Mutex(0)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            let workers = max(1, min(options.threads, targets.count))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for k in stride(from: worker, to: targets.count, by: workers) {
                    let c = targets[k]
                    if let witness = clearedClasses[c] {
                        output[k] = ClassDepth(index: c, lowerCertificate: .none, witness: witness)
                    } else {
                        output[k] = depth(layer, class: c, options: options)
                    }
                    let done = counter.withLock { value in
                        value += 1
                        return value
                    }
                    progress?(done, targets.count)
                }
                LinearProgram.releaseThreadEnvironment()
            }
        }
        return DepthReport(
            classes: layer.classes, dimension: layer.dimension, hasBias: layer.hasBias, domain: options.domain,
            maxK: options.maxK, results: results.map { $0! },
            seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// The bracket of one class. The domain must be valid for the layer.
    public static func depth(_ layer: SoftmaxLayer, class c: Int, options: DepthOptions = DepthOptions()) -> ClassDepth
    {
        let C = layer.classes, d = layer.dimension, domain = options.domain
        let program = SubsetMarginProgram(layer: layer, domain: domain)
        let centre = domain.clipped(Array(repeating: 0, count: d))
        var best = DepthWitness(
            input: centre, beaters: DepthEvaluation.beaters(layer, class: c, at: centre, domain: domain) ?? [])
        func offer(_ x: [Double]?) -> [Int]? {
            guard let x, let beaters = DepthEvaluation.beaters(layer, class: c, at: x, domain: domain) else {
                return nil
            }
            if beaters.count < best.bound { best = DepthWitness(input: x, beaters: beaters) }
            return beaters
        }
        if C <= options.mixedIntegerClassLimit, let x = BigMDepthProgram.input(layer, class: c, domain: domain) {
            _ = offer(x)
        }
        var proofs: [UnargmaxabilityProof] = []
        var removed = [Bool](repeating: false, count: C)
        var hitting: [Int] = []  // the classes removed: a smallest hitting set (exact mode) or the union of supports
        var exactHitting = options.exactHittingSets
        var lowerKnown = 0  // certified by construction (verified at the end)
        for _ in 0..<(4 * C + 8) {
            if lowerKnown >= best.bound { break }
            if let maxK = options.maxK, lowerKnown >= maxK { break }
            let outcome = program.solve(class: c, allowed: removed.map { !$0 }, start: best.input)
            var proof: UnargmaxabilityProof? = nil
            switch outcome {
            case .input(let x):
                guard let beaters = offer(x), beaters.allSatisfy({ removed[$0] }) else { break }
            case let .proof(p, x):
                _ = offer(x)
                proof = p
            case .unknown(let x):
                _ = offer(x)
            }
            guard let proof else { break }
            proofs.append(proof)
            // With --max-k only hitting sets smaller than K matter: none that small proves r_c ≥ K.
            let limit = options.maxK.map { max(0, $0 - 1) } ?? C
            if exactHitting, let found = Transversal.smallest(proofs.map(\.support), atMost: limit, budget: 200_000) {
                guard let set = found else {
                    lowerKnown = limit + 1
                    break
                }
                hitting = set
                lowerKnown = set.count
            } else {
                exactHitting = false
                hitting += proof.support
                lowerKnown = max(lowerKnown, greedyDisjoint(proofs).count)
            }
            removed = [Bool](repeating: false, count: C)
            for i in hitting { removed[i] = true }
        }
        if best.bound > lowerKnown, options.reflectSteps > 0 {
            _ = offer(
                ReflectSearch.improve(layer, class: c, from: best.input, domain: domain, steps: options.reflectSteps))
        }
        let lower = lowerCertificate(
            proofs, layer: layer, class: c, domain: domain, exact: exactHitting,
            limit: options.maxK.map { max(0, $0 - 1) } ?? C)
        return ClassDepth(index: c, lowerCertificate: lower, witness: best)
    }

    /// The strongest lower bound the proofs give that also verifies exactly: a transversal (small
    /// families), a fractional packing by LP, or a greedy disjoint subfamily.
    static func lowerCertificate(
        _ proofs: [UnargmaxabilityProof], layer: SoftmaxLayer, class c: Int, domain: InputDomain, exact: Bool,
        limit: Int
    ) -> DepthLowerCertificate {
        guard !proofs.isEmpty else { return .none }
        var candidates: [DepthLowerCertificate] = []
        let disjoint = greedyDisjoint(proofs)
        candidates.append(DepthLowerCertificate(proofs: disjoint, kind: .disjoint, bound: disjoint.count))
        if let fractional = fractionalPacking(proofs) { candidates.append(fractional) }
        if exact,
            let τ = Transversal.minimumSize(
                proofs.map(\.support), atMost: limit, budget: DepthVerifier.transversalBudget)
        {
            candidates.append(DepthLowerCertificate(proofs: proofs, kind: .transversal, bound: τ))
        }
        for candidate in candidates.sorted(by: { $0.bound > $1.bound })
        where DepthVerifier.check(candidate, layer: layer, class: c, domain: domain) == nil {
            return candidate
        }
        return .none
    }

    /// A maximal family of pairwise disjoint supports, smallest supports first.
    static func greedyDisjoint(_ proofs: [UnargmaxabilityProof]) -> [UnargmaxabilityProof] {
        var used = Set<Int>()
        var chosen: [UnargmaxabilityProof] = []
        for proof in proofs.sorted(by: { $0.support.count < $1.support.count })
        where proof.support.allSatisfy({ !used.contains($0) }) {
            chosen.append(proof)
            used.formUnion(proof.support)
        }
        return chosen
    }

    /// max Σα_k s.t. Σ_{k∋i} α_k ≤ 1 by LP, rounded down to exact multiples of 2⁻³⁰ and scaled so
    /// no class is covered more than once.
    static func fractionalPacking(_ proofs: [UnargmaxabilityProof]) -> DepthLowerCertificate? {
        let classes = Array(Set(proofs.flatMap(\.support))).sorted()
        guard proofs.count >= 2, let lp = try? LinearProgram(columns: proofs.count, direction: .maximize) else {
            return nil
        }
        do {
            try lp.setObjective(Array(repeating: 1, count: proofs.count))
            for k in proofs.indices { try lp.setColumnBound(k, .range(0, 1)) }
            for i in classes {
                let row = proofs.map { $0.support.contains(i) ? 1.0 : 0.0 }
                try lp.addRow(row, .upper(1))
            }
        } catch { return nil }
        let solution = lp.solve(method: .primalSimplex)
        guard solution.status == .optimal else { return nil }
        let scale = Rational(BigInt(1).shiftedLeft(30))
        var α = solution.primal.map { value -> Rational in
            let clamped = min(max(value, 0), 1)
            return Rational(BigInt(exactly: (clamped * 0x1p30).rounded(.down))!) / scale
        }
        var worst = Rational(0)
        for i in classes {
            let cover = proofs.indices.reduce(Rational(0)) { $0 + (proofs[$1].support.contains(i) ? α[$1] : 0) }
            if worst < cover { worst = cover }
        }
        if Rational(1) < worst { α = α.map { $0 / worst } }
        let total = α.reduce(Rational(0), +)
        guard total.signum > 0 else { return nil }
        // ⌈total⌉ = floor(total) + (fraction > 0 ? 1 : 0).
        let floor = total.numerator / total.denominator
        let bound = (Rational(floor) == total ? floor : floor + BigInt(1)).intValue ?? 0
        return DepthLowerCertificate(proofs: proofs, kind: .fractional(α), bound: bound)
    }
}
