import LayerFormats
import CBLAS
import Dispatch
import ExactArithmetic

/// Re-checks certificates against a layer without running any detector: witnesses by a direct
/// evaluation with rigorous error bounds (or exactly, in rationals, on request), multipliers always
/// exactly (they have at most d + 1 non-zeros, so that is cheap).
public struct CertificateVerifier: Sendable {
    /// The layer the certificates are about.
    public let layer: SoftmaxLayer
    /// The inputs the certificates are about (witnesses must lie in it).
    public let domain: InputDomain
    /// Evaluate witnesses in exact rational arithmetic (O(C·d) rationals per class) instead of
    /// Double with a rigorous error bound.
    public let exactWitnesses: Bool

    /// A verifier for `layer` over `domain`; witnesses in rational arithmetic when `exactWitnesses`.
    public init(layer: SoftmaxLayer, domain: InputDomain, exactWitnesses: Bool = false) {
        self.layer = layer
        self.domain = domain
        self.exactWitnesses = exactWitnesses
    }

    /// The result of checking one certificate.
    public enum Outcome: Equatable, Sendable {
        case provesArgmaxable
        case provesUnargmaxable
        case invalid(String)
    }

    /// Checks the certificate of class `c`: does it prove a verdict, and which?
    public func check(class c: Int, _ certificate: Certificate) -> Outcome {
        guard (0..<layer.classes).contains(c) else { return .invalid("class \(c) is not in the layer") }
        switch certificate {
        case .witness(let x):
            guard x.count == layer.dimension, x.allSatisfy(\.isFinite) else {
                return .invalid("class \(c): the witness needs \(layer.dimension) finite numbers")
            }
            guard domain.contains(x) else { return .invalid("class \(c): the witness lies outside the input domain") }
            if exactWitnesses {
                guard let margin = ExactCertificates.witnessMargin(layer, class: c, witness: x, domain: domain),
                    margin.signum > 0
                else {
                    return .invalid("class \(c): another class scores at least as high at the witness")
                }
            } else {
                let (bound, runnerUp) = RigorousBounds.witnessLowerBound(layer, class: c, witness: x, domain: domain)
                guard bound > 0 else {
                    return .invalid(
                        "class \(c): class \(runnerUp) may score at least as high at the witness "
                            + "(certified margin ≥ \(bound) is not positive)"
                    )
                }
            }
            return .provesArgmaxable
        case let .multipliers(indices, weights, exact):
            let λ: [Rational]
            if let exact {
                guard exact.count == indices.count, let parsed = Optional(exact.compactMap(Self.parse)),
                    parsed.count == exact.count
                else {
                    return .invalid("class \(c): exact multipliers must be fractions p/q, one per index")
                }
                λ = parsed
            } else {
                guard weights.count == indices.count, weights.allSatisfy({ $0.isFinite }) else {
                    return .invalid("class \(c): one finite weight per index is needed")
                }
                λ = weights.map { Rational(exactly: $0)! }
            }
            guard
                let bound = ExactCertificates.multiplierBound(
                    layer, class: c, indices: indices, weights: λ, domain: domain)
            else {
                return .invalid(
                    "class \(c): multipliers must be ≥ 0, not all 0, on other classes "
                        + "(and cancel the weights exactly for unbounded inputs)"
                )
            }
            guard bound.signum <= 0 else {
                return .invalid("class \(c): the multipliers only bound the margin by \(bound.doubleValue) > 0")
            }
            return .provesUnargmaxable
        }
    }

    /// Checks many certificates; results in input order. Multipliers are spread over `threads`;
    /// witnesses (unless exact) are evaluated in blocks with double-precision GEMM, so re-checking every
    /// class of a large layer costs about one W·Wᵀ GEMM rather than C scalar passes over W.
    public func check(_ certificates: [(index: Int, certificate: Certificate)], threads: Int) -> [Outcome] {
        var outcomes = [Outcome](repeating: .invalid("not checked"), count: certificates.count)
        var blockable: [Int] = []  // positions of well-formed witnesses for the GEMM path
        for (k, entry) in certificates.enumerated() {
            if !exactWitnesses, case .witness(let x) = entry.certificate, (0..<layer.classes).contains(entry.index),
                x.count == layer.dimension, x.allSatisfy(\.isFinite), domain.contains(x)
            {
                blockable.append(k)
            }
        }
        let inBlocks = Set(blockable)
        let rest = (0..<certificates.count).filter { !inBlocks.contains($0) }
        outcomes.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            let workers = max(1, min(threads, rest.count))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for k in stride(from: worker, to: rest.count, by: workers) {
                    output[rest[k]] = check(class: certificates[rest[k]].index, certificates[rest[k]].certificate)
                }
            }
        }
        // Witnesses whose coordinates are float32 values (all the detectors write) are checked first by
        // float32 GEMM with the same rigorous error bound the detectors certify with: half the memory
        // traffic and twice the speed of binary64. Whatever that bound cannot settle is checked again
        // in binary64 (tighter bound), so no valid certificate is refused for the float32 bound's sake.
        var inBinary64: [Int] = []
        var single: [Int] = []
        for k in blockable {
            if case .witness(let x) = certificates[k].certificate, x.allSatisfy({ Double(Float($0)) == $0 }) {
                single.append(k)
            } else {
                inBinary64.append(k)
            }
        }
        let nearStarts = witnessesNearFirstStarts(single.map { certificates[$0] }, threads: threads)
        single = zip(single, nearStarts).filter { k, proven in
            if proven { outcomes[k] = .provesArgmaxable }
            return !proven
        }.map(\.0)
        for (k, proven) in zip(single, witnessMarginsByFloat32(single.map { certificates[$0] }, threads: threads)) {
            if proven { outcomes[k] = .provesArgmaxable } else { inBinary64.append(k) }
        }
        for (k, outcome) in zip(inBinary64, witnessMarginsByGEMM(inBinary64.map { certificates[$0] }, threads: threads))
        {
            outcomes[k] = outcome
        }
        return outcomes
    }

    /// Whether each witness certifiably makes its class the strict argmax because it lies close to the
    /// detectors' own first start of that class (false: not settled here).
    ///
    /// Most witnesses are the first braid-reflect starts (w_c, or the whitened start), whose margins
    /// the symmetric Gram product certifies for half a GEMM (`GramFirstStep`). The verifier forms those
    /// starts itself and certifies their margins m(s_c) ≥ ℓ. The margin
    /// m(x) = min_k (w_c − w_k) · x + b_c − b_k is Lipschitz with constant
    /// max_k ‖w_c − w_k‖ ≤ ‖w_c‖ + max_k ‖w_k‖, so a witness x proves its class when
    /// ℓ − (‖w_c‖ + max ‖w_k‖) ‖x − s_c‖ > 0: nothing is trusted from the certificate but x (on the
    /// machine that wrote it, x = s_c bit for bit). Others go to the direct evaluation.
    private func witnessesNearFirstStarts(
        _ entries: [(index: Int, certificate: Certificate)], threads: Int
    ) -> [Bool] {
        guard entries.count >= GramFirstStep.minimumClasses else { return entries.map { _ in false } }
        let prepared = PreparedLayer(layer, threads: threads)
        guard let gram = prepared.gram else { return entries.map { _ in false } }
        let d = layer.dimension, norms = prepared.errors.norms, maxNorm = prepared.errors.maxNorm
        var proven = [Bool](repeating: false, count: entries.count)
        // In chunks, so only one chunk's starts are held at a time (the products are shared).
        let order = entries.indices.sorted { entries[$0].index < entries[$1].index }
        for begin in stride(from: 0, to: order.count, by: UnargmaxableDetector.defaultChunkSize) {
            let chunk = order[begin..<min(order.count, begin + UnargmaxableDetector.defaultChunkSize)]
            let starts = gram.certifiedStarts(
                for: chunk.map { entries[$0].index }, threads: threads, domain: .unbounded)
            for k in chunk {
                guard case .witness(let x) = entries[k].certificate, let start = starts[entries[k].index] else {
                    continue
                }
                var distance = 0.0
                for j in 0..<d {
                    let r = x[j] - Double(start.witness[j])  // exact up to one rounding
                    distance += r * r
                }
                let lipschitz = (norms[entries[k].index] + maxNorm) * (1 + 1e-12)
                let slack = lipschitz * distance.squareRoot() * (1 + 1e-9)  // covers the sum's rounding, d < 10⁶
                proven[k] = distance.isFinite && start.lower - slack > start.lower * 1e-15
            }
        }
        return proven
    }

    /// Whether each witness (float32 coordinates) certifiably makes its class the strict argmax, by
    /// float32 GEMM blocks with the rigorous bound of `Float32LogitErrors` (false: not settled here).
    private func witnessMarginsByFloat32(
        _ entries: [(index: Int, certificate: Certificate)], threads: Int
    ) -> [Bool] {
        guard !entries.isEmpty else { return [] }
        let d = layer.dimension
        FixedPartitionGEMM.setThreads(max(1, threads))
        // Anisotropic heads are checked on centred rows: margins are the same, the error bounds far smaller.
        let centred = CenteredLayer(layer)
        let rows = centred?.layer ?? layer
        var block = LogitBlock(
            layer: rows, errors: centred?.errors ?? Float32LogitErrors(layer), threads: threads,
            inputs: entries.count)
        var proven: [Bool] = []
        proven.reserveCapacity(entries.count)
        var start = 0
        while start < entries.count {
            let rows = min(block.capacity, entries.count - start)
            var inputs = [Float](repeating: 0, count: rows * d)
            for r in 0..<rows {
                guard case .witness(let x) = entries[start + r].certificate else { continue }
                for j in 0..<d { inputs[r * d + j] = Float(x[j]) }
            }
            let owners = entries[start..<(start + rows)].map(\.index)
            proven += block.scan(inputs: inputs, rows: rows, owners: owners).map {
                layer.classes == 1 || $0.ownerMargin > 0
            }
            start += rows
        }
        return proven
    }

    /// Certified witness margins for many witnesses at once: logits by `cblas_dgemm` (W converted
    /// block by block to Double), each with |error| ≤ γ_{d+2}(‖w_i‖₂‖x‖₂ + |b_i|) in binary64.
    private func witnessMarginsByGEMM(_ entries: [(index: Int, certificate: Certificate)], threads: Int) -> [Outcome] {
        let C = layer.classes, d = layer.dimension
        guard !entries.isEmpty else { return [] }
        FixedPartitionGEMM.setThreads(max(1, threads))
        let g = RigorousBounds.gamma(d + 2) * 1.01
        let norms = Float32LogitErrors(layer)
        // Per class: ŷ_i + b_i + e_i = ŷ_i + upperOffset_i + errorPerNorm_i · ‖x‖.
        let errorPerNorm = norms.norms.map { g * $0 }
        let upperOffset = (0..<C).map { layer.biasValue($0) + g * norms.absBias[$0] }
        let witnessBlock = 256, classBlock = max(64, min(4096, (16 << 20) / max(d, 1)))
        var outcomes: [Outcome] = []
        var start = 0
        while start < entries.count {
            let rows = min(witnessBlock, entries.count - start)
            var x = [Double](repeating: 0, count: rows * d)
            var xNorms = [Double](repeating: 0, count: rows)
            var underflow = [Double](repeating: 0, count: rows)
            for r in 0..<rows {
                guard case .witness(let w) = entries[start + r].certificate else { continue }
                x.replaceSubrange((r * d)..<((r + 1) * d), with: w)
                xNorms[r] = w.reduce(0) { $0 + $1 * $1 }.squareRoot() * (1 + 1e-12)
                // Underflow (gradual or flushed) adds at most 2⁻¹⁰²² per operation and input.
                underflow[r] = 0x1p-1022 * (Double(3 * d + 4) + w.reduce(0) { $0 + abs($1) } + norms.maxL1Norm)
            }
            var own = [Double](repeating: .nan, count: rows)  // ŷ_c + b_c, lower-bounded below
            var strongest = [Double](repeating: -.infinity, count: rows)  // max_{i≠c} ŷ_i + b_i + e_i
            var runner = [Int](repeating: -1, count: rows)
            var classStart = 0
            while classStart < C {
                let cols = min(classBlock, C - classStart)
                let wBlock: [Double] = layer.weights.withUnsafeBufferPointer { w in
                    (0..<(cols * d)).map { Double(w[classStart * d + $0]) }
                }
                var y = [Double](repeating: 0, count: rows * cols)
                cblas_dgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d),
                    1, x, Int32(d), wBlock, Int32(d), 0, &y, Int32(cols))
                errorPerNorm.withUnsafeBufferPointer { perNorm in
                    upperOffset.withUnsafeBufferPointer { offset in
                        for r in 0..<rows {
                            let c = entries[start + r].index, xNorm = xNorms[r], slack = underflow[r]
                            var best = strongest[r], bestIndex = runner[r]
                            for j in 0..<cols {
                                let i = classStart + j
                                let upper = y[r * cols + j] + offset[i] + perNorm[i] * xNorm + slack
                                if i == c {
                                    own[r] =
                                        y[r * cols + j] + layer.biasValue(c) - g * norms.absBias[c] - perNorm[c] * xNorm
                                        - slack
                                } else if upper > best {
                                    best = upper
                                    bestIndex = i
                                }
                            }
                            strongest[r] = best
                            runner[r] = bestIndex
                        }
                    }
                }
                classStart += cols
            }
            for r in 0..<rows {
                let c = entries[start + r].index
                let margin = own[r] - strongest[r]
                outcomes.append(
                    C == 1 || margin > 0
                        ? .provesArgmaxable
                        : .invalid(
                            "class \(c): class \(runner[r]) may score at least as high at the witness "
                                + "(certified margin ≥ \(margin) is not positive)"
                        ))
            }
            start += rows
        }
        return outcomes
    }

    static func parse(_ text: String) -> Rational? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard let numerator = BigInt(String(parts[0])) else { return nil }
        if parts.count == 1 { return Rational(numerator) }
        guard parts.count == 2, let denominator = BigInt(String(parts[1])), !denominator.isZero else { return nil }
        return Rational(numerator, denominator)
    }
}

/// A layer's rows minus their mean, w̃_k = fl(w_k − μ̂), for certifying margins of anisotropic heads.
///
/// Margins are differences,
/// (w_c − w_k) · x + b_c − b_k = (w̃_c − w̃_k) · x + b_c − b_k + (ε_k − ε_c) · x,
/// with ε the rounding of the centring (|ε_k| ≤ 2u |w̃_k|), so the centred rows certify the same
/// margins with error bounds in ‖w̃_k‖ instead of ‖w_k‖ — far smaller when most rows share a
/// direction (real LLM heads), where the plain bound cannot certify thin margins. The ε term is
/// covered by 2u added to the error model's γ.
struct CenteredLayer {
    let layer: SoftmaxLayer
    let errors: Float32LogitErrors

    /// Nil unless most rows share a direction (`RowMoments.sharesDirection`, the test `WhitenedStarts`
    /// uses): otherwise a copy of W would buy nothing.
    init?(_ original: SoftmaxLayer) {
        let C = original.classes, d = original.dimension
        let moments = RowMoments(original)
        guard C >= 2, moments.sharesDirection else { return nil }
        let shift = moments.mean.map(Float.init)
        let values = original.weights.withUnsafeBufferPointer { w in
            (0..<(C * d)).map { w[$0] - shift[$0 % d] }
        }
        guard
            let centred = try? SoftmaxLayer(
                weights: FloatMatrix(rows: C, columns: d, values: values), bias: original.bias)
        else { return nil }
        layer = centred
        errors = Float32LogitErrors(centred, extraGamma: 0x1p-23)
    }
}
