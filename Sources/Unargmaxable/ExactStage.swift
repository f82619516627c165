import Dispatch

/// The exact stage: decides the classes the search left, each with a certificate.
///
/// **Frame rounds** (margin objective). The classes already proven argmaxable form the frame F.
/// Every pending class is solved against F alone with `FrameProgram` (one program per chunk of
/// classes, warm solves): an optimum ≤ 0 proves the class unargmaxable with multipliers on F; an
/// optimum > 0 gives the x where it beats all of F, and the x's of all pending classes are checked
/// against every class with one GEMM per block. There either the class itself wins (a witness) or
/// another class does — certified, that class is argmaxable and joins F for the next round. This
/// is Clarkson's output-sensitive scheme for extreme points: the LPs stay of size |F|, and
/// interior classes — 95 % of some layers in low dimension — are settled in one round each.
///
/// **Per-class programs** (`MarginProgram`: constraint generation over all classes) for what the
/// rounds leave: the Chebyshev objective, frames too large for one program, and classes whose
/// margin floating point cannot settle (ties, margins of exactly 0 that need GLPK's exact simplex).
///
/// Work is split into fixed chunks in a fixed order, so results do not depend on the thread count.
struct ExactStage {
    let layer: SoftmaxLayer
    let domain: InputDomain
    let objective: ExactObjective
    let threads: Int
    let errors: Float32LogitErrors
    let certifier: MultiplierCertifier
    let exactWitnesses: Bool
    /// With `FrameProgram`, frame rounds pay when many classes are pending for the frame's size
    /// (interior-heavy layers); a few stragglers against a large frame are cheaper as small per-class
    /// programs (containment's d + 1 rows always pay), whose
    /// constraint generation touches only the competitive rows (measured: 194 pending classes
    /// against a 9806-class frame, U(−1,1), d = 16, took 9.3 s in frame rounds).
    let frameRatio = 4
    /// Classes per frame program.
    let chunkSize = 64
    let maxFrameRounds = 100
    /// The frame program is used while |F|·(d + 1) stays below this many coefficients.
    let frameBudget = 1 << 22

    struct Decision {
        var margin: MarginBracket
        var certificate: Certificate?
        /// Seconds spent on this class (filled in by `run`).
        var seconds = 0.0
    }

    /// Decides `pending` (ascending class indices) given the certified argmaxable classes `frame`;
    /// `hints(c)` are competitors worth starting c's own program with. One decision per class of
    /// the layer (nil where not pending).
    func run(pending: [Int], frame: [Int], hints: (Int) -> [Int], progress: (Int, Int) -> Void) -> [Decision?] {
        var decisions = [Decision?](repeating: nil, count: layer.classes)
        var seconds = [Double](repeating: 0, count: layer.classes)
        let total = pending.count
        var pending = pending
        var fallback: [Int] = []
        var extraHints: [Int: [Int]] = [:]
        if objective == .margin {
            var frameSet = Set(frame)
            var round = 0
            while !pending.isEmpty, round < maxFrameRounds, !frameSet.isEmpty,
                frameSet.count * (layer.dimension + 1) <= frameBudget,
                containment || pending.count * frameRatio >= frameSet.count
            {
                round += 1
                let solved: [FrameResult]
                if containment {
                    let program = ContainmentProgram(
                        layer: layer, frame: frameSet.sorted(), domain: domain, internalRadius: internalRadius)
                    solved = solve(pending, with: program.solve(chunk:), seconds: &seconds)
                } else {
                    let program = FrameProgram(
                        layer: layer, frame: frameSet.sorted(), domain: domain, internalRadius: internalRadius)
                    solved = solve(pending, with: program.solve(chunk:), seconds: &seconds)
                }
                var points: [(owner: Int, x: [Float])] = []
                var pointOf = [Int](repeating: -1, count: pending.count)
                // Checking a candidate x costs a pass over all C classes, a containment solve only
                // |F|·(d + 1) per pivot: while the frame is still small, most candidates just lack
                // frame classes that the first few checks find, so only so many are checked per round
                // and the rest are solved again against the grown frame (Clarkson's scheme).
                let checks = containment ? max(256, frameSet.count) : Int.max
                var candidates = 0
                for (k, result) in solved.enumerated() {
                    switch result {
                    case .unargmaxable(_, let x?):
                        pointOf[k] = points.count
                        points.append((pending[k], x))
                    case .candidate(let x, _):
                        candidates += 1
                        guard candidates <= checks else { continue }
                        pointOf[k] = points.count
                        points.append((pending[k], x))
                    default: break
                    }
                }
                let scans = evaluate(points)
                var next: [Int] = [], joining = Set<Int>()
                for (k, c) in pending.enumerated() where decisions[c] == nil {
                    switch solved[k] {
                    case let .unargmaxable(result, x):
                        // Without a point (contained, no bias) the margin is attained at x = 0, where every
                        // logit is 0: exactly 0.
                        let lower = x == nil ? 0 : scans[pointOf[k]].ownerMargin
                        decisions[c] = Decision(
                            margin: MarginBracket(lower: lower, upper: result.upper), certificate: result.certificate)
                    case let .candidate(x, upper):
                        guard pointOf[k] >= 0 else {  // not checked this round
                            next.append(c)
                            continue
                        }
                        let scan = scans[pointOf[k]]
                        if scan.ownerMargin > 0 {
                            let upper =
                                upper.isFinite
                                ? upper
                                : RigorousBounds.multiplierUpperBound(
                                    layer, class: c, indices: [scan.runnerUp], weights: [1], domain: domain)
                            decisions[c] = Decision(
                                margin: MarginBracket(lower: scan.ownerMargin, upper: upper),
                                certificate: .witness(x.map(Double.init)))
                            joining.insert(c)
                            continue
                        }
                        // Another class wins at x: proven argmaxable there, it joins the frame.
                        let a = scan.argmax
                        guard a != c, !frameSet.contains(a), scan.argmaxMargin > 0 else {
                            extraHints[c, default: []].append(contentsOf: [a, scan.runnerUp])
                            fallback.append(c)
                            continue
                        }
                        if decisions[a] == nil {
                            let upperOfA = RigorousBounds.multiplierUpperBound(
                                layer, class: a, indices: [scan.argmaxRunnerUp], weights: [1], domain: domain)
                            decisions[a] = Decision(
                                margin: MarginBracket(lower: scan.argmaxMargin, upper: upperOfA),
                                certificate: .witness(x.map(Double.init)))
                        }
                        joining.insert(a)
                        next.append(c)
                    case .unresolved(let support):
                        extraHints[c, default: []].append(contentsOf: support)
                        fallback.append(c)
                    case .failed:
                        fallback.append(c)
                    }
                }
                pending = next.filter { decisions[$0] == nil }
                frameSet.formUnion(joining)
                progress(total - pending.count - fallback.count, total)
                if joining.isEmpty && candidates <= checks { break }
            }
        }
        fallback = (fallback + pending).filter { decisions[$0] == nil }  // by-catch may have settled some
        fallback.sort()
        let settled = total - fallback.count
        let perClass = solveEach(fallback, hints: { hints($0) + (extraHints[$0] ?? []) }) { done in
            progress(settled + done, total)
        }
        for (c, decision) in zip(fallback, perClass) {
            decisions[c] = decision
            decisions[c]!.seconds += seconds[c]
        }
        let fellBack = Set(fallback)
        for c in 0..<layer.classes where decisions[c] != nil && !fellBack.contains(c) {
            decisions[c]!.seconds = seconds[c]
        }
        return decisions
    }

    // MARK: Frame rounds

    enum FrameResult {
        /// Certified by multipliers on the frame; x is where c came closest (for the lower bound).
        /// (nil when the class was found inside the frame's hull and the layer has no bias: its margin
        /// is exactly 0, attained at x = 0.)
        case unargmaxable(MultiplierCertifier.Result, x: [Float]?)
        /// c beats every frame class at x (in the domain); `upper` bounds its margin.
        case candidate(x: [Float], upper: Double)
        /// Optimum near 0 that floating point could not settle; the multipliers' support.
        case unresolved(support: [Int])
        case failed
    }

    /// The box used for the frame program when the domain is unbounded: witnesses found in it are
    /// witnesses in R^d, and multipliers are re-checked exactly for R^d. Without a bias the regions
    /// are cones and any box around 0 decides; with a bias a box well beyond the layer's scale.
    var internalRadius: Double {
        guard layer.hasBias else { return 1 }
        let meanNorm = errors.norms.reduce(0, +) / Double(max(1, layer.classes))
        return 1e4 * (1 + (meanNorm > 0 ? errors.maxAbsBias / meanNorm : errors.maxAbsBias))
    }

    /// No bias and 0 inside the domain: unargmaxable means w_c in the hull of the other rows, decided by
    /// `ContainmentProgram`, and every unargmaxable class has margin exactly 0 (at x = 0).
    var containment: Bool { ContainmentProgram.applies(to: layer, domain: domain) }
    /// No bias and 0 inside the domain (any d): an unargmaxable class's margin is exactly 0, at x = 0.
    var marginZeroAtOrigin: Bool { !layer.hasBias && domain.containsOriginInInterior }

    /// Optimal values within this of 0 go to certification rather than to a witness check.
    var tolerance: Double {
        var extent = 0.0
        for j in 0..<layer.dimension {
            let l = domain.lower(j) ?? -internalRadius, u = domain.upper(j) ?? internalRadius
            extent += max(l * l, u * u)
        }
        return 1e-9 * (errors.maxNorm * extent.squareRoot() + errors.maxAbsBias)
    }

    private func solve(
        _ classes: [Int], with program: @Sendable ([Int]) -> [FrameProgram.Solution?], seconds: inout [Double]
    ) -> [FrameResult] {
        var results = [FrameResult](repeating: .failed, count: classes.count)
        var times = [Double](repeating: 0, count: classes.count)
        defer { for (k, c) in classes.enumerated() { seconds[c] += times[k] } }
        let chunks = (classes.count + chunkSize - 1) / chunkSize
        let workers = max(1, min(threads, chunks))
        let tolerance = tolerance
        results.withUnsafeMutableBufferPointer { buffer in
            times.withUnsafeMutableBufferPointer { timeBuffer in
                nonisolated(unsafe) let (output, time) = (buffer, timeBuffer)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for chunk in stride(from: worker, to: chunks, by: workers) {
                        let range = (chunk * chunkSize)..<min(classes.count, (chunk + 1) * chunkSize)
                        let start = DispatchTime.now().uptimeNanoseconds
                        let solutions = program(Array(classes[range]))
                        // A chunk shares one program (warm solves): its time is shared evenly.
                        let share = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(range.count)
                        for (k, solution) in zip(range, solutions) {
                            let begin = DispatchTime.now().uptimeNanoseconds
                            output[k] = classify(classes[k], solution, tolerance: tolerance)
                            time[k] = share + Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
                        }
                    }
                }
            }
        }
        return results
    }

    private func classify(_ c: Int, _ solution: FrameProgram.Solution?, tolerance: Double) -> FrameResult {
        guard let solution else { return .failed }
        var x = solution.x.map { Float($0) }
        domain.clip(&x)
        if solution.value > tolerance {
            let upper =
                solution.indices.isEmpty
                ? Double.infinity
                : RigorousBounds.multiplierUpperBound(
                    layer, class: c, indices: solution.indices, weights: solution.weights, domain: domain)
            return .candidate(x: x, upper: upper)
        }
        let certified = certifier.certify(class: c, indices: solution.indices, weights: solution.weights)
        guard certified.certificate != nil else {
            return .unresolved(
                support: MultiplierCertifier.cleaned(indices: solution.indices, weights: solution.weights).indices)
        }
        return .unargmaxable(certified, x: marginZeroAtOrigin ? nil : x)
    }

    /// Logits at many points (each with its owner class), one GEMM per block.
    private func evaluate(_ points: [(owner: Int, x: [Float])]) -> [LogitScan] {
        guard !points.isEmpty else { return [] }
        let d = layer.dimension
        var block = LogitBlock(layer: layer, errors: errors, threads: threads, inputs: points.count)
        var scans: [LogitScan] = []
        scans.reserveCapacity(points.count)
        var start = 0
        while start < points.count {
            let rows = min(block.capacity, points.count - start)
            var inputs = [Float](repeating: 0, count: rows * d)
            for r in 0..<rows { inputs.replaceSubrange((r * d)..<((r + 1) * d), with: points[start + r].x) }
            scans += block.scan(inputs: inputs, rows: rows, owners: points[start..<(start + rows)].map(\.owner))
            start += rows
        }
        return scans
    }

    // MARK: Per-class programs

    private func solveEach(_ classes: [Int], hints: (Int) -> [Int], progress: (Int) -> Void) -> [Decision] {
        guard !classes.isEmpty else { return [] }
        let program = MarginProgram(
            layer: layer, domain: domain, objective: objective, certifier: certifier, exactWitnesses: exactWitnesses)
        let workingSets = classes.map(hints)
        var outcomes = [Decision](repeating: Decision(margin: .unknown, certificate: nil), count: classes.count)
        let counter = ProgressCounter()
        let workers = max(1, min(threads, classes.count))
        withoutActuallyEscaping(progress) { progress in
            nonisolated(unsafe) let progress = progress
            outcomes.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let output = buffer
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for k in stride(from: worker, to: classes.count, by: workers) {
                        let start = DispatchTime.now().uptimeNanoseconds
                        let outcome = program.solve(class: classes[k], workingSet: workingSets[k])
                        output[k] = Decision(
                            margin: outcome.margin, certificate: outcome.certificate,
                            seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                        progress(counter.increment())
                    }
                }
            }
        }
        return outcomes
    }
}
