/// The paper's approximate detector (braid reflect, Algorithm 2), batched: a block of candidate
/// inputs, one per class, advances together; each step computes all their logits with one
/// `cblas_sgemm`, and every row either certifies its class argmaxable or reflects its input across
/// the braid hyperplane of (c, argmax). Finished rows are replaced by new classes at once, so every
/// GEMM stays full; memory is one block of logits (never C × C). Inputs are kept inside the domain
/// (clipped after every reflection), so every witness found is a witness in the domain.
///
/// Every row also certifies its *argmax*: when class c's candidate input x is won by class a with a
/// certified margin, x is a witness for a. Classes caught this way are not searched themselves.
/// For layers where most classes are interior this finds the frame (the argmaxable classes) at the
/// price of the interior classes' search, which the exact stage then only has to compare against.
///
/// Certification uses the GEMM's own Float32 output with the rigorous bound of
/// `Float32LogitErrors`, so a certified witness needs no second evaluation.
struct BraidReflectSearch {
    struct Outcome: Sendable {
        /// GEMM rows spent on the class's own search (0 if it was caught by another class's search).
        var steps = 0
        /// A certified witness and its certified margin lower bound, when found.
        var witness: [Float]? = nil
        var lower = -Double.infinity
        /// The strongest competitor at the witness (for a cheap upper bound), or at the end.
        var runnerUp = -1
        /// Classes that beat c during the search, then the top competitors of the last step.
        var competitors: [Int] = []
    }

    let layer: SoftmaxLayer
    let domain: InputDomain
    var patience: Int
    let threads: Int
    /// How many competitors to hand to the exact stage for a class the search could not clear.
    let competitorCount: Int
    /// Whitened starts for anisotropic layers (nil: the paper's x = w_c).
    let whitening: WhitenedStarts?
    /// Where the logits block comes from and goes back to (shared by the chunks of a run).
    var storage: LogitStorage? = nil
    /// First steps by the symmetric Gram product (shared by the chunks of a run), used when there are
    /// enough classes; its starts are this search's (w_c, or whitened).
    var gram: GramFirstStep? = nil
    /// Reflections stop when fewer than one in this many certify anything (see `run`), but only
    /// when an exact stage follows: alone, the search is the paper's algorithm and spends its patience.
    static let unproductiveRate = 256
    var stopsWhenUnproductive = true

    /// Searches for witnesses of `classes` (in this order); returns one outcome per class of the
    /// layer (classes not searched may still be caught). `progress` receives the number of
    /// searched classes finished so far.
    func run(classes: [Int], errors: Float32LogitErrors, progress: (Int) -> Void) -> [Outcome] {
        let d = layer.dimension
        var outcomes = [Outcome](repeating: Outcome(), count: layer.classes)
        var block = LogitBlock(
            layer: layer, errors: errors, threads: threads, inputs: classes.count, storage: storage)
        defer { block.recycle() }
        let slots = block.capacity
        var owner = [Int](repeating: -1, count: slots)
        var inputs = [Float](repeating: 0, count: slots * d)
        var seen = [Set<Int>](repeating: [], count: slots)
        var whitened = whitening
        var next = 0, finished = 0
        if let gram, classes.count >= GramFirstStep.minimumClasses, gram.pays(threads: threads) {
            // Classes that win at their start with a certified margin need no row of their own
            // (`load` skips them).
            for (c, start) in gram.certifiedStarts(for: classes, threads: threads, domain: domain) {
                outcomes[c].witness = start.witness
                outcomes[c].lower = start.lower
                outcomes[c].runnerUp = start.runnerUp
                outcomes[c].steps = 1
            }
        }

        func load(slot: Int) {
            // Skip classes another row has already caught.
            while next < classes.count, outcomes[classes[next]].witness != nil {
                next += 1
                finished += 1
            }
            guard next < classes.count else {
                owner[slot] = -1
                return
            }
            let c = classes[next]
            owner[slot] = c
            next += 1
            seen[slot] = []
            // Start at x = w_c (the paper), or its whitened version for anisotropic layers.
            var x = whitened?.start(for: c) ?? layer.weights.row(c)
            domain.clip(&x)
            inputs.replaceSubrange((slot * d)..<((slot + 1) * d), with: x)
        }
        for slot in 0..<slots { load(slot: slot) }
        progress(finished)

        // Reflections stop once they stop paying: when fewer than 1 in `unproductiveRate` of a
        // window's reflected rows certify anything (their own class or the one that beat them),
        // the remaining classes go straight to the exact stage. On interior-heavy layers (most
        // classes can never win) every reflection fails and each step costs a GEMM against all
        // classes; the exact stage settles them against the frame instead.
        var effectivePatience = patience
        var reflected = 0, productive = 0
        let window = 4 * slots

        while owner.contains(where: { $0 >= 0 }) {
            let (scans, logitRow) = scanActive(&block, inputs: inputs, owners: owner)
            for r in 0..<slots where owner[r] >= 0 {
                let c = owner[r], scan = scans[r]
                if outcomes[c].witness != nil {  // caught earlier in this very step
                    finished += 1
                    load(slot: r)
                    continue
                }
                outcomes[c].steps += 1
                outcomes[c].runnerUp = scan.runnerUp
                if outcomes[c].steps >= 2 {
                    reflected += 1
                    let caught = scan.argmax != c && scan.argmaxMargin > 0 && outcomes[scan.argmax].witness == nil
                    if scan.ownerMargin > 0 || caught { productive += 1 }
                    if reflected == window {
                        if stopsWhenUnproductive && productive * Self.unproductiveRate < window {
                            effectivePatience = 0
                        }
                        reflected = 0
                        productive = 0
                    }
                }
                if scan.ownerMargin > 0 {
                    outcomes[c].witness = Array(inputs[(r * d)..<((r + 1) * d)])
                    outcomes[c].lower = scan.ownerMargin
                } else {
                    let a = scan.argmax
                    if a != c, scan.argmaxMargin > 0, outcomes[a].witness == nil {
                        outcomes[a].witness = Array(inputs[(r * d)..<((r + 1) * d)])
                        outcomes[a].lower = scan.argmaxMargin
                        outcomes[a].runnerUp = scan.argmaxRunnerUp
                    }
                    if a != c && outcomes[c].steps <= effectivePatience
                        && reflect(slot: r, class: c, across: a, inputs: &inputs)
                    {
                        seen[r].insert(a)
                        continue
                    }
                    // c leads, but too narrowly for the Float32 bound to certify it (typical right after
                    // a reflection, which lands just across the tie): move x deeper into c's region,
                    // away from the runner-up.
                    if a == c && scan.runnerUp >= 0 && outcomes[c].steps <= effectivePatience
                        && push(slot: r, class: c, awayFrom: scan.runnerUp, inputs: &inputs)
                    {
                        continue
                    }
                    // Out of patience, or c leads without a certified margin, or c duplicates a's weights.
                    if a != c { seen[r].insert(a) }
                    let top =
                        competitorCount > 0
                        ? block.topCompetitors(row: logitRow[r], excluding: c, count: competitorCount) : []
                    outcomes[c].competitors = Array(seen[r]).sorted() + top.filter { !seen[r].contains($0) }
                }
                finished += 1
                load(slot: r)
            }
            progress(finished)
        }
        return outcomes
    }

    /// The block's scan of the occupied slots only: at the end of a run a few slow classes would
    /// otherwise cost full GEMMs of empty rows (with 4096-class chunks and 1024-row blocks, 3.7 GEMMs
    /// of waste on a 49152-class head). Empty slots get a default scan, which no caller reads. Also
    /// returns each slot's row in the block's logits.
    func scanActive(_ block: inout LogitBlock, inputs: [Float], owners: [Int]) -> ([LogitScan], logitRow: [Int]) {
        let active = owners.indices.filter { owners[$0] >= 0 }
        guard active.count < owners.count else {
            return (block.scan(inputs: inputs, rows: owners.count, owners: owners), Array(owners.indices))
        }
        let d = layer.dimension
        var packed = [Float](repeating: 0, count: active.count * d)
        var logitRow = [Int](repeating: -1, count: owners.count)
        for (k, slot) in active.enumerated() {
            packed.replaceSubrange((k * d)..<((k + 1) * d), with: inputs[(slot * d)..<((slot + 1) * d)])
            logitRow[slot] = k
        }
        let scans = block.scan(inputs: packed, rows: active.count, owners: active.map { owners[$0] })
        var all = [LogitScan](repeating: LogitScan(), count: owners.count)
        for (k, slot) in active.enumerated() { all[slot] = scans[k] }
        return (all, logitRow)
    }

    /// x ← x + λ a with a = w_c − w_j, raising c's lead over j by a thousandth of ‖a‖‖x‖ (far above the
    /// Float32 rounding bound, ~ (d+1)·2⁻²⁴ ‖w‖‖x‖), then clipped to the domain. False if a = 0.
    func push(slot r: Int, class c: Int, awayFrom j: Int, inputs: inout [Float]) -> Bool {
        move(slot: r, class: c, along: j, inputs: &inputs) { _, aSquared, xSquared in
            xSquared > 0 ? 1e-3 * xSquared.squareRoot() / aSquared.squareRoot() : nil
        }
    }

    /// x ← x − 2 s/‖a‖² a with a = w_c − w_j, s = a·x + (b_c − b_j) < 0: the mirror image across the
    /// hyperplane where c and j tie, on c's side. Returns false if a = 0 (c duplicates j's weights).
    func reflect(slot r: Int, class c: Int, across j: Int, inputs: inout [Float]) -> Bool {
        move(slot: r, class: c, along: j, inputs: &inputs) { s, aSquared, _ in -2 * s / aSquared }
    }

    /// x ← x + λ a, a = w_c − w_j, with λ = `step(s, ‖a‖², ‖x‖²)` for s = a·x + (b_c − b_j),
    /// clipped to the domain. False, x unchanged, when a = 0 or `step` gives nil.
    private func move(
        slot r: Int, class c: Int, along j: Int, inputs: inout [Float],
        step: (_ s: Double, _ aSquared: Double, _ xSquared: Double) -> Double?
    ) -> Bool {
        let d = layer.dimension
        var a = [Double](repeating: 0, count: d)
        var s = layer.biasValue(c) - layer.biasValue(j), squared = 0.0, xSquared = 0.0
        layer.weights.withUnsafeBufferPointer { w in
            for k in 0..<d {
                a[k] = Double(w[c * d + k]) - Double(w[j * d + k])
                s += a[k] * Double(inputs[r * d + k])
                squared += a[k] * a[k]
                xSquared += Double(inputs[r * d + k]) * Double(inputs[r * d + k])
            }
        }
        guard squared > 0, let lambda = step(s, squared, xSquared) else { return false }
        var x = (0..<d).map { Float(Double(inputs[r * d + $0]) + lambda * a[$0]) }
        domain.clip(&x)
        inputs.replaceSubrange((r * d)..<((r + 1) * d), with: x)
        return true
    }
}
