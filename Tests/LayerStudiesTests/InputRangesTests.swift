import Foundation
import LayerFormats
import Testing
import Unargmaxable

@testable import LayerStudies

/// Python that prints numpy's per-dimension min, max and inverted-CDF quantiles of `a` as JSON.
private func numpyRanges(quantile q: Double) -> String {
    """
    a64 = a.astype(np.float64)
    qs = np.quantile(a64, [1 - \(q), \(q)], axis=0, method="inverted_cdf")
    for key, v in [("min", a64.min(0)), ("max", a64.max(0)), ("low", qs[0]), ("high", qs[1])]:
        print(key, *map(repr, v.tolist()))
    """
}

/// The description of the error `body` throws ("no error" if none).
func errorText(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return "no error"
}

@Suite struct InputRangesTests {
    /// How each file is written by numpy (or by hand for safetensors), and the array to read.
    static let writers: [(name: String, code: String, array: String?)] = [
        ("float32.npy", "np.save(path, a)", nil),
        ("float16.npy", "a = a.astype(np.float16); np.save(path, a)", nil),
        ("float64-fortran-big.npy", "a = np.asfortranarray(a.astype('>f8')); np.save(path, a)", nil),
        ("stored.npz", "a = a.astype(np.float64); np.savez(path, other=np.zeros(3), hidden=a)", "hidden"),
        ("single.npz", "np.savez(path, a)", nil),
        (
            "float16.safetensors",
            """
            a = a.astype(np.float16)
            head = json.dumps({"__metadata__": {"format": "pt"}, "bias": {"dtype": "F32", "shape": [3],
                "data_offsets": [0, 12]}, "x": {"dtype": "F16", "shape": list(a.shape),
                "data_offsets": [12, 12 + a.nbytes]}}).encode()
            head += b" " * (-len(head) % 8)
            open(path, "wb").write(len(head).to_bytes(8, "little") + head + np.zeros(3, np.float32).tobytes()
                + a.tobytes())
            """, "x"
        ),
    ]

    @Test(arguments: 0..<writers.count, [0.99, 0.9])
    func rangesEqualNumpy(writer: Int, quantile: Double) throws {
        let (name, code, array) = Self.writers[writer]
        try withTemporaryDirectory { directory in
            let path = directory + "/" + name
            let expected = try doubleLines(
                python(
                    """
                    path = "\(path)"
                    a = np.random.default_rng(\(writer)).normal(size=(1003, 7)).astype(np.float32) * 10
                    a[5, 2] = a[7, 2]  # ties
                    \(code)
                    \(numpyRanges(quantile: quantile))
                    """))
            let file = try ActivationFile(path: path, array: array)
            #expect(file.rows == 1003 && file.columns == 7)
            for blockRows in [1, 37, 4096] {
                let ranges = try InputRanges.measure(file, quantile: quantile, blockRows: blockRows)
                #expect(ranges.minimum == expected["min"])
                #expect(ranges.maximum == expected["max"])
                #expect(ranges.quantileLower == expected["low"])
                #expect(ranges.quantileUpper == expected["high"])
            }
        }
    }

    @Test func summaryPercentilesOverDimensions() throws {
        let ranges = InputRanges(
            rows: 10, dimension: 4, minimum: [-4, -1, -3, -2], maximum: [1, 4, 2, 3])
        let summary = ranges.summary
        #expect(summary.minimum == -4 && summary.maximum == 4)
        #expect(summary.statistics.map(\.name) == ["min", "max"])
        // Inverted CDF over 4 values: p0 → 1st, p25 → 1st, p50 → 2nd, p75 → 3rd, p100 → 4th.
        #expect(summary.statistics[0].values == [-4, -4, -3, -2, -1])
        #expect(summary.statistics[1].values == [1, 1, 2, 3, 4])
    }

    @Test func ranksMatchNumpy() throws {
        let cases: [(Int, Double)] = [
            (1, 0.5), (2, 0.5), (10, 0.1), (10, 0.9), (1000, 1 - 0.999), (1000, 0.999), (7, 0), (7, 1),
        ]
        let expected = try python(
            """
            out = []
            for n, p in [\(cases.map { "(\($0.0), \($0.1))" }.joined(separator: ", "))]:
                out.append(int(np.quantile(np.arange(n, dtype=np.float64), p, method="inverted_cdf")))
            print(json.dumps(out))
            """)
        let ranks = cases.map { InputRanges.orderStatisticRank(count: $0.0, probability: $0.1) }
        #expect("[" + ranks.map(String.init).joined(separator: ", ") + "]" == expected)
    }

    @Test func badFilesNameTheFileAndProblem() throws {
        try withTemporaryDirectory { directory in
            try python(
                """
                np.savez_compressed("\(directory)/c.npz", a=np.ones((4, 2)))
                b = np.ones((4, 2)); b[2, 1] = np.nan; np.save("\(directory)/nan.npy", b)
                np.save("\(directory)/vec.npy", np.ones(4))
                np.savez("\(directory)/two.npz", a=np.ones((4, 2)), b=np.ones((4, 2)))
                """)
            // Messages are computed outside #expect: inside its expansion a closure's thrown error was
            // seen to leak into the next errorText call (Swift 6.3).
            let compressed = errorText { _ = try ActivationFile(path: directory + "/c.npz") }
            let nanMessage = errorText { _ = try InputRanges.measure(ActivationFile(path: directory + "/nan.npy")) }
            let vector = errorText { _ = try ActivationFile(path: directory + "/vec.npy") }
            let ambiguous = errorText { _ = try ActivationFile(path: directory + "/two.npz") }
            let missing = errorText { _ = try ActivationFile(path: directory + "/missing.npy") }
            let file = try ActivationFile(path: directory + "/two.npz", array: "b")
            let level = errorText { _ = try InputRanges.measure(file, quantile: 0.2) }
            #expect(compressed.hasPrefix(directory + "/c.npz (array 'a'): is compressed"))
            #expect(nanMessage == "\(directory)/nan.npy: row 2, column 1 is NaN or Inf")
            #expect(vector.hasPrefix(directory + "/vec.npy: must be 2-D"))
            #expect(ambiguous.hasPrefix(directory + "/two.npz: holds several arrays") && ambiguous.contains("--array"))
            #expect(missing.hasPrefix(directory + "/missing.npy"))
            #expect(level.contains("[0.5, 1]"))
        }
    }

    /// Class 1 (w = (1, 0), b = 0) beats class 0 (w = 0, b = 1) only where x₁ > 1: argmaxable in the
    /// paper's box, unargmaxable on the box of activations that stay within |x_j| ≤ 0.5.
    @Test func observedBoxDecidesVerdicts() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/small.npy"
            try python(
                "np.save('\(path)', np.random.default_rng(0).uniform(-0.5, 0.5, size=(500, 2)).astype(np.float16))")
            let layer = try SoftmaxLayer(weights: [0, 0, 1, 0], classes: 2, dimension: 2, bias: [1, 0])
            var options = DetectorOptions()
            #expect(UnargmaxableDetector.detect(layer, options: options).indices(.unargmaxable) == [])
            let ranges = try InputRanges.measure(ActivationFile(path: path), quantile: 0.999)
            options.domain = ranges.domain
            guard case .bounds(let lower, let upper) = ranges.domain else {
                Issue.record("not a bounds domain")
                return
            }
            #expect(lower == ranges.quantileLower && upper == ranges.quantileUpper)
            #expect(UnargmaxableDetector.detect(layer, options: options).indices(.unargmaxable) == [1])
        }
    }
}
