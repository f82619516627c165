import ArgumentParser
import Foundation
import LayerStudies
import ResultFiles
import JSONDocuments

struct RangeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "range",
        abstract: "Summarise the per-dimension ranges of observed softmax inputs (the paper's Table 9).",
        discussion: """
            Reads N × d activations (one softmax input per row; .npy, uncompressed .npz or .safetensors; float16, \
            bfloat16, float32 or float64) in blocks of rows from the memory-mapped file, never whole. Prints N, d, \
            the overall minimum and maximum, and the 0/25/50/75/100th percentiles over the dimensions of the \
            per-dimension minima and maxima. With --quantile q also the per-dimension [1 − q, q] quantiles, exact \
            (numpy's method="inverted_cdf"). `unargmax check LAYER --input-range FILE` checks a layer on this box.

              unargmax range activations.npy
              unargmax range activations.npz --array hidden --quantile 0.999 --format json --per-dimension
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "The activations: N × d in .npy, .npz or .safetensors.")
    var activations: String

    @Option(help: "The array (npz) or tensor (safetensors) holding the activations, when the file has several.")
    var array: String?

    @Option(help: "Also the per-dimension [1 − q, q] quantile bounds (0.5 ≤ q ≤ 1, e.g. 0.999).")
    var quantile: Double?

    @Flag(help: "JSON only: include every dimension's bounds, not just the summary.")
    var perDimension = false

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(help: "Write the summary to this file (atomically) instead of stdout.")
    var output: String?

    func validate() throws {
        if let quantile, !(quantile >= 0.5 && quantile <= 1) {
            throw ValidationError("--quantile must lie in [0.5, 1].")
        }
    }

    func run() throws {
        let ranges = try InputRanges.measure(ActivationFile(path: activations, array: array), quantile: quantile)
        let summary = ranges.summary
        switch format {
        case .json:
            var members: [(String, JSONValue)] = [
                ("schema", "unargmaxable.ranges/1"), ("generator", .string("unargmax \(Unargmax.version)")),
                ("path", .string(activations)), ("rows", .int(summary.rows)), ("dimension", .int(summary.dimension)),
                ("min", .number(summary.minimum)), ("max", .number(summary.maximum)),
                ("quantile", summary.quantile.map(JSONValue.number) ?? .null),
                ("percentiles", .numbers(RangeSummary.percentiles)),
                (
                    "per_dimension_percentiles",
                    .object(summary.statistics.map { ($0.name, .numbers($0.values)) })
                ),
            ]
            if perDimension {
                var bounds: [(String, JSONValue)] = [
                    ("min", .numbers(ranges.minimum)), ("max", .numbers(ranges.maximum)),
                ]
                if let l = ranges.quantileLower, let u = ranges.quantileUpper {
                    bounds += [("q_low", .numbers(l)), ("q_high", .numbers(u))]
                }
                members.append(("bounds", .object(bounds)))
            }
            try CommandSupport.emit(JSONValue.object(members).rendered(), output: output)
        case .text:
            func row(_ name: String, _ values: [Double]) -> String {
                name.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + values.map { String(format: "%12.6g", $0) }.joined()
            }
            var lines = [
                "activations:   \(activations) (N = \(summary.rows), d = \(summary.dimension))",
                "overall:       min \(summary.minimum), max \(summary.maximum)",
            ]
            if let q = summary.quantile {
                lines.append("quantile:      q = \(q): per-dimension [1 − q, q] quantiles")
            }
            lines.append("per dimension, percentiles over the \(summary.dimension) dimensions:")
            lines.append(
                "".padding(toLength: 10, withPad: " ", startingAt: 0)
                    + RangeSummary.percentiles.map { "p\(Int($0))".leftPadded(12) }.joined())
            for statistic in summary.statistics { lines.append(row(statistic.name, statistic.values)) }
            try CommandSupport.emit(lines.joined(separator: "\n"), output: output)
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
